import type { Row } from '../runtime/batch.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

interface Sides {
  readonly left: Row[];
  readonly right: Row[];
}

export interface JoinSpec {
  readonly kind: 'inner' | 'left' | 'right' | 'full';
  readonly leftWidth: number;
  readonly rightWidth: number;
  /**
   * Equi-join key of a row of each side: columns or expressions over that side alone (`MOD(b.auction, 10000)
   * = s.key`); the two lists line up.
   */
  readonly leftKey: (row: Row) => unknown[];
  readonly rightKey: (row: Row) => unknown[];
  /** Whether there is any equi-join key (none: every row meets every row). */
  readonly keyed: boolean;
  /** The rest of the condition, over left ++ right. */
  readonly residual?: (row: Row) => boolean;
}

export function keyOf(row: Row, fn: (row: Row) => unknown[]): unknown[] | null {
  const k = fn(row);
  // SQL equality: a NULL key matches nothing.
  return k.some((v) => v === null || v === undefined) ? null : k;
}

/** Joins the rows of one key of one window (or of a regular join's key) and emits the matches. */
function joinRows(spec: JoinSpec, left: Row[], right: Row[], out: Row[]): void {
  const leftMatched =
    spec.kind === 'left' || spec.kind === 'full' ? new Array<boolean>(left.length).fill(false) : null;
  const rightMatched =
    spec.kind === 'right' || spec.kind === 'full' ? new Array<boolean>(right.length).fill(false) : null;
  for (let i = 0; i < left.length; i++) {
    for (let j = 0; j < right.length; j++) {
      const row = [...left[i]!, ...right[j]!];
      if (spec.residual && !spec.residual(row)) continue;
      out.push(row);
      if (leftMatched) leftMatched[i] = true;
      if (rightMatched) rightMatched[j] = true;
    }
  }
  if (leftMatched) {
    const pad = new Array(spec.rightWidth).fill(null);
    for (let i = 0; i < left.length; i++) if (!leftMatched[i]) out.push([...left[i]!, ...pad]);
  }
  if (rightMatched) {
    const pad = new Array(spec.leftWidth).fill(null);
    for (let j = 0; j < right.length; j++) if (!rightMatched[j]) out.push([...pad, ...right[j]!]);
  }
}

/**
 * Window join: both inputs are windowed (their window_start/window_end columns are equated by the join); rows
 * of a window are held per equi-join key until the watermark passes the window's end, then joined — inner or
 * outer, outer rows padded with NULLs. Append-only output; state is freed as windows close.
 *
 * Durable state: held rows per (window end, key), written at version boundaries when changed.
 */
export class WindowJoinOperator implements Operator {
  private readonly windows = new Map<number, Map<string, Sides>>();
  private readonly dirty = new Set<string>();
  private fired = Number.MIN_SAFE_INTEGER;
  /** Numbers rows with a NULL key, which match nothing and so each get a key of their own. */
  private nullSeq = 0;
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: JoinSpec,
    private readonly leftEnd: number,
    private readonly rightEnd: number,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    const f = ctx.state.get('~fired');
    if (typeof f === 'number') this.fired = f;
    const n = ctx.state.get('~null');
    if (typeof n === 'number') this.nullSeq = n;
    for (const [k, v] of ctx.state.scan('w')) {
      const [end, ks, sides] = v as [number, string, Sides];
      this.sidesOf(end, ks, sides);
      void k;
    }
  }

  private sidesOf(end: number, ks: string, init?: Sides): Sides {
    let m = this.windows.get(end);
    if (!m) this.windows.set(end, (m = new Map()));
    let s = m.get(ks);
    if (!s) m.set(ks, (s = init ?? { left: [], right: [] }));
    return s;
  }

  process(rows: Row[], _out: Row[], port: number): void {
    const spec = this.spec;
    const keys = port === 0 ? spec.leftKey : spec.rightKey;
    const endCol = port === 0 ? this.leftEnd : this.rightEnd;
    for (const r of rows) {
      const end = r[endCol] as number;
      if (end <= this.fired) {
        this.ctx.metrics.lateRows++;
        continue;
      }
      const key = keyOf(r, keys);
      // A NULL key joins nothing; outer joins still emit it padded, under its own unique key.
      if (key === null) this.dirty.add('~fired');
      const ks = key === null ? `null:${this.nullSeq++}` : keyString(key);
      const s = this.sidesOf(end, ks);
      (port === 0 ? s.left : s.right).push(r);
      this.dirty.add(`${end}|${ks}`);
    }
  }

  onWatermark(watermark: number, out: Row[]): void {
    if (watermark <= this.fired) return;
    const ends = [...this.windows.keys()].filter((e) => e <= watermark).sort((a, b) => a - b);
    for (const end of ends) {
      const m = this.windows.get(end)!;
      for (const ks of [...m.keys()].sort()) {
        const s = m.get(ks)!;
        joinRows(this.spec, s.left, s.right, out);
        this.dirty.add(`${end}|${ks}`);
      }
      this.windows.delete(end);
    }
    this.fired = watermark;
    this.dirty.add('~fired');
  }

  checkpoint(): void {
    const state = this.ctx.state;
    for (const d of this.dirty) {
      if (d === '~fired') {
        state.put('~fired', this.fired);
        state.put('~null', this.nullSeq);
        continue;
      }
      const bar = d.indexOf('|');
      const end = Number(d.slice(0, bar));
      const ks = d.slice(bar + 1);
      const s = this.windows.get(end)?.get(ks);
      if (s) state.put(`w${d}`, [end, ks, s]);
      else state.delete(`w${d}`);
    }
    this.dirty.clear();
  }
}

