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
    // Rows of one window and key often come together (a window's results, sorted): mark them dirty once.
    let lastEnd = Number.NaN;
    let lastKs = '';
    let lastSides: Sides | undefined;
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
      let s = lastSides;
      if (s === undefined || end !== lastEnd || ks !== lastKs) {
        s = this.sidesOf(end, ks);
        this.dirty.add(`${end}|${ks}`);
        lastSides = s;
        lastEnd = end;
        lastKs = ks;
      }
      (port === 0 ? s.left : s.right).push(r);
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

/** A side of a regular join's key: its rows and (under a TTL) their arrival times. */
interface KeptSide {
  rows: Row[];
  arrived: number[];
}

/**
 * Regular inner join of two append-only inputs: every row is kept per equi-join key and joined with all rows
 * of the other side seen so far, as it arrives. Append-only output. Without a TTL its state grows with its
 * inputs (the planner warns), since nothing says when a key is done; with `'table.exec.state.ttl'` a kept row
 * expires that long (processing time) after it arrived, as in Flink.
 *
 * Durable state: the rows that arrived during one version are one entry (`c<n>` → flat [port, key, row,
 * arrival, …]), written once at the version's end. Kept rows are never rewritten, so a hot key (NEXMark q7: a
 * price shared by a thousand bids) costs nothing more than a cold one, and a version costs one write however
 * many rows it kept. Under a TTL a chunk is rewritten without its expired rows, or deleted once all are.
 */
export class RegularJoinOperator implements Operator {
  private readonly keys = new Map<string, { left: KeptSide; right: KeptSide }>();
  /** Rows kept since the last checkpoint, flat: port, key, row, arrival. */
  private pending: unknown[] = [];
  private chunk = 0;
  /** Under a TTL: the written chunks (flat, as stored), to rewrite them as their rows expire. */
  private readonly chunks = new Map<number, unknown[]>();
  private readonly expiredChunks = new Set<number>();
  private horizon = Number.NEGATIVE_INFINITY;
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
    const c = ctx.state.get('~chunk');
    if (typeof c === 'number') this.chunk = c;
    const entries: [number, unknown[]][] = [];
    for (const [k, v] of ctx.state.scan('c')) entries.push([Number.parseInt(k.slice(1), 36), v as unknown[]]);
    entries.sort((a, b) => a[0] - b[0]);
    for (const [id, flat] of entries) {
      for (let i = 0; i < flat.length; i += 4) {
        const side = this.sideOf(flat[i + 1] as string, flat[i] as number);
        side.rows.push(flat[i + 2] as Row);
        if (this.ttlMs > 0) side.arrived.push(flat[i + 3] as number);
      }
      if (this.ttlMs > 0) this.chunks.set(id, flat);
    }
  }

  private sideOf(ks: string, port: number): KeptSide {
    let s = this.keys.get(ks);
    if (!s) {
      s = { left: { rows: [], arrived: [] }, right: { rows: [], arrived: [] } };
      this.keys.set(ks, s);
    }
    return port === 0 ? s.left : s.right;
  }

  /** Drops kept rows older than the TTL (checked at most every tenth of it). */
  onTimer(now: number): void {
    if (this.ttlMs <= 0 || now - this.lastSweep < this.ttlMs / 10) return;
    this.lastSweep = now;
    const horizon = now - this.ttlMs;
    this.horizon = horizon;
    for (const [ks, s] of this.keys) {
      for (const side of [s.left, s.right]) {
        // Rows of a side arrive in time order: the expired ones are a prefix.
        let n = 0;
        while (n < side.arrived.length && side.arrived[n]! <= horizon) n++;
        if (n === 0) continue;
        side.rows.splice(0, n);
        side.arrived.splice(0, n);
      }
      if (s.left.rows.length === 0 && s.right.rows.length === 0) this.keys.delete(ks);
    }
    for (const [id, flat] of this.chunks) {
      // Chunks hold rows in arrival order: the first row's arrival says whether any expired.
      if ((flat[3] as number) <= horizon) this.expiredChunks.add(id);
    }
  }

  process(rows: Row[], out: Row[], port: number): void {
    const spec = this.spec;
    const ttl = this.ttlMs > 0;
    const now = ttl ? this.clock() : 0;
    const residual = spec.residual;
    const keyFn = port === 0 ? spec.leftKey : spec.rightKey;
    const pending = this.pending;
    for (const r of rows) {
      const key = keyOf(r, keyFn);
      if (key === null) continue;
      const ks = keyString(key);
      let s = this.keys.get(ks);
      if (!s) {
        s = { left: { rows: [], arrived: [] }, right: { rows: [], arrived: [] } };
        this.keys.set(ks, s);
      }
      const others = port === 0 ? s.right.rows : s.left.rows;
      for (let i = 0; i < others.length; i++) {
        const other = others[i]!;
        const row = port === 0 ? r.concat(other) : other.concat(r);
        if (!residual || residual(row)) out.push(row);
      }
      const mine = port === 0 ? s.left : s.right;
      mine.rows.push(r);
      if (ttl) mine.arrived.push(now);
      pending.push(port, ks, r, now);
    }
  }

  onWatermark(): void {}

  checkpoint(): void {
    const state = this.ctx.state;
    const name = (id: number) => `c${id.toString(36)}`;
    for (const id of this.expiredChunks) {
      const flat = this.chunks.get(id)!;
      const live: unknown[] = [];
      for (let i = 0; i < flat.length; i += 4)
        if ((flat[i + 3] as number) > this.horizon) live.push(flat[i], flat[i + 1], flat[i + 2], flat[i + 3]);
      if (live.length === 0) {
        state.delete(name(id));
        this.chunks.delete(id);
      } else {
        state.put(name(id), live);
        this.chunks.set(id, live);
      }
    }
    this.expiredChunks.clear();
    if (this.ttlMs > 0 && this.pending.length > 0 && (this.pending[3] as number) <= this.horizon) {
      // Rows that expired before their first checkpoint are not written at all.
      const p = this.pending;
      this.pending = [];
      for (let i = 0; i < p.length; i += 4)
        if ((p[i + 3] as number) > this.horizon) this.pending.push(p[i], p[i + 1], p[i + 2], p[i + 3]);
    }
    if (this.pending.length === 0) return;
    const id = this.chunk++;
    state.put(name(id), this.pending);
    if (this.ttlMs > 0) this.chunks.set(id, this.pending);
    this.pending = [];
    state.put('~chunk', this.chunk);
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
