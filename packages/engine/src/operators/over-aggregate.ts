import type { FrameBound } from '@darq/parser';
import type { Aggregator } from '../aggregates/index.ts';
import type { Row } from '../runtime/batch.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

interface Partition {
  readonly key: unknown[];
  /** Accumulators of an UNBOUNDED PRECEDING frame. */
  accs?: unknown[];
  /** Rows still inside a bounded frame (ROWS n PRECEDING: the last n; RANGE t PRECEDING: the last t ms). */
  recent?: Row[];
  /** Rows waiting for the watermark to pass their time (event-time order). */
  pending: Row[];
}

/**
 * OVER aggregates, `agg(…) OVER (PARTITION BY k ORDER BY time ROWS|RANGE BETWEEN … AND CURRENT ROW)`.
 * Ordered by an event-time attribute, rows wait until the watermark passes their time and are then processed
 * in time order (arrival order among equal times), as Flink does; a row older than the watermark on arrival
 * is late. (A watermark W promises that rows still to come have times ≥ W, the convention of every operator
 * here: a window [s, e) closes at W ≥ e and its result row, stamped e - 1, is never late downstream.) Ordered by processing time, rows are processed as they arrive. Each output row is the input row
 * followed by the aggregate values over its frame. RANGE frames give rows with equal times the same values.
 *
 * Durable state: one row per partition key (accumulators or the rows in the frame, plus pending rows).
 */
export class OverAggregateOperator implements Operator {
  private readonly parts = new Map<string, Partition>();
  private readonly dirty = new Set<string>();
  private watermark = Number.MIN_SAFE_INTEGER;
  private wmDirty = false;
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly keyOf: (row: Row) => unknown[],
    private readonly timeColumn: number,
    private readonly eventTime: boolean,
    private readonly frame: { readonly mode: 'ROWS' | 'RANGE'; readonly lower: FrameBound },
    private readonly aggs: readonly Aggregator[],
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    const wm = ctx.state.get('~wm');
    if (typeof wm === 'number') this.watermark = wm;
    for (const [k, v] of ctx.state.scan('k')) this.parts.set(k.slice(1), v as Partition);
  }

  private partition(row: Row): [string, Partition] {
    const key = this.keyOf(row);
    const ks = keyString(key);
    let p = this.parts.get(ks);
    if (!p) {
      p = { key, pending: [] };
      if (this.frame.lower.kind === 'unbounded') p.accs = this.aggs.map((a) => a.init());
      else p.recent = [];
      this.parts.set(ks, p);
    }
    return [ks, p];
  }

  process(rows: Row[], out: Row[]): void {
    for (const row of rows) {
      const t = row[this.timeColumn];
      if (this.eventTime && (typeof t !== 'number' || t < this.watermark)) {
        this.ctx.metrics.lateRows++;
        continue;
      }
      const [ks, p] = this.partition(row);
      this.dirty.add(ks);
      if (this.eventTime) p.pending.push(row);
      else this.emitRows(p, [row], out);
    }
  }

  onWatermark(watermark: number, out: Row[]): void {
    if (!this.eventTime || watermark <= this.watermark) return;
    this.watermark = watermark;
    this.wmDirty = true;
    const ready: { ks: string; p: Partition; rows: Row[] }[] = [];
    const tc = this.timeColumn;
    for (const [ks, p] of this.parts) {
      if (p.pending.length === 0) continue;
      // Watermark W: rows still to come have times ≥ W, so rows before W are complete (with their peers).
      const due = p.pending.filter((r) => (r[tc] as number) < watermark);
      if (due.length === 0) continue;
      p.pending = p.pending.filter((r) => (r[tc] as number) >= watermark);
      // Stable sort: equal times keep arrival order.
      due.sort((a, b) => (a[tc] as number) - (b[tc] as number));
      ready.push({ ks, p, rows: due });
      this.dirty.add(ks);
    }
    // Deterministic output order: by time, then partition key, then arrival.
    const emitted: { t: number; ks: string; i: number; row: Row }[] = [];
    for (const { ks, p, rows } of ready) {
      const o: Row[] = [];
      this.emitRows(p, rows, o);
      for (const [i, row] of o.entries()) emitted.push({ t: row[tc] as number, ks, i, row });
    }
    emitted.sort((a, b) => a.t - b.t || (a.ks < b.ks ? -1 : a.ks > b.ks ? 1 : a.i - b.i));
    for (const e of emitted) out.push(e.row);
  }

  /** Runs rows (already in order) through the partition's frame and emits each with its aggregates. */
  private emitRows(p: Partition, rows: Row[], out: Row[]): void {
    const aggs = this.aggs;
    const tc = this.timeColumn;
    const lower = this.frame.lower;
    const range = this.frame.mode === 'RANGE';
    let i = 0;
    while (i < rows.length) {
      // RANGE: rows with equal times are peers and share one result.
      let j = i + 1;
      if (range) while (j < rows.length && rows[j]![tc] === rows[i]![tc]) j++;
      const group = rows.slice(i, j);
      let results: unknown[];
      if (lower.kind === 'unbounded') {
        const accs = p.accs!;
        for (const r of group) for (let a = 0; a < aggs.length; a++) accs[a] = aggs[a]!.add(accs[a], r);
        results = aggs.map((a, k) => a.result(accs[k]));
        if (!range) {
          // ROWS: each row sees only itself and what came before it.
          for (const r of group) out.push([...r, ...results]);
          i = j;
          continue;
        }
      } else {
        const recent = p.recent!;
        for (const r of group) recent.push(r);
        if (lower.kind === 'current') recent.splice(0, recent.length - group.length);
        else if (range) {
          const from = (group[0]![tc] as number) - lower.amount;
          while (recent.length > 0 && (recent[0]![tc] as number) < from) recent.shift();
        } else if (recent.length > lower.amount + 1) recent.splice(0, recent.length - lower.amount - 1);
        const accs = aggs.map((a) => a.init());
        for (const r of recent) for (let a = 0; a < aggs.length; a++) accs[a] = aggs[a]!.add(accs[a], r);
        results = aggs.map((a, k) => a.result(accs[k]));
      }
      for (const r of group) out.push([...r, ...results]);
      i = j;
    }
  }

  checkpoint(): void {
    const state = this.ctx.state;
    for (const ks of this.dirty) {
      const p = this.parts.get(ks);
      if (p) state.put(`k${ks}`, p);
    }
    this.dirty.clear();
    if (this.wmDirty) state.put('~wm', this.watermark);
    this.wmDirty = false;
  }
}
