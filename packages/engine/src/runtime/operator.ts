import type { Row } from './batch.ts';

/**
 * Durable keyed state of one operator inside its participant. Reads see the participant's latest writes
 * (including speculative ones of the open version); writes are collected into the participant's current
 * step and become durable with it — all or nothing.
 */
export interface OperatorState {
  get(key: string): unknown;
  put(key: string, value: unknown): void;
  delete(key: string): void;
  scan(prefix: string): IterableIterator<[string, unknown]>;
}

/** Counters an operator reports; the run summary and the progress line read them. */
export interface OperatorMetrics {
  lateRows: number;
  /** Rows sent to the dead-letter file (unreadable input, failed UDF calls with skip). */
  badRecords: number;
  /** Rows delivered to sinks. */
  rowsOut: number;
}

export interface OperatorContext {
  /** Unique within the job; also the name of the operator's state table. */
  readonly id: string;
  readonly state: OperatorState;
  readonly metrics: OperatorMetrics;
  /** Sends rows to a named side output (e.g. late rows to a `LATE INTO` sink). */
  sideOutput(name: string, rows: Row[]): void;
}

/**
 * One relational operation of the physical plan. Operators are plain classes driven by their participant:
 * `open` rebuilds soft state from durable state; `process` handles a batch of rows of one input port and
 * appends its output to `out`; `onWatermark` is called after a batch when the participant's input watermark
 * advanced (END_WATERMARK at end of input) and may emit rows (closing windows). All state changes go
 * through `ctx.state`, so they commit with the step that caused them.
 */
export interface Operator {
  readonly id: string;
  /** For EXPLAIN and error messages: `WindowAggregate(TUMBLE 500 ms)`. */
  readonly name: string;
  open(ctx: OperatorContext): void;
  process(rows: Row[], out: Row[], port: number): void;
  onWatermark(watermark: number, out: Row[]): void;
  /** Writes the state changed since the last call through `ctx.state`; called before each version commit. */
  checkpoint?(): void;
  /**
   * The lowest watermark at which this operator would fire or change its lateness decisions (the next
   * window end); a source that runs the operator in its own stage advances the watermark right at the row
   * that reaches it. Absent or Infinity: batch boundaries are fine.
   */
  nextTrigger?(watermark: number): number;
  /** Processing-time timers: called with the wall clock on every scheduler turn (PROCTIME() windows). */
  onTimer?(now: number, out: Row[]): void;
  /** True when `onTimer` must be called. */
  readonly timers?: boolean;
}

/** An operator with no state and no watermark behaviour, e.g. a fused filter + projection. */
export abstract class StatelessOperator implements Operator {
  abstract readonly id: string;
  abstract readonly name: string;
  open(_ctx: OperatorContext): void {}
  abstract process(rows: Row[], out: Row[], port: number): void;
  onWatermark(_watermark: number, _out: Row[]): void {}
}