/**
 * Regular inner join of two append-only inputs: every row is kept per equi-join key and joined with all rows
 * of the other side seen so far, as it arrives. Append-only output. Without a TTL its state grows with its
 * inputs (the planner warns), since nothing says when a key is done; with `'table.exec.state.ttl'` a kept row
 * expires that long (processing time) after it arrived, as in Flink.
 *
 * Durable state: both sides' rows per key (with their arrival times under a TTL), written at version
 * boundaries when changed.
 */
export class RegularJoinOperator implements Operator {
  private readonly keys = new Map<string, Sides>();
  private readonly dirty = new Set<string>();
  /** Arrival (wall-clock) time of each kept row, parallel to the sides' arrays, under a TTL. */
  private readonly arrived = new Map<string, { left: number[]; right: number[] }>();
  private lastSweep = 0;
  private ctx!: OperatorContext;
  readonly timers: boolean;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: JoinSpec,
    private readonly ttlMs = 0,
    private readonly clock: () => number = Date.now,
  ) {
    this.timers = ttlMs > 0;
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    for (const [k, v] of ctx.state.scan('k')) {
      const { left, right, tl, tr } = v as Sides & { tl?: number[]; tr?: number[] };
      this.keys.set(k.slice(1), { left, right });
      if (this.ttlMs > 0)
        this.arrived.set(k.slice(1), { left: tl ?? left.map(() => 0), right: tr ?? right.map(() => 0) });
    }
  }

  /** Drops kept rows older than the TTL (checked at most every tenth of it). */
  onTimer(now: number): void {
    if (this.ttlMs <= 0 || now - this.lastSweep < this.ttlMs / 10) return;
    this.lastSweep = now;
    const horizon = now - this.ttlMs;
    for (const [ks, t] of this.arrived) {
      const s = this.keys.get(ks)!;
      const keepL = t.left.map((a) => a > horizon);
      const keepR = t.right.map((a) => a > horizon);
      if (keepL.every(Boolean) && keepR.every(Boolean)) continue;
      const left = s.left.filter((_, i) => keepL[i]);
      const right = s.right.filter((_, i) => keepR[i]);
      this.dirty.add(ks);
      if (left.length === 0 && right.length === 0) {
        this.keys.delete(ks);
        this.arrived.delete(ks);
        continue;
      }
      this.keys.set(ks, { left, right });
      this.arrived.set(ks, {
        left: t.left.filter((a) => a > horizon),
        right: t.right.filter((a) => a > horizon),
      });
    }
  }

  process(rows: Row[], out: Row[], port: number): void {
    const spec = this.spec;
    const now = this.ttlMs > 0 ? this.clock() : 0;
    for (const r of rows) {
      const key = keyOf(r, port === 0 ? spec.leftKey : spec.rightKey);
      if (key === null) continue;
      const ks = keyString(key);
      let s = this.keys.get(ks);
      if (!s) this.keys.set(ks, (s = { left: [], right: [] }));
      if (port === 0) {
        for (const other of s.right) {
          const row = [...r, ...other];
          if (!spec.residual || spec.residual(row)) out.push(row);
        }
        s.left.push(r);
        if (this.ttlMs > 0) this.arrivals(ks).left.push(now);
      } else {
        for (const other of s.left) {
          const row = [...other, ...r];
          if (!spec.residual || spec.residual(row)) out.push(row);
        }
        s.right.push(r);
        if (this.ttlMs > 0) this.arrivals(ks).right.push(now);
      }
      this.dirty.add(ks);
    }
  }

  private arrivals(ks: string): { left: number[]; right: number[] } {
    let a = this.arrived.get(ks);
    if (!a) this.arrived.set(ks, (a = { left: [], right: [] }));
    return a;
  }

  onWatermark(): void {}

  checkpoint(): void {
    for (const ks of this.dirty) {
      const s = this.keys.get(ks);
      if (!s) this.ctx.state.delete(`k${ks}`);
      else if (this.ttlMs > 0) {
        const a = this.arrived.get(ks);
        this.ctx.state.put(`k${ks}`, { ...s, tl: a?.left ?? [], tr: a?.right ?? [] });
      } else this.ctx.state.put(`k${ks}`, s);
    }
    this.dirty.clear();
  }
}

