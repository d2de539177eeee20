import type { AggregatorList } from '../aggregates/index.ts';
import type { Row } from '../runtime/batch.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

interface Group {
  readonly key: unknown[];
  readonly start: number;
  accs: unknown[];
}

/** A group and where it lives: `gk` = `<start>|<keyString>` under its window end. */
interface Held extends Group {
  readonly end: number;
  readonly gk: string;
  /** Changed in the open version (listed in `dirty`). */
  dirty: boolean;
}

/**
 * A window aggregate over rows that already carry their window (`GROUP BY window_start, window_end` over the
 * output of another window aggregate, as in NEXMark q5): rows are grouped by the key and the given
 * start/end, and each group fires when the watermark reaches its end. Output rows: keys, window_start,
 * window_end, window_time, aggregates — sorted by end, start and key.
 *
 * Durable state: accumulators per (window end, start, key), written at version boundaries when changed.
 */
export class AttachedWindowAggregateOperator implements Operator {
  private readonly windows = new Map<number, Map<string, Held>>();
  /** Groups changed in the open version; `deleted`: state keys of groups fired since the last checkpoint. */
  private dirty: Held[] = [];
  private readonly deleted = new Set<string>();
  private fired = Number.MIN_SAFE_INTEGER;
  private firedDirty = false;
  private ctx!: OperatorContext;
  /** The group of the previous row when it had no key columns (rows of one window come together). */
  private last: Held | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly startCol: number,
    private readonly endCol: number,
    private readonly keyOf: (row: Row) => unknown[],
    private readonly list: AggregatorList,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    const f = ctx.state.get('~fired');
    if (typeof f === 'number') this.fired = f;
    for (const [, v] of ctx.state.scan('w')) {
      const [end, gk, g] = v as [number, string, Group];
      this.groupsOf(end).set(gk, { key: g.key, start: g.start, accs: g.accs, end, gk, dirty: false });
    }
  }

  private groupsOf(end: number): Map<string, Held> {
    let m = this.windows.get(end);
    if (!m) this.windows.set(end, (m = new Map()));
    return m;
  }

  process(rows: Row[]): void {
    let last = this.last;
    for (const r of rows) {
      const start = r[this.startCol] as number;
      const end = r[this.endCol] as number;
      if (end <= this.fired) {
        this.ctx.metrics.lateRows++;
        continue;
      }
      const key = this.keyOf(r);
      let g: Held | undefined;
      if (key.length === 0 && last !== undefined && last.start === start && last.end === end) g = last;
      else {
        const gk = `${start}|${keyString(key)}`;
        const m = this.groupsOf(end);
        g = m.get(gk);
        if (!g) m.set(gk, (g = { key, start, accs: this.list.init(), end, gk, dirty: false }));
        last = key.length === 0 ? g : undefined;
      }
      this.list.add(g.accs, r);
      if (!g.dirty) {
        g.dirty = true;
        this.dirty.push(g);
      }
    }
    this.last = last;
  }

  onWatermark(watermark: number, out: Row[]): void {
    if (watermark <= this.fired) return;
    const ends = [...this.windows.keys()].filter((e) => e <= watermark).sort((a, b) => a - b);
    for (const end of ends) {
      const m = this.windows.get(end)!;
      const groups = [...m].sort(([a, ga], [b, gb]) => ga.start - gb.start || (a < b ? -1 : a > b ? 1 : 0));
      for (const [gk, g] of groups) {
        out.push([...g.key, g.start, end, end - 1, ...this.list.results(g.accs)]);
        this.deleted.add(`w${end}|${gk}`);
      }
      this.windows.delete(end);
    }
    this.last = undefined;
    this.fired = watermark;
    this.firedDirty = true;
  }

  nextTrigger(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const e of this.windows.keys()) if (e < min) min = e;
    return min;
  }

  checkpoint(): void {
    const state = this.ctx.state;
    for (const sk of this.deleted) state.delete(sk);
    this.deleted.clear();
    for (const g of this.dirty) {
      g.dirty = false;
      // A group fired in this version was deleted above (its window is gone from `windows`).
      if (this.windows.get(g.end)?.get(g.gk) === g) {
        state.put(`w${g.end}|${g.gk}`, [g.end, g.gk, { key: g.key, start: g.start, accs: g.accs }]);
      }
    }
    this.dirty = [];
    if (this.firedDirty) state.put('~fired', this.fired);
    this.firedDirty = false;
  }
}
