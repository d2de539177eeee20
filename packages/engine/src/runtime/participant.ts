import type { Darq, DarqMessage, Incarnation, Lsn, StepBuilder as StepBuilderType } from '@darq/darq-core';
import { StepBuilder } from '@darq/darq-core';
import type { SinkWriter } from '../connectors/source.ts';
import { OperatorError } from '../errors.ts';
import { type Batch, decodeBatch, END_WATERMARK, encodeBatch, NO_WATERMARK, type Row } from './batch.ts';
import type { RuntimeContext } from './context.ts';
import type { Operator, OperatorContext, OperatorMetrics, OperatorState } from './operator.ts';

/** Where a participant's output goes: every participant of the next stage, hash-partitioned by `key`. */
export interface Route {
  readonly port: number;
  readonly targets: readonly string[];
  readonly key?: (row: Row) => unknown;
  /**
   * The targets do nothing with watermarks (a sink with no stateful operator): they get rows and end
   * markers only. A sink reads committed entries only, so a watermark-only entry per source batch would
   * pile up behind the commit and hold the sources back.
   */
  readonly dataOnly?: boolean;
  /** The targets are sinks: rows sent there ask for an early commit (`RuntimeContext.outputPending`). */
  readonly toSink?: boolean;
}

const META = '__participant';

/** Java-style string hash, so partitioning is stable across runs and machines. */
export function partitionOf(key: unknown, n: number): number {
  if (n === 1) return 0;
  const s = typeof key === 'string' ? key : JSON.stringify(key);
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return (h >>> 0) % n;
}

/**
 * One parallel instance of a stage: a DARQ plus the processor that runs the stage's operator chain.
 * Subclasses decide where input comes from (a connector, the DARQ's IN entries) and where output goes.
 *
 * Soft state lives in the operators; durable state is written at every version boundary (`checkpoint`)
 * as one step, so a key updated a thousand times in a version is written once. This is sound because a
 * version is the unit of durability and of rollback: a crash loses the whole open version — the steps
 * that consumed inputs along with the state they produced — and replay recomputes it.
 */
export abstract class Participant {
  readonly darq: Darq;
  protected incarnation!: Incarnation;
  protected readonly operators: Operator[];
  protected get metrics(): OperatorMetrics {
    return this.rt.counters;
  }
  /** Rows sent to side outputs during the current step, by name. */
  protected sideRows = new Map<string, Row[]>();
  protected outWatermark = NO_WATERMARK;
  protected ended = false;
  private readonly stateBuffers = new Map<string, Map<string, unknown>>();
  private metaDirty = false;

