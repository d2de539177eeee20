import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from '@darq/darq-core';
import type { Program, SinkDef } from '@darq/parser';
import type { UdafModule } from './aggregates/index.ts';
import {
  type ConnectorContext,
  createSinkWriter,
  createSourceReader,
  deadLetterWriter,
} from './connectors/registry.ts';
import { StdinLog } from './connectors/stdin-source.ts';
import { EngineError, PlanError, StateError } from './errors.ts';
import { compileExpr } from './expr/index.ts';
import type { JobGraph, StageSpec } from './physical/graph.ts';
import { participantIds } from './physical/graph.ts';
import { DEAD_LETTER_STAGE, Lowerer } from './physical/lower.ts';
import type { Row } from './runtime/batch.ts';
import { DEFAULT_RUNTIME_OPTIONS, RuntimeContext, type RuntimeOptions } from './runtime/context.ts';
import { OperatorParticipant, type Route } from './runtime/participant.ts';
import { type Progress, Scheduler } from './runtime/scheduler.ts';
import { SourceParticipant, type SourceShape } from './runtime/source-participant.ts';
import { parseDuration } from './time-options.ts';

export interface JobOptions extends Partial<RuntimeOptions> {
  /** Directory of the job's durable state (one SQLite file per worker). Created if missing. */
  readonly stateDir: string;
  /** Directory that relative paths in the query (files, UDF modules) resolve against. */
  readonly baseDir?: string;
  readonly parallelism?: number;
  readonly inputs?: Readonly<Record<string, string>>;
  readonly outputs?: Readonly<Record<string, string>>;
  readonly arrays?: ConnectorContext['arrays'];
  readonly callbacks?: ConnectorContext['callbacks'];
  /** Where rows of a bare SELECT and stdout sinks go (default: process.stdout). */
  readonly stdout?: (text: string) => void;
  /** End the run (exit code 3 in the CLI) once more than this many records were dead-lettered. */
  readonly maxBadRecords?: number;
  readonly deadLetterPath?: string;
  /** A UDF that throws: end the run with no partial effect (fail, default), dead-letter the row (skip), or NULL. */
  readonly onUdfError?: 'fail' | 'skip' | 'null';
}

export interface RunSummary {
  readonly eventsIn: number;
  readonly rowsOut: number;
  readonly badRecords: number;
  readonly lateRows: number;
  readonly versions: number;
  readonly elapsedMs: number;
  /** Why the run stopped before the end of its input, if it did. */
  readonly stopped?: 'interrupted' | 'too-many-bad-records';
  readonly deadLetterPath: string;
  readonly resumed: boolean;
}

export class TooManyBadRecords extends EngineError {
  constructor(count: number, max: number, file: string) {
    super(
      'TOO_MANY_BAD_RECORDS',
      'user',
      `${count} input records could not be read, more than --max-bad-records ${max}; they are in ${file}`,
    );
  }
}

/** Loads the UDF modules named by CREATE FUNCTION (explicitly declared: nothing else is ever imported). */
export async function loadFunctions(
  program: Program,
  baseDir: string,
): Promise<{ udfs: Record<string, (...args: unknown[]) => unknown>; udafs: Record<string, UdafModule> }> {
  const udfs: Record<string, (...args: unknown[]) => unknown> = {};
  const udafs: Record<string, UdafModule> = {};
  for (const f of program.functions) {
    const file = path.resolve(baseDir, f.path);
    if (!fs.existsSync(file)) {
      throw new PlanError(
        'UDF_NOT_FOUND',
        `CREATE FUNCTION ${f.name} FROM '${f.path}' (line ${f.span.start.line}): ${file} does not exist (paths resolve against the SQL file's directory)`,
      );
    }
    let mod: Record<string, unknown>;
    try {
      // The CLI's bundle registers its TypeScript loader only when a .ts module is about to be imported.
      const loadTs = (globalThis as { __darqLoadTypeScript?: () => Promise<void> }).__darqLoadTypeScript;
      if (loadTs !== undefined && /\.[cm]?tsx?$/.test(file)) await loadTs();
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      const message = (e as Error).message;
      // A .ts module is read as CommonJS unless its package says "type": "module"; ESM syntax then fails.
      const hint =
        /\.tsx?$/.test(file) &&
        /require\(\) ES Module|outside a module|Unexpected token 'export'/.test(message)
          ? ` — a .ts UDF outside an ES-module package: rename it to .mts, or put {"type": "module"} in a package.json next to it`
          : '';
      throw new PlanError('UDF_LOAD', `CREATE FUNCTION ${f.name}: cannot load ${file}: ${message}${hint}`);
    }
    const exported =
      mod[f.name] ??
      Object.entries(mod).find(([k]) => k.toLowerCase() === f.name.toLowerCase())?.[1] ??
      mod.default;
    const key = f.name.toLowerCase();
    if (typeof exported === 'function') {
      udfs[key] = exported as (...args: unknown[]) => unknown;
    } else if (exported && typeof exported === 'object' && 'add' in exported && 'result' in exported) {
      udafs[key] = exported as UdafModule;
    } else {
      throw new PlanError(
        'UDF_SHAPE',
        `CREATE FUNCTION ${f.name}: ${file} exports no function or aggregate named '${f.name}' (see docs/udf.md)`,
      );
    }
  }
  return { udfs, udafs };
}

