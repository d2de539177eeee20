import type { Aggregator } from '../aggregates/index.ts';
import type { Row } from '../runtime/batch.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

interface Session {
  start: number;
  /** Last event time + gap. */
  end: number;
  accs: unknown[];
}

interface KeyState {
  readonly key: unknown[];
  /** Open sessions of this key, disjoint, ascending by start. */
  sessions: Session[];
}

/**
 * SESSION window aggregate (Flink semantics): per group key, each row opens the window [t, t + gap); windows
 * that intersect (touching counts) merge, along with their accumulators. A session fires when the watermark
 * reaches its end; a row whose own window would already have ended (t + gap ≤ watermark) and that joins no
 * open session is late. Output rows: group keys, window_start, window_end, window_time, aggregates — sorted by
 * end, start and key within one watermark advance.
 *
 * Durable state: one row per key with its open sessions, written at version boundaries when changed.
 */
export class SessionAggregateOperator implements Operator {
  private readonly keys = new Map<string, KeyState>();
  private readonly dirty = new Set<string>();
  private fired = Number.MIN_SAFE_INTEGER;
  private firedDirty = false;
  /** A lower bound of every open session's end, to skip scans on watermarks that close nothing. */
  private minEnd = Number.MAX_SAFE_INTEGER;
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly gap: number,
    private readonly timeOf: (row: Row) => unknown,
    private readonly keyOf: (row: Row) => unknown[],
    private readonly aggs: readonly Aggregator[],
    private readonly lateSide?: string,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    const wm = ctx.state.get('~fired');
    if (typeof wm === 'number') this.fired = wm;
    for (const [k, v] of ctx.state.scan('k')) {
      const [key, sessions] = v as [unknown[], Session[]];
      this.keys.set(k.slice(1), { key, sessions });
      for (const s of sessions) if (s.end < this.minEnd) this.minEnd = s.end;
    }
  }

  process(rows: Row[], _out: Row[]): void {
    const aggs = this.aggs;
    const gap = this.gap;
    let late: Row[] | undefined;
    for (const row of rows) {
      const t = this.timeOf(row);
      if (typeof t !== 'number') continue;
      const key = this.keyOf(row);
      const ks = keyString(key);
      let st = this.keys.get(ks);
      const start = t;
      const end = t + gap;
      // Sessions intersecting [start, end] (Flink: touching windows merge).
      const sessions = st?.sessions ?? [];
      let first = -1;
      let last = -1;
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i]!;
        if (s.start <= end && s.end >= start) {
          if (first < 0) first = i;
          last = i;
        }
      }
      if (first < 0 && end <= this.fired) {
        this.ctx.metrics.lateRows++;
        if (this.lateSide) (late ??= []).push(row);
        continue;
      }
      if (!st) {
        st = { key, sessions: [] };
        this.keys.set(ks, st);
      }
      let target: Session;
      if (first < 0) {
        target = { start, end, accs: aggs.map((a) => a.init()) };
        let at = 0;
        while (at < st.sessions.length && st.sessions[at]!.start < start) at++;
        st.sessions.splice(at, 0, target);
      } else {
        target = st.sessions[first]!;
        for (let i = first + 1; i <= last; i++) {
          const other = st.sessions[i]!;
          for (let a = 0; a < aggs.length; a++)
            target.accs[a] = aggs[a]!.merge(target.accs[a], other.accs[a]);
          if (other.end > target.end) target.end = other.end;
        }
        if (last > first) st.sessions.splice(first + 1, last - first);
        if (start < target.start) target.start = start;
        if (end > target.end) target.end = end;
      }
      for (let a = 0; a < aggs.length; a++) target.accs[a] = aggs[a]!.add(target.accs[a], row);
      if (target.end < this.minEnd) this.minEnd = target.end;
      this.dirty.add(ks);
    }
    if (late && this.lateSide) this.ctx.sideOutput(this.lateSide, late);
  }

  onWatermark(watermark: number, out: Row[]): void {
    if (watermark <= this.fired) return;
    this.fired = watermark;
    this.firedDirty = true;
    if (watermark < this.minEnd) return;
    const closed: { ks: string; key: unknown[]; s: Session }[] = [];
    let minEnd = Number.MAX_SAFE_INTEGER;
    for (const [ks, st] of this.keys) {
      const keep: Session[] = [];
      for (const s of st.sessions) {
        if (s.end <= watermark) closed.push({ ks, key: st.key, s });
        else {
          keep.push(s);
          if (s.end < minEnd) minEnd = s.end;
        }
      }
      if (keep.length !== st.sessions.length) {
        st.sessions = keep;
        this.dirty.add(ks);
      }
    }
    this.minEnd = minEnd;
    closed.sort(
      (a, b) => a.s.end - b.s.end || a.s.start - b.s.start || (a.ks < b.ks ? -1 : a.ks > b.ks ? 1 : 0),
    );
    const aggs = this.aggs;
    for (const { key, s } of closed) {
      const row: Row = [...key, s.start, s.end, s.end - 1];
      for (let i = 0; i < aggs.length; i++) row.push(aggs[i]!.result(s.accs[i]));
      out.push(row);
    }
  }

  nextTrigger(_watermark: number): number {
    return this.minEnd === Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : this.minEnd;
  }

  checkpoint(): void {
    const state = this.ctx.state;
    for (const ks of this.dirty) {
      const st = this.keys.get(ks);
      if (!st || st.sessions.length === 0) {
        state.delete(`k${ks}`);
        this.keys.delete(ks);
      } else {
        state.put(`k${ks}`, [st.key, st.sessions]);
      }
    }
    this.dirty.clear();
    if (this.firedDirty) state.put('~fired', this.fired);
    this.firedDirty = false;
  }
}