  constructor(
    readonly rt: RuntimeContext,
    readonly id: string,
    operators: Operator[],
    readonly routes: readonly Route[],
    readonly sideRoutes: ReadonlyMap<string, Route> = new Map(),
  ) {
    this.darq = rt.worker.participant(id);
    this.operators = operators;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Registers a new incarnation (fencing any older processor) and rebuilds soft state from durable state. */
  open(): void {
    this.incarnation = this.darq.registerProcessor();
    const meta = this.darq.get(META, 'meta') as Record<string, unknown> | undefined;
    if (meta) this.restoreMeta(meta);
    for (const op of this.operators) op.open(this.contextFor(op));
  }

  close(): void {}

  /** Whether any operator of the chain has processing-time timers. */
  get hasTimers(): boolean {
    return this.operators.some((op) => op.timers === true);
  }

  /** Fires processing-time timers up to `now` and sends what they emit, in one step; true if anything was sent. */
  tick(now: number): boolean {
    let carried: Row[] = [];
    for (const op of this.operators) {
      const out: Row[] = [];
      if (carried.length > 0) op.process(carried, out, 0);
      op.onTimer?.(now, out);
      carried = out;
    }
    if (carried.length === 0) return false;
    const step = new StepBuilder();
    const sent = this.emit(step, carried, this.outWatermark, false);
    if (sent > 0) this.commitStep(step);
    return sent > 0;
  }

  /** Does a bounded amount of work; true if anything happened. */
  abstract run(): boolean;

  /** Meta state of the participant itself (watermarks, positions); restored on open. */
  protected abstract snapshotMeta(): Record<string, unknown>;
  protected abstract restoreMeta(meta: Record<string, unknown>): void;

  protected markMetaDirty(): void {
    this.metaDirty = true;
  }

  /** Called before each version commit: writes dirty operator state and participant meta in one step. */
  checkpoint(): void {
    for (const op of this.operators) op.checkpoint?.();
    if (!this.metaDirty && this.stateBuffers.size === 0) return;
    const step = new StepBuilder();
    for (const [table, buf] of this.stateBuffers) {
      for (const [key, value] of buf) {
        if (value === undefined) step.delete(table, key);
        else step.put(table, key, value);
      }
    }
    if (this.metaDirty) step.put(META, 'meta', this.snapshotMeta());
    this.commitStep(step);
    this.stateBuffers.clear();
    this.metaDirty = false;
  }

  protected commitStep(step: StepBuilderType): void {
    const status = this.darq.step(this.incarnation, step.build());
    if (status !== 'SUCCESS') {
      throw new OperatorError(
        'STEP_REJECTED',
        this.id,
        `a step was rejected as ${status}; another processor may have taken over this participant's state`,
      );
    }
  }

  private contextFor(op: Operator): OperatorContext {
    const table = op.id;
    const darq = this.darq;
    const buffers = this.stateBuffers;
    const state: OperatorState = {
      get(key) {
        const buf = buffers.get(table);
        if (buf?.has(key)) return buf.get(key);
        return darq.get(table, key);
      },
      put(key, value) {
        let buf = buffers.get(table);
        if (!buf) buffers.set(table, (buf = new Map()));
        buf.set(key, value);
      },
      delete(key) {
        let buf = buffers.get(table);
        if (!buf) buffers.set(table, (buf = new Map()));
        buf.set(key, undefined);
      },
      scan(prefix) {
        return darq.scan(table, prefix);
      },
    };
    return {
      id: op.id,
      state,
      metrics: this.metrics,
      sideOutput: (name, rows) => {
        let acc = this.sideRows.get(name);
        if (!acc) this.sideRows.set(name, (acc = []));
        for (const r of rows) acc.push(r);
      },
    };
  }

  /** Runs rows of one port through the chain; returns the chain's output. */
  protected runChain(rows: Row[], port: number): Row[] {
    let cur = rows;
    let p = port;
    for (const op of this.operators) {
      if (cur.length === 0) return cur;
      const out: Row[] = [];
      op.process(cur, out, p);
      cur = out;
      p = 0;
    }
    return cur;
  }

  /** Advances the chain's watermark; returns the rows that closing windows emitted. */
  protected advanceChain(watermark: number): Row[] {
    let carried: Row[] = [];
    for (const op of this.operators) {
      const out: Row[] = [];
      if (carried.length > 0) op.process(carried, out, 0);
      op.onWatermark(watermark, out);
      carried = out;
    }
    return carried;
  }

  /** Tells every downstream participant that this one is idle (no input for its idle timeout). */
  protected emitIdle(step: StepBuilderType): number {
    let sent = 0;
    for (const route of this.routes) {
      if (route.dataOnly) continue;
      for (const t of route.targets) {
        step.send(
          t,
          encodeBatch({
            from: this.id,
            port: route.port,
            rows: [],
            watermark: this.outWatermark,
            end: false,
            idle: true,
          }),
        );
        this.rt.noteSent(t, 0);
        sent++;
      }
    }
    return sent;
  }

  /** Adds the sends of `rows` (and the new watermark / end marker) to `step`; returns the entries sent. */
  protected emit(step: StepBuilderType, rows: Row[], watermark: number, end: boolean): number {
    const wmChanged = watermark !== this.outWatermark;
    this.outWatermark = watermark;
    let sent = 0;
    for (const route of this.routes) sent += this.emitTo(step, route, rows, watermark, end, wmChanged);
    if (this.sideRows.size > 0) {
      for (const [name, side] of this.sideRows) {
        const route = this.sideRoutes.get(name);
        if (route) sent += this.emitTo(step, route, side, watermark, false, false);
      }
      this.sideRows.clear();
    }
    if (end)
      for (const route of this.sideRoutes.values())
        sent += this.emitTo(step, route, [], watermark, true, true);
    return sent;
  }

  private emitTo(
    step: StepBuilderType,
    route: Route,
    rows: Row[],
    watermark: number,
    end: boolean,
    wmChanged: boolean,
  ): number {
    if (rows.length > 0) {
      if (route.toSink) this.rt.outputPending = true;
    } else if (route.dataOnly && !end) return 0;
    const n = route.targets.length;
    let sent = 0;
    if (n === 1 || !route.key) {
      // One target, or a broadcast (no key: every target gets every row).
      if (rows.length > 0 || wmChanged || end) {
        for (const t of route.targets) {
          this.send(step, t, route.port, rows, watermark, end);
          sent++;
        }
      }
      return sent;
    }
    const parts: Row[][] = Array.from({ length: n }, () => []);
    const key = route.key;
    for (const r of rows) parts[partitionOf(key(r), n)]!.push(r);
    for (let i = 0; i < n; i++) {
      const part = parts[i]!;
      if (part.length > 0 || wmChanged || end) {
        this.send(step, route.targets[i]!, route.port, part, watermark, end);
        sent++;
      }
    }
    return sent;
  }

  private send(
    step: StepBuilderType,
    target: string,
    port: number,
    rows: Row[],
    watermark: number,
    end: boolean,
  ) {
    const batch: Batch = { from: this.id, port, rows, watermark, end };
    step.send(target, encodeBatch(batch));
    this.rt.noteSent(target, rows.length);
  }
}

/**
 * A participant whose input is its DARQ: each IN entry is a batch from an upstream participant. One step per
 * entry: consume it, run the chain, send the output. The input watermark is the minimum over all upstream
 * participants; the chain sees it advance after the batch that advanced it.
 */
export class OperatorParticipant extends Participant {
  private lastLsn = 0 as Lsn;
  private readonly inputWatermarks = new Map<string, number>();
  private readonly endedInputs = new Set<string>();
  private readonly idleInputs = new Set<string>();
  private outIdle = false;
  private inWatermark = NO_WATERMARK;