interface Kept {
  row: Row;
  matched: boolean;
}

/**
 * Interval join: `r.t BETWEEN l.t + lower AND l.t + upper` (plus equi-join keys). Both sides are kept per key
 * only as long as a future row of the other side could still match them: with watermark W (rows to come have
 * times ≥ W), a left row is done once l.t + upper < W and a right row once r.t − lower < W. Then it is dropped —
 * or, for the outer side of an outer join, emitted padded with NULLs if it never matched. Append-only output;
 * state bounded by the interval.
 *
 * Durable state: the kept rows per key and side, written at version boundaries when changed.
 */
export class IntervalJoinOperator implements Operator {
  private readonly keys = new Map<string, { left: Kept[]; right: Kept[] }>();
  private readonly dirty = new Set<string>();
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: JoinSpec,
    private readonly leftTime: number,
    private readonly rightTime: number,
    private readonly lowerMs: number,
    private readonly upperMs: number,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    for (const [k, v] of ctx.state.scan('k')) this.keys.set(k.slice(1), v as { left: Kept[]; right: Kept[] });
  }

  process(rows: Row[], out: Row[], port: number): void {
    const spec = this.spec;
    for (const r of rows) {
      const key = keyOf(r, port === 0 ? spec.leftKey : spec.rightKey);
      if (key === null) {
        // A NULL key matches nothing; an outer side still shows the row.
        if (port === 0 && (spec.kind === 'left' || spec.kind === 'full'))
          out.push([...r, ...new Array(spec.rightWidth).fill(null)]);
        if (port === 1 && (spec.kind === 'right' || spec.kind === 'full'))
          out.push([...new Array(spec.leftWidth).fill(null), ...r]);
        continue;
      }
      const ks = keyString(key);
      let s = this.keys.get(ks);
      if (!s) this.keys.set(ks, (s = { left: [], right: [] }));
      const mine: Kept = { row: r, matched: false };
      if (port === 0) {
        const tl = r[this.leftTime] as number;
        for (const o of s.right) {
          const tr = o.row[this.rightTime] as number;
          if (tr < tl + this.lowerMs || tr > tl + this.upperMs) continue;
          const row = [...r, ...o.row];
          if (spec.residual && !spec.residual(row)) continue;
          out.push(row);
          mine.matched = true;
          o.matched = true;
        }
        s.left.push(mine);
      } else {
        const tr = r[this.rightTime] as number;
        for (const o of s.left) {
          const tl = o.row[this.leftTime] as number;
          if (tr < tl + this.lowerMs || tr > tl + this.upperMs) continue;
          const row = [...o.row, ...r];
          if (spec.residual && !spec.residual(row)) continue;
          out.push(row);
          mine.matched = true;
          o.matched = true;
        }
        s.right.push(mine);
      }
      this.dirty.add(ks);
    }
  }

  onWatermark(watermark: number, out: Row[]): void {
    const spec = this.spec;
    const padLeft = spec.kind === 'left' || spec.kind === 'full';
    const padRight = spec.kind === 'right' || spec.kind === 'full';
    for (const ks of [...this.keys.keys()].sort()) {
      const s = this.keys.get(ks)!;
      const left = s.left.filter((k) => {
        const done = (k.row[this.leftTime] as number) + this.upperMs < watermark;
        if (done && padLeft && !k.matched) out.push([...k.row, ...new Array(spec.rightWidth).fill(null)]);
        return !done;
      });
      const right = s.right.filter((k) => {
        const done = (k.row[this.rightTime] as number) - this.lowerMs < watermark;
        if (done && padRight && !k.matched) out.push([...new Array(spec.leftWidth).fill(null), ...k.row]);
        return !done;
      });
      if (left.length === s.left.length && right.length === s.right.length) continue;
      this.dirty.add(ks);
      if (left.length === 0 && right.length === 0) this.keys.delete(ks);
      else this.keys.set(ks, { left, right });
    }
  }

  checkpoint(): void {
    for (const ks of this.dirty) {
      const s = this.keys.get(ks);
      if (s) this.ctx.state.put(`k${ks}`, s);
      else this.ctx.state.delete(`k${ks}`);
    }
    this.dirty.clear();
  }
}
