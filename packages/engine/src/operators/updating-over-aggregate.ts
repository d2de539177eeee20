import type { FrameBound } from '@darq/parser';
import type { AggregatorList } from '../aggregates/index.ts';
import type { Row } from '../runtime/batch.ts';
import { RowKind } from '../runtime/changelog.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

/**
 * OVER aggregates over an updating input (NEXMark q6: the average of a seller's last 11 winning prices, where
 * the winners come from a Top-1 that changes its mind): `agg(…) OVER (PARTITION BY k ORDER BY c ROWS|RANGE
 * BETWEEN … AND CURRENT ROW)` with +I/-U/+U/-D rows in. Each partition keeps its live rows sorted by the
 * ORDER BY column (arrival order among equal values). A change re-evaluates only the rows whose frame contains
 * the changed position and emits, for each result that changed, -U old / +U new; the added row is +I, a
 * removed one -D. Replaying the output changelog gives exactly the batch OVER of the input's final state
 * (up to the order of rows with equal ORDER BY values, which SQL leaves open too).
 *
 * Flink refuses this (FLINK-19059); the cost is that every live row is kept (the planner warns), and
 * UNBOUNDED PRECEDING frames re-evaluate every later row of the partition on each change.
 *
 * Durable state: the sorted live rows of each partition, written at version boundaries when changed.
 */
export class UpdatingOverAggregateOperator implements Operator {
  private readonly parts = new Map<string, Row[]>();
  private readonly dirty = new Set<string>();
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly keyOf: (row: Row) => unknown[],
    private readonly width: number,
    private readonly orderColumn: number,
    private readonly descending: boolean,
    private readonly frame: { readonly mode: 'ROWS' | 'RANGE'; readonly lower: FrameBound },
    private readonly aggs: AggregatorList,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    for (const [k, v] of ctx.state.scan('k')) this.parts.set(k.slice(1), v as Row[]);
  }

  /** ORDER BY comparison: NULLs first (ascending), as Flink sorts them. */
  private cmp(a: Row, b: Row): number {
    const x = a[this.orderColumn] as number | string | null;
    const y = b[this.orderColumn] as number | string | null;
    const c = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
    return this.descending ? -c : c;
  }

  process(rows: Row[], out: Row[]): void {
    const w = this.width;
    for (const r of rows) {
      const kind = r[w] as RowKind;
      const row = r.slice(0, w);
      const ks = keyString(this.keyOf(row));
      let part = this.parts.get(ks);
      if (!part) this.parts.set(ks, (part = []));
      if (kind === RowKind.INSERT || kind === RowKind.UPDATE_AFTER) this.insert(part, row, out);
      else if (!this.remove(part, row, out)) continue; // retracting a row that is not there: nothing to undo
      if (part.length === 0) this.parts.delete(ks);
      this.dirty.add(ks);
    }
  }

  private insert(part: Row[], row: Row, out: Row[]): void {
    // After every row that sorts before or equal: arrival order among peers.
    let lo = 0;
    let hi = part.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(part[mid]!, row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const before = this.affected(part, lo, row);
    const old = before.map((i) => this.resultAt(part, i));
    part.splice(lo, 0, row);
    out.push([...row, ...this.resultAt(part, lo), RowKind.INSERT]);
    // The rows at and after the insertion point moved up by one.
    this.emitChanges(
      part,
      before.map((i) => (i >= lo ? i + 1 : i)),
      old,
      out,
    );
  }

  private remove(part: Row[], row: Row, out: Row[]): boolean {
    const text = JSON.stringify(row);
    let at = -1;
    for (let i = 0; i < part.length; i++) {
      if (this.cmp(part[i]!, row) === 0 && JSON.stringify(part[i]) === text) {
        at = i;
        break;
      }
    }
    if (at < 0) return false;
    const before = this.affected(part, at, row).filter((i) => i !== at);
    const old = before.map((i) => this.resultAt(part, i));
    out.push([...part[at]!, ...this.resultAt(part, at), RowKind.DELETE]);
    part.splice(at, 1);
    this.emitChanges(
      part,
      before.map((i) => (i > at ? i - 1 : i)),
      old,
      out,
    );
    return true;
  }

  private emitChanges(part: Row[], at: number[], old: unknown[][], out: Row[]): void {
    for (let k = 0; k < at.length; k++) {
      const i = at[k]!;
      const now = this.resultAt(part, i);
      if (JSON.stringify(now) === JSON.stringify(old[k])) continue;
      out.push([...part[i]!, ...old[k]!, RowKind.UPDATE_BEFORE]);
      out.push([...part[i]!, ...now, RowKind.UPDATE_AFTER]);
    }
  }

  /**
   * Positions (in `part` as it is now) whose frame contains a row placed at `pos` with `row`'s ORDER BY value:
   * the next n rows for ROWS n PRECEDING, the peers and rows up to `amount` later for RANGE, every later row
   * for UNBOUNDED PRECEDING.
   */
  private affected(part: Row[], pos: number, row: Row): number[] {
    const lower = this.frame.lower;
    const out: number[] = [];
    if (this.frame.mode === 'ROWS') {
      const last =
        lower.kind === 'unbounded'
          ? part.length - 1
          : Math.min(part.length - 1, pos + (lower.kind === 'current' ? 0 : lower.amount));
      for (let i = pos; i <= last; i++) out.push(i);
      return out;
    }
    // RANGE: peers of the row (also before pos) and, for a bounded frame, rows within `amount` after it.
    let start = pos;
    while (start > 0 && this.cmp(part[start - 1]!, row) === 0) start--;
    const v = row[this.orderColumn] as number;
    for (let i = start; i < part.length; i++) {
      const u = part[i]![this.orderColumn] as number;
      if (lower.kind === 'current' && this.cmp(part[i]!, row) !== 0) break;
      if (lower.kind === 'preceding' && Math.abs(u - v) > lower.amount) break;
      out.push(i);
    }
    return out;
  }

  /** The aggregates of the frame of the row at position i. */
  private resultAt(part: Row[], i: number): unknown[] {
    const lower = this.frame.lower;
    let from: number;
    let to = i;
    if (this.frame.mode === 'ROWS') {
      from = lower.kind === 'unbounded' ? 0 : lower.kind === 'current' ? i : Math.max(0, i - lower.amount);
    } else {
      // RANGE: every peer is in the frame, and rows up to `amount` before.
      while (to + 1 < part.length && this.cmp(part[to + 1]!, part[i]!) === 0) to++;
      from = i;
      const v = part[i]![this.orderColumn] as number;
      while (from > 0) {
        const prev = part[from - 1]!;
        if (lower.kind === 'unbounded') from--;
        else if (
          lower.kind === 'current'
            ? this.cmp(prev, part[i]!) === 0
            : Math.abs(v - (prev[this.orderColumn] as number)) <= lower.amount
        )
          from--;
        else break;
      }
    }
    const accs = this.aggs.init();
    for (let j = from; j <= to; j++) this.aggs.add(accs, part[j]!);
    return this.aggs.results(accs);
  }

  onWatermark(): void {}

  checkpoint(): void {
    for (const ks of this.dirty) {
      const p = this.parts.get(ks);
      if (p) this.ctx.state.put(`k${ks}`, p);
      else this.ctx.state.delete(`k${ks}`);
    }
    this.dirty.clear();
  }
}