  constructor(
    rt: RuntimeContext,
    id: string,
    operators: Operator[],
    routes: readonly Route[],
    readonly upstream: readonly string[],
    sideRoutes?: ReadonlyMap<string, Route>,
    /** A sink participant: reads committed entries only and hands the chain's output to the writer. */
    readonly sink?: SinkWriter,
  ) {
    super(rt, id, operators, routes, sideRoutes);
  }

  override open(): void {
    super.open();
    if (this.sink) {
      const meta = this.darq.get('__participant', 'meta') as Record<string, unknown> | undefined;
      this.sink.open(meta?.sink);
    }
  }

  override close(): void {
    this.sink?.close();
  }

  /** Before the version commits: the sink's written data must be durable before its recorded position. */
  beforeCommit(): void {
    this.sink?.sync();
  }

  protected snapshotMeta(): Record<string, unknown> {
    return {
      wm: [...this.inputWatermarks],
      ended: [...this.endedInputs],
      idle: [...this.idleInputs],
      in: this.inWatermark,
      out: this.outWatermark,
      done: this.ended,
      sink: this.sink?.position(),
    };
  }

  protected restoreMeta(meta: Record<string, unknown>): void {
    for (const [k, v] of meta.wm as [string, number][]) this.inputWatermarks.set(k, v);
    for (const k of meta.ended as string[]) this.endedInputs.add(k);
    for (const k of (meta.idle as string[] | undefined) ?? []) this.idleInputs.add(k);
    this.inWatermark = meta.in as number;
    this.outWatermark = meta.out as number;
    this.ended = meta.done as boolean;
  }

  run(): boolean {
    const msgs = this.sink
      ? this.rt.committed(this.darq, this.lastLsn, this.rt.options.entriesPerRun)
      : this.rt.readable(this.darq, this.lastLsn, this.rt.options.entriesPerRun);
    if (msgs.length === 0) return false;
    for (const m of msgs) this.handle(m);
    return true;
  }

  private handle(m: DarqMessage): void {
    this.lastLsn = m.lsn;
    const batch = decodeBatch(m.body);
    const step = new StepBuilder().consume(m.lsn);
    let out = batch.rows.length > 0 ? this.runChain(batch.rows, batch.port) : [];
    if (batch.end) this.endedInputs.add(batch.from);
    if (batch.idle) this.idleInputs.add(batch.from);
    else this.idleInputs.delete(batch.from);
    const prev = this.inputWatermarks.get(batch.from) ?? NO_WATERMARK;
    if (batch.watermark > prev) this.inputWatermarks.set(batch.from, batch.watermark);
    // The minimum over inputs that are not idle (if every input is idle, the watermark stays where it is).
    let min = END_WATERMARK;
    let active = 0;
    for (const u of this.upstream) {
      if (this.idleInputs.has(u)) continue;
      active++;
      const w = this.inputWatermarks.get(u);
      if (w === undefined) {
        min = NO_WATERMARK;
        break;
      }
      if (w < min) min = w;
    }
    if (active === 0) min = this.inWatermark;
    // Idleness propagates: with every input idle, this participant is idle to its own consumers.
    const allIdle = active === 0 && this.upstream.length > 0 && this.endedInputs.size < this.upstream.length;
    if (min > this.inWatermark) {
      this.inWatermark = min;
      const closed = this.advanceChain(min);
      if (closed.length > 0) out = out.length > 0 ? out.concat(closed) : closed;
    }
    const end = this.endedInputs.size === this.upstream.length && !this.ended;
    if (end) this.ended = true;
    this.markMetaDirty();
    if (this.sink) {
      this.sink.write(out);
      if (!this.id.startsWith('deadletter.')) this.rt.counters.rowsOut += out.length;
    } else if (allIdle && out.length === 0 && !end) {
      if (!this.outIdle) this.emitIdle(step);
      this.outIdle = true;
    } else {
      this.outIdle = false;
      this.emit(step, out, this.inWatermark, end);
    }
    this.commitStep(step);
    this.rt.noteConsumed(this.id, batch.rows.length);
  }
}
