import type { AggregatorList } from '../aggregates/index.ts';
import type { Row } from '../runtime/batch.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

interface Group {
  readonly key: unknown[];
  readonly start: number;
  accs: unknown[];
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
  private readonly windows = new Map<number, Map<string, Group>>();
  private readonly dirty = new Set<string>();
  private fired = Number.MIN_SAFE_INTEGER;
  private firedDirty = false;
  private ctx!: OperatorContext;

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
      this.groupsOf(end).set(gk, g);
    }
  }

  private groupsOf(end: number): Map<string, Group> {
    let m = this.windows.get(end);
    if (!m) this.windows.set(end, (m = new Map()));
    return m;
  }

  process(rows: Row[]): void {
    for (const r of rows) {
      const start = r[this.startCol] as number;
      const end = r[this.endCol] as number;
      if (end <= this.fired) {
        this.ctx.metrics.lateRows++;
        continue;
      }
      const key = this.keyOf(r);
      const gk = `${start}|${keyString(key)}`;
      const m = this.groupsOf(end);
      let g = m.get(gk);
      if (!g) m.set(gk, (g = { key, start, accs: this.list.init() }));
      this.list.add(g.accs, r);
      this.dirty.add(`${end}|${gk}`);
    }
  }

  onWatermark(watermark: number, out: Row[]): void {
    if (watermark <= this.fired) return;
    const ends = [...this.windows.keys()].filter((e) => e <= watermark).sort((a, b) => a - b);
    for (const end of ends) {
      const m = this.windows.get(end)!;
      const groups = [...m].sort(([a, ga], [b, gb]) => ga.start - gb.start || (a < b ? -1 : a > b ? 1 : 0));
      for (const [gk, g] of groups) {
        out.push([...g.key, g.start, end, end - 1, ...this.list.results(g.accs)]);
        this.dirty.add(`${end}|${gk}`);
      }
      this.windows.delete(end);
    }
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
    for (const d of this.dirty) {
      const bar = d.indexOf('|');
      const end = Number(d.slice(0, bar));
      const gk = d.slice(bar + 1);
      const g = this.windows.get(end)?.get(gk);
      if (g) state.put(`w${d}`, [end, gk, g]);
      else state.delete(`w${d}`);
    }
    this.dirty.clear();
    if (this.firedDirty) state.put('~fired', this.fired);
    this.firedDirty = false;
  }
}
