import { StepBuilder } from '@darq/darq-core';
import type { BadInput, SourceReader } from '../connectors/source.ts';
import { StdinSourceReader } from '../connectors/stdin-source.ts';
import { END_WATERMARK, NO_WATERMARK, type Row } from './batch.ts';
import type { RuntimeContext } from './context.ts';
import type { Operator } from './operator.ts';
import { Participant, type Route } from './participant.ts';

function showTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms after 1970` : d.toISOString();
}

/** How a source turns physical rows into scan rows and a watermark. */
export interface SourceShape {
  /** Physical row → full row over the source schema (computed columns appended in place); null = keep physical. */
  readonly complete?: (row: Row) => Row;
  /** Full row → its watermark candidate (e.g. `ts - 4 s`); absent when the source declares no watermark. */
  readonly watermark?: (row: Row) => unknown;
  /** Index of the event-time column in the full row, for the NULL check. */
  readonly timeColumn?: number;
  /** Full row → the columns the scan emits. */
  readonly project?: (row: Row) => Row;
  /** Source name for dead-letter records. */
  readonly name: string;
  /** After this long without input, the source is idle: it stops holding back downstream watermarks. */
  readonly idleTimeoutMs?: number;
  /**
   * An event time further than this ahead of the wall clock is refused (dead-lettered): one such row would
   * push the watermark years ahead and make every later row late. Infinity disables the check.
   */
  readonly maxFutureMs?: number;
}

/**
 * A replayable source as a participant. Its durable state is the reader's position and its watermark (not
 * the records): each step reads one batch (a fixed number of input lines, so batch boundaries — and with
 * them watermarks and late-row decisions — are the same in a resumed run as in an uninterrupted one), runs
 * the fused chain and sends the result downstream.
 */
export class SourceParticipant extends Participant {
  private watermark = NO_WATERMARK;
  private lastInputAt = performance.now();
  private idle = false;
  private events = 0;
  private badCount = 0;

  constructor(
    rt: RuntimeContext,
    id: string,
    private readonly reader: SourceReader,
    private readonly shape: SourceShape,
    operators: Operator[],
    routes: readonly Route[],
    sideRoutes: ReadonlyMap<string, Route>,
  ) {
    super(rt, id, operators, routes, sideRoutes);
  }

  override close(): void {
    this.reader.close();
  }

  /** Where the reader is now (what the next checkpoint records). */
  get inputPosition(): unknown {
    return this.reader.position();
  }

  /** Whether the source reads standard input (not replayable: its supervisor keeps what is uncommitted). */
  get readsStdin(): boolean {
    return this.reader instanceof StdinSourceReader;
  }

  /** The source's event-time watermark (for progress reports). */
  get currentWatermark(): number {
    return this.watermark;
  }

  /** The lowest watermark at which a fused operator has something to do (Infinity: none). */
  private chainTrigger(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const op of this.operators) {
      const x = op.nextTrigger?.(this.watermark);
      if (x !== undefined && x < t) t = x;
    }
    return t;
  }

  /** The first row at or after `from` whose watermark reaches `trigger`, with that watermark. */
  private nextCut(rows: Row[], from: number, trigger: number): { at: number; wm: number } | undefined {
    if (trigger === Number.POSITIVE_INFINITY || !this.shape.watermark) return undefined;
    const wmFn = this.shape.watermark;
    let wm = this.watermark;
    for (let i = from; i < rows.length; i++) {
      const w = wmFn(rows[i]!);
      if (typeof w === 'number' && w > wm) {
        wm = w;
        if (wm >= trigger) return { at: i + 1, wm };
      }
    }
    return undefined;
  }

  protected snapshotMeta(): Record<string, unknown> {
    return {
      pos: this.reader.position(),
      wm: this.watermark,
      out: this.outWatermark,
      events: this.events,
      bad: this.badCount,
      done: this.ended,
    };
  }

  override open(): void {
    super.open();
    this.reader.onReadable?.(() => this.rt.wake());
  }

  protected restoreMeta(meta: Record<string, unknown>): void {
    this.reader.seek(meta.pos);
    this.watermark = meta.wm as number;
    this.outWatermark = meta.out as number;
    this.events = meta.events as number;
    this.badCount = meta.bad as number;
    this.ended = meta.done as boolean;
    this.rt.counters.eventsIn += this.events;
    this.rt.counters.badRecords += this.badCount;
  }

  run(): boolean {
    if (this.ended || this.rt.saturated) return false;
    const read = this.reader.next(this.rt.options.batchSize);
    if (read.kind === 'wait') {
      const timeout = this.shape.idleTimeoutMs;
      if (timeout !== undefined && !this.idle && performance.now() - this.lastInputAt >= timeout) {
        this.idle = true;
        const step = new StepBuilder();
        if (this.emitIdle(step) > 0) this.commitStep(step);
        return true;
      }
      return false;
    }
    this.lastInputAt = performance.now();
    this.idle = false;
    const step = new StepBuilder();
    if (read.kind === 'eof') {
      this.ended = true;
      this.watermark = END_WATERMARK;
      const closed = this.advanceChain(END_WATERMARK);
      const sent = this.emit(step, closed, END_WATERMARK, true);
      this.markMetaDirty();
      if (sent > 0) this.commitStep(step);
      return true;
    }
    const shape = this.shape;
    const bad: BadInput[] = read.bad;
    let rows = read.rows;
    if (shape.complete) rows = rows.map(shape.complete);
    // The watermark after each row (the row's own expression included); `cuts` are the rows after which it
    // reaches a value that some fused operator waits for (a window end): the chain sees the watermark advance
    // right there, so lateness and firing follow each row as read, not the batch boundaries.
    let wm = this.watermark;
    const cuts: { at: number; wm: number }[] = [];
    if (shape.watermark) {
      const wmFn = shape.watermark;
      const tc = shape.timeColumn;
      const kept: Row[] = [];
      const horizon =
        shape.maxFutureMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + shape.maxFutureMs;
      let trigger = this.chainTrigger();
      for (const r of rows) {
        if (tc !== undefined && (r[tc] === null || r[tc] === undefined)) {
          bad.push({
            position: `${shape.name}#${this.events + kept.length}`,
            reason: 'event time is NULL',
            raw: JSON.stringify(r),
          });
          continue;
        }
        if (tc !== undefined && (r[tc] as number) > horizon) {
          bad.push({
            position: `${shape.name}#${this.events + kept.length}`,
            reason: `event time ${showTime(r[tc] as number)} is more than ${Math.round(
              (shape.maxFutureMs ?? 0) / 86_400_000,
            )} days in the future (a unit mix-up, seconds vs milliseconds?); set 'event-time.max-future' to accept it`,
            raw: JSON.stringify(r),
          });
          continue;
        }
        kept.push(r);
        const w = wmFn(r);
        if (typeof w === 'number' && w > wm) {
          wm = w;
          if (wm >= trigger) {
            cuts.push({ at: kept.length, wm });
            trigger = Number.POSITIVE_INFINITY; // recomputed after the chain has seen this watermark
          }
        }
      }
      rows = kept;
    }
    this.events += rows.length;
    this.rt.counters.eventsIn += rows.length;
    if (bad.length > 0) {
      this.badCount += bad.length;
      this.rt.counters.badRecords += bad.length;
      this.sideRows.set(
        'deadletter',
        bad.map((b) => [shape.name, b.position, b.reason, b.raw]),
      );
    }
    const fullRows = rows;
    if (shape.project) rows = rows.map(shape.project);
    let out: Row[] = [];
    let from = 0;
    for (const cut of cuts) {
      // Rows up to the cut, then the watermark; the next cut is searched from here with a fresh trigger.
      const seg = this.runChain(rows.slice(from, cut.at), 0);
      if (seg.length > 0) out = out.length > 0 ? out.concat(seg) : seg;
      from = cut.at;
      if (cut.wm > this.watermark) {
        this.watermark = cut.wm;
        const closed = this.advanceChain(cut.wm);
        if (closed.length > 0) out = out.concat(closed);
      }
      const next = this.nextCut(fullRows, from, this.chainTrigger());
      if (next) cuts.push(next);
    }
    const rest = from === 0 ? this.runChain(rows, 0) : this.runChain(rows.slice(from), 0);
    if (rest.length > 0) out = out.length > 0 ? out.concat(rest) : rest;
    if (wm > this.watermark) {
      this.watermark = wm;
      const closed = this.advanceChain(wm);
      if (closed.length > 0) out = out.concat(closed);
    }
    const sent = this.emit(step, out, this.watermark, false);
    this.markMetaDirty();
    if (sent > 0) this.commitStep(step);
    return true;
  }
}
