import {
  type AggCall,
  type Expr,
  type Field,
  inputsOf,
  type LogicalNode,
  type PlannedStatement,
  type Program,
  type Schema,
  type SinkDef,
  type SourceDef,
} from '@darq/parser';
import { type Aggregator, aggregatorList, createAggregator, type UdafModule } from '../aggregates/index.ts';
import { PlanError } from '../errors.ts';
import {
  type CompileOptions,
  compileCalc,
  compileExpr,
  compilePredicate,
  compileProjection,
} from '../expr/index.ts';
import { AttachedWindowAggregateOperator } from '../operators/attached-window-aggregate.ts';
import { BlackholeOperator, CalcOperator } from '../operators/calc.ts';
import { DeduplicateOperator } from '../operators/deduplicate.ts';
import { DistinctOperator } from '../operators/distinct.ts';
import { GroupAggregateOperator } from '../operators/group-aggregate.ts';
import {
  IntervalJoinOperator,
  type JoinSpec,
  RegularJoinOperator,
  WindowJoinOperator,
} from '../operators/join.ts';
import { OverAggregateOperator } from '../operators/over-aggregate.ts';
import { SessionAggregateOperator } from '../operators/session-aggregate.ts';
import { TopNOperator } from '../operators/top-n.ts';
import { UnnestOperator } from '../operators/unnest.ts';
import { WindowAggregateOperator } from '../operators/window-aggregate.ts';
import { WindowTopNOperator } from '../operators/window-top-n.ts';
import { LimitOperator, WindowTvfOperator } from '../operators/window-tvf.ts';
import type { Row } from '../runtime/batch.ts';
import { RowKind } from '../runtime/changelog.ts';
import { parseDuration } from '../time-options.ts';
import type { EdgeSpec, JobGraph, OperatorSpec, StageSpec } from './graph.ts';

export interface LowerOptions {
  /** Participants per stateful stage (hash-partitioned by key). */
  readonly parallelism: number;
  readonly udfs: Readonly<Record<string, (...args: unknown[]) => unknown>>;
  readonly udafs: Readonly<Record<string, UdafModule>>;
  /** Sinks that discard their rows (connector 'blackhole', not overridden): fused, never logged. */
  readonly blackholeSinks?: ReadonlySet<string>;
  /** A UDF that throws: end the run (fail), drop the row to the dead-letter file (skip), or yield NULL. */
  readonly onUdfError?: 'fail' | 'skip' | 'null';
}

interface Cursor {
  readonly stage: StageSpec;
  readonly schema: Schema;
  /** The stage also feeds another consumer: stateless operators must not be fused into it. */
  readonly shared?: boolean;
}

export const DEAD_LETTER_STAGE = 'deadletter';

const DEAD_LETTER_SCHEMA: Schema = {
  fields: ['source', 'position', 'reason', 'raw'].map(
    (name): Field => ({ name, type: { kind: 'VARCHAR' }, nullable: false }),
  ),
};

function windowLabel(n: {
  window: { kind: string; sizeMs?: number; slideMs?: number; stepMs?: number; gapMs?: number };
}) {
  const w = n.window;
  const ms = (v?: number) => `${v} ms`;
  switch (w.kind) {
    case 'TUMBLE':
      return `TUMBLE ${ms(w.sizeMs)}`;
    case 'HOP':
      return `HOP slide ${ms(w.slideMs)} size ${ms(w.sizeMs)}`;
    case 'CUMULATE':
      return `CUMULATE step ${ms(w.stepMs)} size ${ms(w.sizeMs)}`;
    default:
      return `SESSION gap ${ms(w.gapMs)}`;
  }
}

/**
 * Turns the logical plans of a program's INSERT/SELECT statements into one physical dataflow: stateless
 * operators fuse into the stage that feeds them; a stateful operator starts a new stage whose input is
 * hash-partitioned by its key; statements writing the same sink share its sink stage.
 */
export class Lowerer {
  private readonly stages: StageSpec[] = [];
  private readonly sinkStages = new Map<string, StageSpec>();
  private readonly warnings: string[] = [];
  private opCount = 0;
  private readonly compileOpts: CompileOptions;
  private readonly skip: boolean;

