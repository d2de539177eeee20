import {
  type AggCall,
  type Expr,
  type Field,
  type Filter,
  forEachColumn,
  inputsOf,
  type Join,
  type LogicalNode,
  mapColumns,
  type OverAggregate,
  type PlannedStatement,
  type Program,
  type Project,
  type Scan,
  type Schema,
  type SinkDef,
  type SortKey,
  type SourceDef,
} from '@darq/parser';
import { type Aggregator, aggregatorList, createAggregator, type UdafModule } from '../aggregates/index.ts';
import { type ConnectorContext, createSourceReader } from '../connectors/registry.ts';
import { ConnectorError, PlanError } from '../errors.ts';
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
import { LookupJoinOperator, type LookupJoinSpec } from '../operators/lookup-join.ts';
import { OverAggregateOperator } from '../operators/over-aggregate.ts';
import { SessionAggregateOperator } from '../operators/session-aggregate.ts';
import { TopNOperator } from '../operators/top-n.ts';
import { UnnestOperator } from '../operators/unnest.ts';
import { UpdatingOverAggregateOperator } from '../operators/updating-over-aggregate.ts';
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
        const c = this.lower(node.input);
        const order = node.orderBy[0];
        if (c.stage.changelog === 'updating' && order && node.orderBy.length === 1)
          return this.lowerUpdatingOver(node, c, order);
        this.appendOnly(c, 'an OVER aggregate');
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
        const keys = joinKeys(node, this.compileOpts);
        const lookup = this.lookupPlan(node);
        if (lookup) return this.lowerLookupJoin(node, keys, lookup);
        const l = this.appendOnly(this.lower(node.left), 'a join');
        const r = this.appendOnly(this.lower(node.right), 'a join');
        const leftWidth = l.schema.fields.length;
        const rightWidth = r.schema.fields.length;
        const residual = keys.residual ? compilePredicate(keys.residual, this.compileOpts) : undefined;
        const spec: JoinSpec = {
          kind: node.joinKind,
          leftWidth,
          rightWidth,
          leftKey: keys.leftKey,
          rightKey: keys.rightKey,
          keyed: keys.keyed,
          ...(residual ? { residual } : {}),
        };
        const keyed = keys.keyed;
        const stage = this.newStage('operator', { parallelism: keyed ? this.opts.parallelism : 1 });
        stage.inputs.push({
          from: l.stage.id,
          port: 0,
          ...(keyed ? { key: keys.leftKey, keyDescription: `hash(${keys.leftText.join(', ')})` } : {}),
        });
        stage.inputs.push({
          from: r.stage.id,
          port: 1,
          ...(keyed ? { key: keys.rightKey, keyDescription: `hash(${keys.rightText.join(', ')})` } : {}),
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

  /** OVER over an updating input: the live rows of each partition are kept sorted and re-evaluated on change. */
  private lowerUpdatingOver(node: OverAggregate, c: Cursor, order: SortKey): Cursor {
    const keyCols = node.partitionBy;
    const keyOf = (row: Row) => keyCols.map((i) => row[i]);
    const aggCalls = node.aggs;
    const makeList = () => aggregatorList(aggCalls.map((a) => this.aggregator(a)));
    makeList();
    const stage = this.statefulStage(c, keyCols.length > 0 ? this.opts.parallelism : 1, () =>
      this.columnEdge(c, keyCols),
    );
    const id = this.nextOpId();
    const lower = node.frame.lower;
    const field = c.schema.fields[order.column]!;
    const name = `OverAggregate(updating input, ${node.frame.mode} ${lower.kind === 'unbounded' ? 'UNBOUNDED' : lower.kind === 'current' ? 'CURRENT ROW' : lower.amount} PRECEDING, ORDER BY ${field.name})`;
    const width = c.schema.fields.length;
    const frame = node.frame;
    this.push(stage, {
      id,
      name,
      state: 'every live input row per partition, sorted (grows with them)',
      create: () =>
        new UpdatingOverAggregateOperator(
          id,
          name,
          keyOf,
          width,
          order.column,
          order.direction === 'desc',
          frame,
          makeList(),
        ),
    });
    this.warnings.push(
      `${id} ${name} (line ${node.span.start.line}): over an updating input every live row is kept per partition; its state grows with them`,
    );
    stage.schema = node.schema;
    stage.changelog = 'updating';
    return { stage, schema: node.schema };
  }

  /**
   * Whether a join reads one side as a lookup table: `JOIN t FOR SYSTEM_TIME AS OF …` with `t` a bounded
   * table, or an inner join with a bounded table that has no watermark (a static table, not an event stream).
   * Bounded: a file source read to its end (no `mode = 'tail'`), append-only, under filters and projections.
   */
  private lookupPlan(node: Join): { side: 'left' | 'right'; table: BoundedTable } | undefined {
    if (node.temporal) {
      if (node.joinKind !== 'inner' && node.joinKind !== 'left') return undefined;
      const table = this.boundedTable(node.right);
      return table ? { side: 'right', table } : undefined;
    }
    if (node.joinKind !== 'inner' || node.variant !== 'regular') return undefined;
    const right = this.boundedTable(node.right);
    if (right && !right.def.watermark) return { side: 'right', table: right };
    const left = this.boundedTable(node.left);
    if (left && !left.def.watermark && node.right.changelog === 'append')
      return { side: 'left', table: left };
    return undefined;
  }

  private boundedTable(node: LogicalNode): BoundedTable | undefined {
    const chain: (Filter | Project)[] = [];
    let n = node;
    while (n.kind === 'Filter' || n.kind === 'Project') {
      chain.push(n);
      n = n.input;
    }
    if (n.kind !== 'Scan') return undefined;
    const def = this.sourceDef(n.source);
    const o = def.options;
    const connector = (o.connector ?? '').toLowerCase();
    if (connector !== 'file' && connector !== 'filesystem' && connector !== 'single_file') return undefined;
    if ((o.mode ?? o['source.mode'] ?? '').toLowerCase() === 'tail' || o.follow === 'true') return undefined;
    if (def.changelog !== 'append') return undefined;
    return { def, scan: n, chain: chain.reverse() };
  }

  /**
   * A lookup join runs in the probe side's stage (no shuffle: each participant holds the whole table), so the
   * probe rows are neither logged nor kept.
   */
  private lowerLookupJoin(
    node: Join,
    keys: JoinKeys,
    plan: { side: 'left' | 'right'; table: BoundedTable },
  ): Cursor {
    const tableRight = plan.side === 'right';
    const probeNode = tableRight ? node.left : node.right;
    const c = this.fusable(this.lower(probeNode));
    const load = this.tableLoader(plan.table);
    const residual = keys.residual ? compilePredicate(keys.residual, this.compileOpts) : undefined;
    const spec: LookupJoinSpec = {
      tableSide: plan.side,
      padProbe: node.joinKind === 'left',
      probeWidth: probeNode.schema.fields.length,
      tableWidth: (tableRight ? node.right : node.left).schema.fields.length,
      probeKey: tableRight ? keys.leftKey : keys.rightKey,
      tableKey: tableRight ? keys.rightKey : keys.leftKey,
      probeUpdating: c.stage.changelog === 'updating',
      ...(residual ? { residual } : {}),
    };
    const id = this.nextOpId();
    const table = plan.table.def.name;
    const on = keys.leftText.map((l, i) => `${l} = ${keys.rightText[i]}`).join(' AND ') || 'every row';
    const name = `LookupJoin(${node.joinKind}, ${table} on ${on})`;
    this.push(c.stage, {
      id,
      name,
      state: `${table} read whole at open (not kept in state); nothing per probe row`,
      create: (connectors) => {
        if (!connectors) throw new PlanError('INTERNAL', `${name}: created without a connector context`);
        return new LookupJoinOperator(id, name, spec, {
          description: `${table} (${plan.table.def.options.path ?? 'file'})`,
          load: () => load(connectors),
        });
      },
    });
    c.stage.schema = node.schema;
    return { stage: c.stage, schema: node.schema };
  }

  /** Reads a bounded table's file and applies the table's own filters and projections. */
  private tableLoader(t: BoundedTable): (connectors: ConnectorContext) => Row[] {
    const def = t.def;
    const cols = t.scan.columns;
    const computed = def.columns.map((col, i) =>
      col.expr ? { i, fn: compileExpr(col.expr, this.compileOpts) } : undefined,
    );
    const physical = def.columns.map((col, i) => (col.expr ? -1 : i)).filter((i) => i >= 0);
    const width = def.columns.length;
    const steps = t.chain.map((n) =>
      n.kind === 'Filter'
        ? { filter: compilePredicate(n.predicate, this.compileOpts) }
        : { project: compileProjection(n.exprs, this.compileOpts) },
    );
    return (connectors) => {
      const reader = createSourceReader(def, connectors);
      const rows: Row[] = [];
      try {
        for (;;) {
          const read = reader.next(4096);
          if (read.kind !== 'batch') break;
          const bad = read.bad[0];
          if (bad) {
            throw new ConnectorError(
              'LOOKUP_TABLE_BAD_RECORD',
              `lookup table ${def.name}: ${bad.position}: ${bad.reason}. A lookup table is read whole when the query starts, so every line must be readable: fix the line, or drop it from the file.`,
            );
          }
          next: for (const phys of read.rows) {
            const full: Row = new Array(width).fill(null);
            for (let k = 0; k < physical.length; k++) full[physical[k]!] = phys[k];
            for (const cc of computed) if (cc) full[cc.i] = cc.fn(full);
            let row: Row = cols.map((i) => full[i]);
            for (const st of steps) {
              if (st.filter) {
                if (!st.filter(row)) continue next;
              } else row = st.project!(row);
            }
            rows.push(row);
          }
        }
      } finally {
        reader.close();
      }
      return rows;
    };
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

interface BoundedTable {
  readonly def: SourceDef;
  readonly scan: Scan;
  /** Filters and projections between the scan and the join, bottom first. */
  readonly chain: readonly (Filter | Project)[];
}

interface JoinKeys {
  readonly leftKey: (row: Row) => unknown[];
  readonly rightKey: (row: Row) => unknown[];
  readonly keyed: boolean;
  readonly leftText: string[];
  readonly rightText: string[];
  /** The condition without the equalities used as keys. */
  readonly residual?: Expr;
}

const NONDETERMINISTIC = new Set(['PROCTIME', 'NOW', 'CURRENT_TIMESTAMP', 'RAND']);

/** Which join input an expression reads: only the left (columns < n), only the right, both, or none. */
function sideOf(e: Expr, n: number): 'left' | 'right' | 'both' | 'none' {
  let left = false;
  let right = false;
  forEachColumn(e, (c) => {
    if (c.index < n) left = true;
    else right = true;
  });
  let volatile = false;
  const visit = (x: Expr): void => {
    if (x.kind === 'Call') {
      if (NONDETERMINISTIC.has(x.fn)) volatile = true;
      x.args.forEach(visit);
    } else if (x.kind === 'Cast') visit(x.expr);
    else if (x.kind === 'Case') {
      if (x.operand) visit(x.operand);
      for (const w of x.whens) {
        visit(w.when);
        visit(w.result);
      }
      if (x.else) visit(x.else);
    }
  };
  visit(e);
  if (volatile) return 'both';
  return left && right ? 'both' : left ? 'left' : right ? 'right' : 'none';
}

function conjunctsOf(e: Expr): Expr[] {
  return e.kind === 'Call' && e.fn === 'AND' ? e.args.flatMap(conjunctsOf) : [e];
}

/**
 * The equi-join key of each side: the planner's column pairs, plus every `=` conjunct of the residual whose
 * two sides each read one input only (`MOD(b.auction, 10000) = s.key`), which leaves the residual.
 */
function joinKeys(node: Join, opts: CompileOptions): JoinKeys {
  const n = node.left.schema.fields.length;
  const leftExprs: Expr[] = [];
  const rightExprs: Expr[] = [];
  const rest: Expr[] = [];
  for (const p of node.residual ? conjunctsOf(node.residual) : []) {
    if (p.kind === 'Call' && p.fn === '=' && p.args.length === 2) {
      const [a, b] = p.args as [Expr, Expr];
      const sa = sideOf(a, n);
      const sb = sideOf(b, n);
      const shift = (e: Expr) => mapColumns(e, (c) => ({ ...c, index: c.index - n }));
      if (sa === 'left' && sb === 'right') {
        leftExprs.push(a);
        rightExprs.push(shift(b));
        continue;
      }
      if (sa === 'right' && sb === 'left') {
        leftExprs.push(b);
        rightExprs.push(shift(a));
        continue;
      }
    }
    rest.push(p);
  }
  const leftCols = node.equiKeys.map(([a]) => a);
  const rightCols = node.equiKeys.map(([, b]) => b);
  const keyFn = (cols: number[], exprs: Expr[]): ((row: Row) => unknown[]) => {
    if (exprs.length === 0) return (row) => cols.map((c) => row[c]);
    const fns = exprs.map((e) => compileExpr(e, opts));
    return (row) => {
      const k = cols.map((c) => row[c]);
      for (const f of fns) k.push(f(row));
      return k;
    };
  };
  const residual =
    rest.length === 0
      ? undefined
      : rest.length === 1
        ? rest[0]!
        : ({ kind: 'Call', fn: 'AND', args: rest, type: { kind: 'BOOLEAN' }, span: node.span } as Expr);
  return {
    leftKey: keyFn(leftCols, leftExprs),
    rightKey: keyFn(rightCols, rightExprs),
    keyed: leftCols.length + leftExprs.length > 0,
    leftText: [...leftCols.map((c) => node.left.schema.fields[c]!.name), ...leftExprs.map(exprText)],
    rightText: [...rightCols.map((c) => node.right.schema.fields[c]!.name), ...rightExprs.map(exprText)],
    ...(residual ? { residual } : {}),
  };
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