/** A stable fingerprint of what the job computes (the program without source positions) and its parallelism. */
export function planFingerprint(program: Program, parallelism: number): string {
  const text = JSON.stringify({ program, parallelism }, (k, v) => (k === 'span' ? undefined : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function describeStage(s: StageSpec): string {
  if (s.source) return `Source ${s.source.def.name}`;
  if (s.sink) return s.id === DEAD_LETTER_STAGE ? 'Sink dead letters' : `Sink ${s.sink.def.name}`;
  return s.operators.map((o) => o.name).join(' → ') || 'Union';
}

/** A compiled query: its physical graph, ready to run against a state dir. */
export class Job {
  private constructor(
    readonly program: Program,
    readonly graph: JobGraph,
    readonly options: JobOptions,
    readonly fingerprint: string,
  ) {}

  /** Compiles a program's INSERT/SELECT statements into one physical dataflow. */
  static async create(program: Program, options: JobOptions): Promise<Job> {
    const baseDir = options.baseDir ?? process.cwd();
    const { udfs, udafs } = await loadFunctions(program, baseDir);
    const parallelism = options.parallelism ?? 1;
    const overridden = (name: string, map?: Readonly<Record<string, unknown>>) =>
      Object.keys(map ?? {}).some((k) => k.toLowerCase() === name.toLowerCase());
    const blackholeSinks = new Set(
      program.sinks
        .filter(
          (s) =>
            (s.options.connector ?? '').toLowerCase() === 'blackhole' &&
            !overridden(s.name, options.outputs) &&
            !overridden(s.name, options.callbacks),
        )
        .map((s) => s.name.toLowerCase()),
    );
    const lowerer = new Lowerer(program, {
      parallelism,
      udfs,
      udafs,
      blackholeSinks,
      ...(options.onUdfError ? { onUdfError: options.onUdfError } : {}),
    });
    const runnable = program.statements.filter((s) => s.kind !== 'Explain');
    if (runnable.length === 0)
      throw new PlanError('NOTHING_TO_RUN', 'the script has no INSERT INTO or SELECT to run');
    const selectSink: SinkDef = { name: 'stdout', options: { connector: 'stdout' }, span: runnable[0]!.span };
    const graph = lowerer.lowerAll(runnable, selectSink);
    return new Job(program, graph, { ...options, baseDir }, planFingerprint(program, parallelism));
  }

  /** Stages, participants, state and partitioning, one line each. */
  explainStages(): string {
    const lines: string[] = ['Physical plan (stages run as DARQ participants; one SQLite file per worker):'];
    for (const s of this.graph.stages) {
      const ins = s.inputs
        .map((e) => `${e.from}${e.keyDescription ? ` by ${e.keyDescription}` : ''}`)
        .join(', ');
      lines.push(
        `  ${s.id}: ${describeStage(s)}  [participants ${participantIds(s).join(', ')}]${ins ? `  ← ${ins}` : ''}`,
      );
      for (const o of s.operators) lines.push(`      ${o.id} ${o.name}  state: ${o.state}`);
    }
    for (const w of this.graph.warnings) lines.push(`  warning: ${w}`);
    return lines.join('\n');
  }

  /**
   * Runs the job until its input ends (bounded sources), the signal aborts (after a final commit), or too many
   * bad records. Resumes from the state dir when it holds an earlier run of the same plan.
   */
  async run(
    hooks: { signal?: AbortSignal; onProgress?: (p: Progress) => void; crashAfterVersions?: number } = {},
  ): Promise<RunSummary> {
    const opts = this.options;
    const stateDir = path.resolve(opts.stateDir);
    try {
      fs.mkdirSync(stateDir, { recursive: true });
    } catch (e) {
      throw new StateError('STATE_DIR', `cannot create state dir ${stateDir}: ${(e as Error).message}`);
    }
    const runtimeOptions = this.runtimeOptions();
    const worker = Worker.open({
      path: path.join(stateDir, 'worker-0.sqlite'),
      workerId: 'w0',
      persistence: runtimeOptions.persistence,
      // Checkpoint the WAL about once a second: often enough to keep it small, rarely enough to stay cheap.
      walCheckpointMs: 1000,
      // 'machine': the WAL's fsync runs in the thread pool while the next version is computed; sinks release
      // a version's rows only once it is on disk (RuntimeContext.onCommitted), so output stays fsync'd.
      syncInBackground: runtimeOptions.persistence === 'machine',
    });
    let crashed = false;
    try {
      const resumed = this.claimState(worker, stateDir);
      const deadLetterPath = this.deadLetterPath(stateDir);
      const rt = new RuntimeContext(worker, runtimeOptions);
      const cctx = this.connectorContext(stateDir, runtimeOptions);
      const { sources, others } = this.instantiate(rt, cctx, deadLetterPath);
      const scheduler = new Scheduler(rt, sources, others);
      scheduler.open();
      const started = performance.now();
      const max = opts.maxBadRecords;
      try {
        await scheduler.run({
          signal: hooks.signal,
          onProgress: hooks.onProgress,
          shouldStop: () =>
            max !== undefined && rt.counters.badRecords > max ? 'too-many-bad-records' : undefined,
          ...(hooks.crashAfterVersions !== undefined ? { crashAfterVersions: hooks.crashAfterVersions } : {}),
        });
      } catch (e) {
        // Leave everything as a killed process would: the open version is lost, written files stay as they are.
        crashed = true;
        worker.abandon();
        for (const s of sources) s.close();
        for (const o of others) o.close();
        throw e;
      }
      const c = rt.counters;
      const summary: RunSummary = {
        eventsIn: c.eventsIn,
        rowsOut: c.rowsOut,
        badRecords: c.badRecords,
        lateRows: c.lateRows,
        versions: c.versions,
        elapsedMs: performance.now() - started,
        deadLetterPath,
        resumed,
        ...(scheduler.stopReason ? { stopped: scheduler.stopReason as RunSummary['stopped'] } : {}),
      };
      for (const s of sources) s.close();
      for (const o of others) o.close();
      return summary;
    } finally {
      if (!crashed) worker.close();
    }
  }

  /** The runtime options: the job's, over the defaults. */
  runtimeOptions(): RuntimeOptions {
    return {
      ...DEFAULT_RUNTIME_OPTIONS,
      ...Object.fromEntries(
        Object.entries(this.options).filter(([k, v]) => k in DEFAULT_RUNTIME_OPTIONS && v !== undefined),
      ),
    } as RuntimeOptions;
  }

  deadLetterPath(stateDir: string): string {
    return this.options.deadLetterPath ?? path.join(stateDir, 'dead-letters.jsonl');
  }

  /** `stdin`: the records of standard input, shared by the stdin sources of this process. */
  connectorContext(
    stateDir: string,
    runtimeOptions: RuntimeOptions,
    stdin: StdinLog = new StdinLog(),
  ): ConnectorContext {
    const opts = this.options;
    return {
      stdin,
      baseDir: opts.baseDir ?? process.cwd(),
      inputs: opts.inputs,
      outputs: opts.outputs,
      arrays: opts.arrays,
      callbacks: opts.callbacks,
      persistence: runtimeOptions.persistence,
      stdout: opts.stdout ?? ((t) => process.stdout.write(t)),
      stateDir,
    };
  }

  /**
   * Ties a worker file to this plan: refuses a file written by another query or parallelism; returns whether
   * the file holds an earlier run (a resume).
   */
  claimState(worker: Worker, stateDir: string): boolean {
    const previous = worker.getMeta('plan');
    if (previous !== undefined && previous !== this.fingerprint) {
      throw new StateError(
        'PLAN_CHANGED',
        `state dir ${stateDir} belongs to a different query or parallelism (plan ${previous}, this one ${this.fingerprint}). Use a fresh --state dir, or run the original query to finish it.`,
      );
    }
    if (previous !== undefined) return true;
    worker.setMeta('plan', this.fingerprint);
    worker.commit();
    return false;
  }

  /**
   * Creates the participants of the graph on `rt`'s worker — all of them, or those `placed` here when the
   * job runs on several workers (the others are reached through the worker's outbox).
   */
  instantiate(
    rt: RuntimeContext,
    cctx: ConnectorContext,
    deadLetterPath: string,
    placed: (participant: string) => boolean = () => true,
  ): { sources: SourceParticipant[]; others: OperatorParticipant[] } {
    const stages = this.graph.stages;
    const byId = new Map(stages.map((s) => [s.id, s]));
    // Routes out of each stage, built from the inputs of the stages they feed.
    const routes = new Map<string, Route[]>();
    // A sink stage with no stateful operator ignores watermarks: it gets rows and end markers only.
    const dataOnly = (s: StageSpec) => s.kind === 'sink' && s.operators.every((o) => o.state === 'none');
    for (const s of stages) {
      for (const e of s.inputs) {
        const list = routes.get(e.from) ?? [];
        list.push({
          port: e.port,
          targets: participantIds(s),
          ...(e.key ? { key: e.key } : {}),
          ...(s.kind === 'sink' ? { toSink: true } : {}),
          ...(dataOnly(s) ? { dataOnly: true } : {}),
        });
        routes.set(e.from, list);
      }
    }
    const sideRoutesOf = (s: StageSpec) =>
      new Map(
        s.sides.map((side) => {
          const to = byId.get(side.to)!;
          return [
            side.name,
            { port: 0, targets: participantIds(to), ...(dataOnly(to) ? { dataOnly: true } : {}) },
          ];
        }),
      );
    const upstreamOf = (s: StageSpec) => s.inputs.flatMap((e) => participantIds(byId.get(e.from)!));
    // Side outputs are inputs too: a sink fed by side outputs must wait for their end markers.
    const sideUpstream = new Map<string, string[]>();
    for (const s of stages) {
      for (const side of s.sides) {
        const list = sideUpstream.get(side.to) ?? [];
        list.push(...participantIds(s));
        sideUpstream.set(side.to, list);
      }
    }
    const sources: SourceParticipant[] = [];
    const others: OperatorParticipant[] = [];
    for (const s of stages) {
      const ops = () => s.operators.map((o) => o.create(cctx));
      const ids = participantIds(s).filter(placed);
      if (s.kind === 'source') {
        const def = s.source!.def;
        const shape = sourceShape(
          s,
          this.options.onUdfError === 'null' ? 'null' : 'fail',
          this.program.settings,
        );
        for (const id of ids) {
          const reader = createSourceReader(def, cctx);
          sources.push(
            new SourceParticipant(rt, id, reader, shape, ops(), routes.get(s.id) ?? [], sideRoutesOf(s)),
          );
        }
      } else {
        const upstream = [...upstreamOf(s), ...(sideUpstream.get(s.id) ?? [])];
        for (const id of ids) {
          const writer =
            s.kind === 'sink'
              ? s.id === DEAD_LETTER_STAGE
                ? deadLetterWriter(cctx, deadLetterPath)
                : createSinkWriter(s.sink!.def, s.schema, cctx, s.changelog === 'updating')
              : undefined;
          others.push(
            new OperatorParticipant(rt, id, ops(), routes.get(s.id) ?? [], upstream, sideRoutesOf(s), writer),
          );
        }
      }
    }
    return { sources, others };
  }
}

function sourceShape(
  s: StageSpec,
  onUdfError: 'fail' | 'null',
  settings: Readonly<Record<string, string>>,
): SourceShape {
  const def = s.source!.def;
  const idleText = def.options['idle-timeout'] ?? settings['table.exec.source.idle-timeout'];
  const futureText = def.options['event-time.max-future'] ?? settings['event-time.max-future'];
  // Default: refuse event times more than a year ahead of the wall clock; '0' turns the check off.
  const maxFuture =
    futureText !== undefined
      ? parseDuration(futureText, `source ${def.name}: event-time.max-future`)
      : 365 * 86_400_000;
  const idleTimeoutMs =
    idleText !== undefined ? parseDuration(idleText, `source ${def.name}: idle timeout`) : undefined;
  const columns = s.source!.columns;
  const computed = def.columns.map((c, i) =>
    c.expr ? { i, fn: compileExpr(c.expr, { onUdfError }) } : undefined,
  );
  const hasComputed = computed.some((c) => c !== undefined);
  const physicalIdx = def.columns.map((c, i) => (c.expr ? -1 : i)).filter((i) => i >= 0);
  const n = def.columns.length;
  const complete = hasComputed
    ? (phys: Row): Row => {
        const full: Row = new Array(n).fill(null);
        for (let k = 0; k < physicalIdx.length; k++) full[physicalIdx[k]!] = phys[k];
        for (const c of computed) if (c) full[c.i] = c.fn(full);
        if (phys.length > physicalIdx.length) full.push(phys[physicalIdx.length]);
        return full;
      }
    : undefined;
  const identity = columns.length === n && columns.every((c, i) => c === i);
  // A changelog source's rows carry their change kind after the physical columns: keep it at the end.
  const updating = def.changelog === 'updating';
  const project = identity
    ? undefined
    : updating
      ? (full: Row): Row => {
          const o = columns.map((c) => full[c]);
          o.push(full[n]);
          return o;
        }
      : (full: Row): Row => columns.map((c) => full[c]);
  const wm = def.watermark;
  return {
    name: def.name,
    ...(idleTimeoutMs !== undefined && idleTimeoutMs > 0 ? { idleTimeoutMs } : {}),
    ...(maxFuture > 0 ? { maxFutureMs: maxFuture } : {}),
    ...(complete ? { complete } : {}),
    ...(wm ? { watermark: compileExpr(wm.expr, { onUdfError }), timeColumn: wm.column } : {}),
    ...(project ? { project } : {}),
  };
}