  constructor(
    private readonly program: Program,
    private readonly opts: LowerOptions,
  ) {
    this.compileOpts = { udfs: opts.udfs, onUdfError: opts.onUdfError === 'null' ? 'null' : 'fail' };
    this.skip = opts.onUdfError === 'skip';
  }

  lowerAll(statements: readonly PlannedStatement[], selectSink: SinkDef | undefined): JobGraph {
    for (const s of statements) if (s.kind !== 'Explain') this.countUses(s.plan);
    for (const s of statements) {
      if (s.kind === 'Insert') this.lowerInsert(this.sinkDef(s.sink), s.plan);
      else if (s.kind === 'Select') {
        if (!selectSink)
          throw new PlanError('NO_SELECT_SINK', 'a bare SELECT needs somewhere to print its rows');
        this.lowerInsert(selectSink, s.plan);
      }
    }
    if (this.stages.some((s) => s.kind === 'source')) {
      const dlq = this.newStage('sink', {
        sink: {
          def: { name: DEAD_LETTER_STAGE, options: {}, span: undefined as never },
          schema: DEAD_LETTER_SCHEMA,
        },
      });
      dlq.schema = DEAD_LETTER_SCHEMA;
      // Sources dead-letter unreadable records; any stage with a Calc may dead-letter rows whose UDF failed.
      for (const s of this.stages) {
        if (s.kind === 'source' || (this.skip && s.kind === 'operator' && s.operators.length > 0)) {
          s.sides.push({ name: 'deadletter', to: dlq.id });
        }
      }
    }
    // Sources first, sinks last: a stage's inputs always come before it.
    const order = this.topological();
    return { stages: order, warnings: this.warnings };
  }

  private topological(): StageSpec[] {
    const done = new Set<string>();
    const out: StageSpec[] = [];
    const byId = new Map(this.stages.map((s) => [s.id, s]));
    const visit = (s: StageSpec) => {
      if (done.has(s.id)) return;
      done.add(s.id);
      for (const e of s.inputs) visit(byId.get(e.from)!);
      out.push(s);
    };
    for (const s of this.stages) if (s.kind !== 'sink') visit(s);
    for (const s of this.stages) if (s.kind === 'sink') visit(s);
    return out;
  }

