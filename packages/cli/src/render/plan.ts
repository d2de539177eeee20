import type { Job } from '@darq/engine';
import { explain, exprToString, type Program, schemaToString } from '@darq/parser';

/**
 * How rows cross into a stage: `forward` (one participant to one), `gather` (many to one), `broadcast` (every
 * row to every participant) or `hash(key)` (each row to the participant its key hashes to).
 */
export interface PlanEdge {
  readonly from: string;
  readonly partitioning: string;
}

export interface PlanStage {
  readonly id: string;
  readonly kind: 'source' | 'operator' | 'sink';
  /** `Source clicks`, `WindowAggregate(TUMBLE 60000 ms) → Project`, `Sink alerts`. */
  readonly description: string;
  readonly parallelism: number;
  readonly participants: readonly string[];
  readonly worker: string;
  readonly inputs: readonly PlanEdge[];
  /** Side outputs (dead letters, late rows) and the stage they go to. */
  readonly sides: readonly { readonly name: string; readonly to: string }[];
  readonly operators: readonly { readonly id: string; readonly name: string; readonly state: string }[];
  /** Durable state this stage keeps, in words. */
  readonly state: string;
  readonly schema: string;
  readonly changelog: 'append' | 'updating';
  /** For a source: the watermark expression over its columns. */
  readonly watermark?: string;
  /** For a source or sink: connector, path, format as declared (paths before `--input`/`--output`). */
  readonly connector?: Readonly<Record<string, string>>;
  /**
   * Where this stage sits relative to the speculation/commit boundary: `speculative` stages run steps
   * before their version is durable; `commit-gated` sinks release only rows the committed cut covers.
   */
  readonly boundary: 'speculative' | 'committed-input' | 'commit-gated';
}

/** Everything `darq explain` shows, as data (the `--format json` output). */
export interface PlanModel {
  readonly file: string;
  readonly logical: string;
  readonly speculative: boolean;
  readonly workers: readonly { readonly id: string; readonly stateFile: string; readonly stages: string[] }[];
  readonly stages: readonly PlanStage[];
  readonly warnings: readonly string[];
}

const DEAD_LETTER_STAGE = 'deadletter';

function describe(stage: Job['graph']['stages'][number]): string {
  if (stage.source) return `Source ${stage.source.def.name}`;
  if (stage.sink) return stage.id === DEAD_LETTER_STAGE ? 'Sink dead letters' : `Sink ${stage.sink.def.name}`;
  return stage.operators.map((o) => o.name).join(' → ') || 'Union';
}

function connectorOf(options: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['connector', 'path', 'format', 'mode']) if (options[k] !== undefined) out[k] = options[k];
  return out;
}

/** Builds the plan model of a compiled job (no state is touched). */
export function planModel(
  file: string,
  program: Program,
  job: Job,
  speculative: boolean,
  placement?: ReadonlyMap<string, string>,
): PlanModel {
  const workerOf = (p: string) => placement?.get(p) ?? 'w0';
  const stages: PlanStage[] = job.graph.stages.map((s) => {
    const participants = Array.from({ length: s.parallelism }, (_, i) => `${s.id}.${i}`);
    const inputs = s.inputs.map((e) => {
      const from = job.graph.stages.find((x) => x.id === e.from)?.parallelism ?? 1;
      // Without a key the engine sends every row to every participant of the receiving stage.
      const unkeyed = s.parallelism > 1 ? 'broadcast' : from > 1 ? 'gather' : 'forward';
      const k = e.keyDescription;
      return { from: e.from, partitioning: k ? (k.startsWith('hash(') ? k : `hash(${k})`) : unkeyed };
    });
    const stateful = s.operators.filter((o) => o.state !== 'none');
    const parts: string[] = [];
    if (s.kind === 'source') parts.push('read position and watermark (input is replayed, not copied)');
    if (s.kind === 'sink')
      parts.push(
        s.id === DEAD_LETTER_STAGE ? 'committed length of the dead-letter file' : 'committed output position',
      );
    for (const o of stateful) parts.push(`${o.id}: ${o.state}`);
    const state = parts.length ? parts.join('; ') : 'none (stateless chain)';
    const wm = s.source?.def.watermark;
    const def = s.source?.def ?? s.sink?.def;
    return {
      id: s.id,
      kind: s.kind,
      description: describe(s),
      parallelism: s.parallelism,
      participants,
      worker: [...new Set(participants.map(workerOf))].join(', '),
      inputs,
      sides: s.sides.map((x) => ({ name: x.name, to: x.to })),
      operators: s.operators.map((o) => ({ id: o.id, name: o.name, state: o.state })),
      state,
      schema: schemaToString(s.schema),
      changelog: s.changelog,
      ...(wm ? { watermark: exprToString(wm.expr) } : {}),
      ...(def && s.id !== DEAD_LETTER_STAGE ? { connector: connectorOf(def.options) } : {}),
      boundary: s.kind === 'sink' ? 'commit-gated' : speculative ? 'speculative' : 'committed-input',
    };
  });
  return {
    file,
    logical: explain(program),
    speculative,
    workers:
      placement === undefined
        ? [{ id: 'w0', stateFile: 'worker-0.sqlite', stages: stages.map((s) => s.id) }]
        : [...new Set(placement.values())].map((id) => ({
            id,
            stateFile: `worker-${id}.sqlite`,
            stages: stages.filter((s) => s.participants.some((p) => workerOf(p) === id)).map((s) => s.id),
          })),
    stages,
    warnings: [...job.graph.warnings],
  };
}

/** The `--format text` rendering: logical plan, then stages with their participants, state and boundary. */
export function planText(m: PlanModel): string {
  const out: string[] = ['Logical plan:'];
  for (const line of m.logical.split('\n')) out.push(`  ${line}`);
  out.push('');
  const participants = m.stages.reduce((n, s) => n + s.parallelism, 0);
  out.push(
    `Physical plan: ${m.stages.length} stages, ${participants} participants (one DARQ each) on ${m.workers.length} worker${m.workers.length === 1 ? '' : 's'} (${m.workers
      .map((w) => `${w.id}: ${w.stateFile}`)
      .join(', ')})`,
  );
  for (const s of m.stages) {
    const from = s.inputs.length
      ? `  ← ${s.inputs.map((e) => `${e.from} ${e.partitioning}`).join(', ')}`
      : '';
    out.push(`  ${s.id}  ${s.description}${from}`);
    out.push(`      participants: ${s.participants.join(', ')} on ${s.worker}`);
    if (s.connector)
      out.push(
        `      connector: ${Object.entries(s.connector)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
      );
    if (s.watermark) out.push(`      watermark: ${s.watermark}`);
    for (const o of s.operators) out.push(`      ${o.id} ${o.name}  state: ${o.state}`);
    out.push(`      state: ${s.state}`);
    out.push(`      changelog: ${s.changelog}  ${s.schema}`);
    for (const side of s.sides) out.push(`      side output ${side.name} → ${side.to}`);
    out.push(`      ${boundaryText(s.boundary)}`);
  }
  out.push('');
  out.push(
    m.speculative
      ? 'Speculation: stages run steps before their version is durable (--speculative); sinks release only rows the committed cut covers, so output is exactly-once.'
      : 'No speculation (--no-speculative): stages read only committed entries; sinks release only committed rows.',
  );
  for (const w of m.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

function boundaryText(b: PlanStage['boundary']): string {
  switch (b) {
    case 'speculative':
      return 'boundary: speculative (runs ahead of the commit)';
    case 'committed-input':
      return 'boundary: reads committed input only';
    case 'commit-gated':
      return 'boundary: commit-gated (releases only committed output)';
  }
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The stage graph as Graphviz DOT: one box per stage, edges labelled with their partitioning. */
export function planDot(m: PlanModel): string {
  const out = [
    'digraph darq {',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const w of m.workers) {
    out.push(`  subgraph ${dotString(`cluster_${w.id}`)} {`);
    out.push(
      `    label=${dotString(`worker ${w.id} (${w.stateFile})`)}; style=dashed; fontname="Helvetica";`,
    );
    for (const id of w.stages) {
      const s = m.stages.find((x) => x.id === id);
      if (!s) continue;
      const lines = [
        `${s.id}: ${s.description}`,
        `×${s.parallelism} participant${s.parallelism === 1 ? '' : 's'}`,
      ];
      if (s.watermark) lines.push(`watermark ${s.watermark}`);
      if (s.kind === 'operator') lines.push(`state: ${s.state}`);
      lines.push(s.boundary === 'commit-gated' ? 'releases committed rows only' : s.changelog);
      const color =
        s.kind === 'source'
          ? '#dbeafe'
          : s.kind === 'sink'
            ? '#dcfce7'
            : s.boundary === 'speculative'
              ? '#fef9c3'
              : '#f3f4f6';
      out.push(
        `    ${dotString(s.id)} [label=${dotString(lines.join('\n'))}, fillcolor=${dotString(color)}];`,
      );
    }
    out.push('  }');
  }
  for (const s of m.stages) {
    for (const e of s.inputs)
      out.push(`  ${dotString(e.from)} -> ${dotString(s.id)} [label=${dotString(e.partitioning)}];`);
    for (const side of s.sides)
      out.push(
        `  ${dotString(s.id)} -> ${dotString(side.to)} [label=${dotString(side.name)}, style=dashed];`,
      );
  }
  out.push('}');
  return out.join('\n');
}