  private sinkDef(name: string): SinkDef {
    const d = this.program.sinks.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!d) throw new PlanError('UNKNOWN_SINK', `INSERT INTO ${name}: no sink of that name is declared`);
    return d;
  }

  private sourceDef(name: string): SourceDef {
    const d = this.program.sources.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!d) throw new PlanError('UNKNOWN_SOURCE', `no source named ${name}`);
    return d;
  }

  private lowerInsert(sink: SinkDef, plan: LogicalNode): void {
    if (this.opts.blackholeSinks?.has(sink.name.toLowerCase())) {
      const c = this.fusable(this.lower(plan));
      const id = this.nextOpId();
      const name = `Sink ${sink.name} (blackhole)`;
      this.push(c.stage, { id, name, state: 'none', create: () => new BlackholeOperator(id, name) });
      return;
    }
    const c = this.lower(plan);
    let stage = this.sinkStages.get(sink.name);
    if (!stage) {
      const schema: Schema = sink.columns
        ? { fields: sink.columns.map((col) => ({ name: col.name, type: col.type, nullable: col.nullable })) }
        : c.schema;
      stage = this.newStage('sink', { sink: { def: sink, schema } });
      stage.schema = schema;
      this.sinkStages.set(sink.name, stage);
    }
    stage.inputs.push({ from: c.stage.id, port: 0 });
    if (c.stage.changelog === 'updating') stage.changelog = 'updating';
  }

  private newStage(kind: StageSpec['kind'], extra: Partial<StageSpec> = {}): StageSpec {
    const id =
      kind === 'sink' && extra.sink?.def.name === DEAD_LETTER_STAGE
        ? DEAD_LETTER_STAGE
        : `s${this.stages.length}`;
    const stage: StageSpec = {
      id,
      kind,
      parallelism: 1,
      operators: [],
      inputs: [],
      sides: [],
      schema: { fields: [] },
      changelog: 'append',
      ...extra,
    };
    this.stages.push(stage);
    return stage;
  }

  private nextOpId(): string {
    return `op${this.opCount++}`;
  }

  /** A view used twice is one subplan: lowered once, its stage feeding every consumer. */
  private readonly memo = new Map<string, Cursor>();
  /** The Filter just fused into a stage, which a Project right above it may merge with. */
  private readonly lastFilter = new Map<StageSpec, { spec: OperatorSpec; predicate: Expr }>();
  private readonly uses = new Map<string, number>();

  private static keyOf(node: LogicalNode): string {
    return JSON.stringify(node, (k, v) => (k === 'span' ? undefined : v));
  }

  /** Counts how many consumers each subplan has (a shared subplan's insides are counted once). */
  private countUses(node: LogicalNode): void {
    const key = Lowerer.keyOf(node);
    const n = (this.uses.get(key) ?? 0) + 1;
    this.uses.set(key, n);
    if (n === 1) for (const i of inputsOf(node)) this.countUses(i);
  }

  private lower(node: LogicalNode): Cursor {
    const key = Lowerer.keyOf(node);
    const hit = this.memo.get(key);
    if (hit) return hit;
    const c = this.lowerNode(node);
    if ((this.uses.get(key) ?? 0) < 2) return c;
    const shared: Cursor = { ...c, shared: true };
    this.memo.set(key, shared);
    return shared;
  }

  /** Time-based operators read append-only input; an updating input is refused at plan time. */
  private appendOnly(c: Cursor, what: string): Cursor {
    if (c.stage.changelog === 'updating') {
      throw new PlanError(
        'UPDATING_INPUT',
        `${what} needs an append-only input, but its input is an updating result (a GROUP BY without a window, or a changelog source); aggregate in a window first`,
      );
    }
    return c;
  }

  /** A cursor that operators may be fused into: behind a shared stage, a new stage. */
  private fusable(c: Cursor): Cursor {
    if (!c.shared) return c;
    const stage = this.newStage('operator');
    stage.inputs.push({ from: c.stage.id, port: 0 });
    stage.schema = c.schema;
    stage.changelog = c.stage.changelog;
    return { stage, schema: c.schema };
  }

  private lowerNode(node: LogicalNode): Cursor {
    switch (node.kind) {
      case 'Scan': {
        const def = this.sourceDef(node.source);
        const stage = this.newStage('source', { source: { def, columns: node.columns } });
        stage.schema = node.schema;
        if (def.changelog === 'updating') stage.changelog = 'updating';
        return { stage, schema: node.schema };
      }
      case 'Filter': {
        const c = this.fusable(this.lower(node.input));
        const pred = compilePredicate(node.predicate, this.compileOpts);
        const id = this.nextOpId();
        const spec: OperatorSpec = {
          id,
          name: 'Filter',
          state: 'none',
          create: () => new CalcOperator(id, 'Filter', pred, undefined, this.skip),
        };
        this.push(c.stage, spec);
        this.lastFilter.set(c.stage, { spec, predicate: node.predicate });
        return { stage: c.stage, schema: node.schema };
      }
      case 'Project': {
        const c = this.fusable(this.lower(node.input));
        if (isIdentity(node.exprs, c.schema)) {
          c.stage.schema = node.schema;
          return { stage: c.stage, schema: node.schema };
        }
        // An updating input's rows carry their change kind after the columns: keep it after the new columns.
        const width = c.schema.fields.length;
        const updating = c.stage.changelog === 'updating';
        const filter = this.lastFilter.get(c.stage);
        if (node.input.kind === 'Filter' && filter && c.stage.operators.at(-1) === filter.spec) {
          // WHERE then SELECT in one generated function: shared column reads and sub-expressions.
          const fused = compileCalc(filter.predicate, node.exprs, this.compileOpts);
          const calc = updating
            ? (r: Row) => {
                const o = fused(r);
                if (o !== null) o.push(r[width]);
                return o;
              }
            : fused;
          const id = filter.spec.id;
          c.stage.operators[c.stage.operators.length - 1] = {
            id,
            name: 'Calc',
            state: 'none',
            create: () => new CalcOperator(id, 'Calc', undefined, undefined, this.skip, calc),
          };
          this.lastFilter.delete(c.stage);
          return { stage: c.stage, schema: node.schema };
        }
        const plain = compileProjection(node.exprs, this.compileOpts);
        const proj = updating
          ? (r: Row) => {
              const o = plain(r);
              o.push(r[width]);
              return o;
            }
          : plain;
        const id = this.nextOpId();
        this.push(c.stage, {
          id,
          name: 'Project',
          state: 'none',
          create: () => new CalcOperator(id, 'Project', undefined, proj, this.skip),
        });
        return { stage: c.stage, schema: node.schema };
      }
      case 'WindowAggregate': {
        if (node.emit === 'changes' && node.window.kind === 'SESSION') {
          throw new PlanError(
            'UNSUPPORTED',
            `EMIT CHANGES on a SESSION window (line ${node.span.start.line}) is not supported yet; use EMIT FINAL`,
          );
        }
        if (node.window.attached) {
          const c = this.appendOnly(this.lower(node.input), 'a window aggregate');
          const keyFns = node.groupKeys.map((k) => compileExpr(k, this.compileOpts));
          const keyOf = (row: Row) => keyFns.map((f) => f(row));
          const aggCalls = node.aggs;
          const makeList = () => aggregatorList(aggCalls.map((a) => this.aggregator(a)));
          makeList();
          const { start, end } = node.window.attached;
          const stage = this.statefulStage(c, this.opts.parallelism, () => ({
            from: c.stage.id,
            port: 0,
            key: (row: Row) => [row[start], row[end], ...keyOf(row)],
            keyDescription: `hash(window_start, window_end${node.groupKeys.length ? `, ${node.groupKeys.map(exprText).join(', ')}` : ''})`,
          }));
          const id = this.nextOpId();
          const name = 'WindowAggregate(over windowed rows)';
          this.push(stage, {
            id,
            name,
            state: 'accumulators per (window, key)',
            create: () => new AttachedWindowAggregateOperator(id, name, start, end, keyOf, makeList()),
          });
          stage.schema = node.schema;
          return { stage, schema: node.schema };
        }
        const c = this.appendOnly(this.lower(node.input), 'a window aggregate');
        const keyFns = node.groupKeys.map((k) => compileExpr(k, this.compileOpts));
        const keyOf = keyFns.length === 0 ? () => [] : (row: Row) => keyFns.map((f) => f(row));
        const timeCol = node.window.timeColumn;
        const timeOf = (row: Row) => row[timeCol];
        const aggCalls = node.aggs;
        const makeAggs = () => aggCalls.map((a) => this.aggregator(a));
        makeAggs(); // fail at plan time, not per participant
        const parallelism = node.groupKeys.length > 0 ? this.opts.parallelism : 1;
        const stage = this.statefulStage(c, parallelism, () => this.edge(c.stage, node.groupKeys));
        const id = this.nextOpId();
        const label = `WindowAggregate(${windowLabel(node)})`;
        const win = node.window;
        const late = node.lateInto;
        const procTime = c.schema.fields[win.timeColumn]?.timeAttribute === 'proctime';
        const emitChanges = node.emit === 'changes';
        // Flink's `SET 'table.exec.emit.allow-lateness' = '1 min'`: windows revise their result for late rows.
        const latenessText = this.program.settings['table.exec.emit.allow-lateness'];
        const lateness =
          latenessText !== undefined && win.kind !== 'SESSION'
            ? parseDuration(latenessText, 'table.exec.emit.allow-lateness')
            : 0;
        this.push(stage, {
          id,
          name: label,
          state: win.kind === 'SESSION' ? 'open sessions per key' : 'accumulators per (pane, key)',
          create: () => {
            const side = late ? `late:${late}` : undefined;
            return win.kind === 'SESSION'
              ? new SessionAggregateOperator(id, label, win.gapMs!, timeOf, keyOf, makeAggs(), side)
              : new WindowAggregateOperator(
                  id,
                  label,
                  win,
                  timeOf,
                  keyOf,
                  makeAggs(),
                  side,
                  lateness,
                  procTime,
                  emitChanges,
                );
          },
        });
        if (late) stage.sides.push({ name: `late:${late}`, to: this.lateSinkStage(late, c.schema).id });
        stage.schema = node.schema;
        if (lateness > 0 || emitChanges) stage.changelog = 'updating';
        return { stage, schema: node.schema };
      }
      case 'Union': {
        const updating = node.changelog === 'updating';
        const cs = node.inputs.map((i) => {
          const c = this.lower(i);
          if (!updating || c.stage.changelog === 'updating') return c;
          // Mixed with updating inputs, append-only rows become inserts.
          const f = this.fusable(c);
          const id = this.nextOpId();
          const add = (r: Row) => [...r, RowKind.INSERT];
          this.push(f.stage, {
            id,
            name: 'AsInserts',
            state: 'none',
            create: () => new CalcOperator(id, 'AsInserts', undefined, add),
          });
          f.stage.changelog = 'updating';
          return f;
        });
        const stage = this.newStage('operator');
        for (const c of cs) stage.inputs.push({ from: c.stage.id, port: 0 });
        stage.schema = node.schema;
        stage.changelog = updating ? 'updating' : 'append';
        return { stage, schema: node.schema };
      }
      case 'Aggregate': {
        const c = this.lower(node.input);
        const inputUpdating = c.stage.changelog === 'updating';
        const keyFns = node.groupKeys.map((k) => compileExpr(k, this.compileOpts));
        const keyOf = keyFns.length === 0 ? () => [] : (row: Row) => keyFns.map((f) => f(row));
        const aggCalls = node.aggs;
        const makeList = () => aggregatorList(aggCalls.map((a) => this.aggregator(a, inputUpdating)));
        makeList();
        const parallelism = node.groupKeys.length > 0 ? this.opts.parallelism : 1;
        const stage = this.statefulStage(c, parallelism, () => this.edge(c.stage, node.groupKeys));
        const id = this.nextOpId();
        const label = `GroupAggregate(${node.groupKeys.map(exprText).join(', ') || 'global'})`;
        const width = c.schema.fields.length;
        this.push(stage, {
          id,
          name: label,
          state: 'accumulators and last result per group',
          create: () => new GroupAggregateOperator(id, label, keyOf, makeList(), width, inputUpdating),
        });
        stage.schema = node.schema;
        stage.changelog = 'updating';
        return { stage, schema: node.schema };
      }
      case 'OverAggregate': {
        const c = this.appendOnly(this.lower(node.input), 'an OVER aggregate');
        const order = node.orderBy[0];
        if (!order || node.orderBy.length > 1) {
          throw new PlanError(
            'UNSUPPORTED',
            `OVER (line ${node.span.start.line}): ORDER BY exactly one time attribute (event time or PROCTIME())`,
          );
        }
        const field = c.schema.fields[order.column]!;
        const keyCols = node.partitionBy;
        const keyOf = (row: Row) => keyCols.map((i) => row[i]);
        const aggCalls = node.aggs;
        const makeAggs = () => aggCalls.map((a) => this.aggregator(a));
        makeAggs();
        const stage = this.statefulStage(c, keyCols.length > 0 ? this.opts.parallelism : 1, () =>
          this.columnEdge(c, keyCols),
        );
        const id = this.nextOpId();
        const lower = node.frame.lower;
        const label = `OverAggregate(${node.frame.mode} ${lower.kind === 'unbounded' ? 'UNBOUNDED' : lower.kind === 'current' ? 'CURRENT ROW' : lower.amount} PRECEDING, ORDER BY ${field.name})`;
        const eventTime = field.timeAttribute === 'event';
        const frame = node.frame;
        this.push(stage, {
          id,
          name: label,
          state: 'frame accumulators and pending rows per partition',
          create: () =>
            new OverAggregateOperator(id, label, keyOf, order.column, eventTime, frame, makeAggs()),
        });
        stage.schema = node.schema;
        return { stage, schema: node.schema };
      }
      case 'Unnest': {
        const c = this.fusable(this.lower(node.input));
        const array = compileExpr(node.expr, this.compileOpts);
        const id = this.nextOpId();
        const width = c.schema.fields.length;
        const updating = c.stage.changelog === 'updating';
        const name = `Unnest(${exprText(node.expr)})`;
        this.push(c.stage, {
          id,
          name,
          state: 'none',
          create: () => new UnnestOperator(id, name, array, width, updating),
        });
        c.stage.schema = node.schema;
        return { stage: c.stage, schema: node.schema };
      }
      case 'TopN': {
        const c = this.appendOnly(this.lower(node.input), 'Top-N');
        const endColumn = node.partitionBy.find(
          (i) => c.schema.fields[i]!.name.toLowerCase() === 'window_end',
        );
        const keyCols = node.partitionBy;
        if (!node.windowed || endColumn === undefined) {
          const stage = this.statefulStage(c, keyCols.length > 0 ? this.opts.parallelism : 1, () =>
            this.columnEdge(c, keyCols),
          );
          const id = this.nextOpId();
          const name = `TopN(${node.limit})`;
          const withRank = node.rowNumberColumn !== undefined;
          const orderBy = node.orderBy;
          const limit = node.limit;
          this.push(stage, {
            id,
            name,
            state: 'the top rows per partition (one entry per key)',
            create: () => new TopNOperator(id, name, keyCols, orderBy, limit, withRank),
          });
          stage.schema = node.schema;
          stage.changelog = 'updating';
          return { stage, schema: node.schema };
        }
        const stage = this.statefulStage(c, this.opts.parallelism, () => this.columnEdge(c, keyCols));
        const id = this.nextOpId();
        const name = `WindowTopN(${node.limit})`;
        const withRank = node.rowNumberColumn !== undefined;
        const orderBy = node.orderBy;
        const limit = node.limit;
        this.push(stage, {
          id,
          name,
          state: 'rows of open windows per partition',
          create: () => new WindowTopNOperator(id, name, keyCols, endColumn, orderBy, limit, withRank),
        });
        stage.schema = node.schema;
        return { stage, schema: node.schema };
      }
      case 'Join': {
        const l = this.appendOnly(this.lower(node.left), 'a join');
        const r = this.appendOnly(this.lower(node.right), 'a join');
        const leftWidth = l.schema.fields.length;
        const rightWidth = r.schema.fields.length;
        const leftKeys = node.equiKeys.map(([a]) => a);
        const rightKeys = node.equiKeys.map(([, b]) => b);
        const residual = node.residual ? compilePredicate(node.residual, this.compileOpts) : undefined;
        const spec: JoinSpec = {
          kind: node.joinKind,
          leftWidth,
          rightWidth,
          leftKeys,
          rightKeys,
          ...(residual ? { residual } : {}),
        };
        const keyed = leftKeys.length > 0;
        const stage = this.newStage('operator', { parallelism: keyed ? this.opts.parallelism : 1 });
        const keyFn = (cols: number[]) => (row: Row) => cols.map((c) => row[c]);
        const describe = (c: Cursor, cols: number[]) =>
          `hash(${cols.map((i) => c.schema.fields[i]!.name).join(', ')})`;
        stage.inputs.push({
          from: l.stage.id,
          port: 0,
          ...(keyed ? { key: keyFn(leftKeys), keyDescription: describe(l, leftKeys) } : {}),
        });
        stage.inputs.push({
          from: r.stage.id,
          port: 1,
          ...(keyed ? { key: keyFn(rightKeys), keyDescription: describe(r, rightKeys) } : {}),
        });
        const id = this.nextOpId();
        if (node.variant === 'window' && node.window) {
          const name = `WindowJoin(${node.joinKind})`;
          const w = node.window;
          this.push(stage, {
            id,
            name,
            state: 'rows of open windows per key, both sides',
            create: () => new WindowJoinOperator(id, name, spec, w.leftEnd, w.rightEnd),
          });
        } else if (node.variant === 'interval' && node.interval) {
          const iv = node.interval;
          const name = `IntervalJoin(${node.joinKind}, ${iv.lowerMs} ms .. ${iv.upperMs} ms)`;
          this.push(stage, {
            id,
            name,
            state: 'rows per key while the other side may still match them',
            create: () =>
              new IntervalJoinOperator(id, name, spec, iv.leftTime, iv.rightTime, iv.lowerMs, iv.upperMs),
          });
        } else if (node.variant === 'regular' && node.joinKind === 'inner') {
          // Flink's `SET 'table.exec.state.ttl' = '1 h'`: kept rows expire that long after they arrived.
          const ttlText = this.program.settings['table.exec.state.ttl'];
          const ttl = ttlText !== undefined ? parseDuration(ttlText, 'table.exec.state.ttl') : 0;
          const name = ttl > 0 ? `RegularJoin(inner, TTL ${ttl} ms)` : 'RegularJoin(inner)';
          this.push(stage, {
            id,
            name,
            state:
              ttl > 0
                ? 'rows of both sides per key, for the TTL'
                : 'every row of both sides per key (unbounded)',
            create: () => new RegularJoinOperator(id, name, spec, ttl),
          });
          if (ttl === 0)
            this.warnings.push(
              `${id} ${name} (line ${node.span.start.line}): a regular join keeps every row of both inputs; its state grows without bound on append-only inputs (join within a window, or SET 'table.exec.state.ttl', to bound it)`,
            );
        } else {
          throw new PlanError(
            'UNSUPPORTED',
            `${node.variant} ${node.joinKind} joins (line ${node.span.start.line}) are not supported by the engine yet`,
          );
        }
        stage.schema = node.schema;
        return { stage, schema: node.schema };
      }
      case 'Deduplicate': {
        const c = this.appendOnly(this.lower(node.input), 'deduplication');
        const keyCols = node.partitionBy;
        const stage = this.statefulStage(c, keyCols.length > 0 ? this.opts.parallelism : 1, () =>
          this.columnEdge(c, keyCols),
        );
        const id = this.nextOpId();
        const name = `Deduplicate(keep ${node.keep})`;
        const keep = node.keep;
        const time = node.timeColumn;
        const withRank = node.rowNumberColumn !== undefined;
        this.push(stage, {
          id,
          name,
          state: keep === 'first' ? 'a mark per key (unbounded)' : 'the kept row per key (unbounded)',
          create: () => new DeduplicateOperator(id, name, keyCols, time, keep, withRank),
        });
        this.warnings.push(
          `${id} ${name} (line ${node.span.start.line}): keeps one entry per key; its state grows with the number of keys`,
        );
        stage.schema = node.schema;
        if (keep === 'last') stage.changelog = 'updating';
        return { stage, schema: node.schema };
      }
      case 'Distinct': {
        const c = this.lower(node.input);
        const width = c.schema.fields.length;
        const updating = c.stage.changelog === 'updating';
        const all = c.schema.fields.map((_, i) => i);
        const stage = this.statefulStage(c, this.opts.parallelism, () => this.columnEdge(c, all));
        const id = this.nextOpId();
        const name = 'Distinct';
        this.push(stage, {
          id,
          name,
          state: 'a count per distinct row (grows with them)',
          create: () => new DistinctOperator(id, name, width, updating),
        });
        this.warnings.push(
          `${id} ${name} (line ${node.span.start.line}): keeps one entry per distinct row; its state grows with them`,
        );
        stage.schema = node.schema;
        stage.changelog = updating ? 'updating' : 'append';
        return { stage, schema: node.schema };
      }
      case 'WindowTvf': {
        if (node.window.kind === 'SESSION') {
          throw new PlanError(
            'UNSUPPORTED',
            `a SESSION window without GROUP BY (line ${node.span.start.line}) is not supported`,
          );
        }
        const c = this.fusable(this.appendOnly(this.lower(node.input), 'a window table function'));
        const id = this.nextOpId();
        const name = `WindowTvf(${windowLabel(node)})`;
        const win = node.window;
        this.push(c.stage, { id, name, state: 'none', create: () => new WindowTvfOperator(id, name, win) });
        c.stage.schema = node.schema;
        return { stage: c.stage, schema: node.schema };
      }
      case 'Limit': {
        const c = this.appendOnly(this.lower(node.input), 'LIMIT');
        const stage = this.statefulStage(c, 1, () => ({ from: c.stage.id, port: 0 }));
        const id = this.nextOpId();
        const name = `Limit(${node.limit})`;
        const limit = node.limit;
        this.push(stage, {
          id,
          name,
          state: 'a row count',
          create: () => new LimitOperator(id, name, limit),
        });
        stage.schema = node.schema;
        return { stage, schema: node.schema };
      }
      case 'Values':
        throw new PlanError(
          'UNSUPPORTED',
          `${node.kind} is not supported by the engine yet (line ${node.span.start.line}); see README "Status"`,
        );
      default: {
        const never: never = node;
        throw new PlanError('UNSUPPORTED', `unknown plan node ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * The stage a stateful operator runs in. With one participant on both sides there is no shuffle, so it is
   * fused into its input's stage (a source, its filters and a window aggregate become one participant, and
   * the filtered rows are never logged); otherwise a new stage behind a hash-partitioned edge.
   */
  private statefulStage(c: Cursor, parallelism: number, edge: () => EdgeSpec): StageSpec {
    if (parallelism === 1 && !c.shared && c.stage.parallelism === 1 && c.stage.kind !== 'sink')
      return c.stage;
    const stage = this.newStage('operator', { parallelism });
    stage.inputs.push(edge());
    return stage;
  }

  private lateSinkStage(name: string, schema: Schema): StageSpec {
    const def = this.sinkDef(name);
    let stage = this.sinkStages.get(def.name);
    if (!stage) {
      stage = this.newStage('sink', { sink: { def, schema } });
      stage.schema = schema;
      this.sinkStages.set(def.name, stage);
    }
    return stage;
  }

  /** An edge hash-partitioned by input columns (none: one partition). */
  private columnEdge(c: Cursor, cols: readonly number[]): EdgeSpec {
    if (cols.length === 0) return { from: c.stage.id, port: 0 };
    return {
      from: c.stage.id,
      port: 0,
      key: (row: Row) => cols.map((i) => row[i]),
      keyDescription: `hash(${cols.map((i) => c.schema.fields[i]!.name).join(', ')})`,
    };
  }

  private edge(from: StageSpec, keys: readonly Expr[]): EdgeSpec {
    if (keys.length === 0) return { from: from.id, port: 0 };
    const fns = keys.map((k) => compileExpr(k, this.compileOpts));
    const key = fns.length === 1 ? fns[0]! : (row: Row) => fns.map((f) => f(row));
    return { from: from.id, port: 0, key, keyDescription: `hash(${keys.map(exprText).join(', ')})` };
  }

  private push(stage: StageSpec, op: OperatorSpec): void {
    stage.operators.push(op);
  }

  private aggregator(a: AggCall, retractable = false): Aggregator {
    const args = a.args.map((e) => compileExpr(e, this.compileOpts));
    const filter = a.filter ? compilePredicate(a.filter, this.compileOpts) : undefined;
    return createAggregator(a, args, filter, this.opts.udafs, { retractable });
  }
}

function exprText(e: Expr): string {
  switch (e.kind) {
    case 'ColumnRef':
      return e.name;
    case 'Literal':
      return JSON.stringify(e.value);
    case 'Call':
      return `${e.fn}(${e.args.map(exprText).join(', ')})`;
    case 'Cast':
      return `CAST(${exprText(e.expr)})`;
    case 'Case':
      return 'CASE…';
  }
}

function isIdentity(exprs: readonly Expr[], input: Schema): boolean {
  return (
    exprs.length === input.fields.length && exprs.every((e, i) => e.kind === 'ColumnRef' && e.index === i)
  );
}
