import { type Aggregator, type AggregatorList, aggregatorList, type Row } from '../aggregates/index.ts';
import { PlanError } from '../errors.ts';
import { SessionMerger, type SessionSnapshot } from './index.ts';

/** One closed session of one key, ready to be emitted: key columns, bounds and aggregate results. */
export interface SessionResult {
  readonly key: readonly unknown[];
  readonly start: number;
  readonly end: number;
  readonly values: unknown[];
}

/** The plain-data state of one key's open sessions and their accumulators, for a state table row. */
export interface SessionKeySnapshot {
  readonly key: readonly unknown[];
  readonly sessions: SessionSnapshot;
  /** [session id, one accumulator per aggregate] */
  readonly accs: readonly (readonly [number, unknown[]])[];
}

interface KeyState {
  readonly key: readonly unknown[];
  readonly merger: SessionMerger;
  readonly accs: Map<number, unknown[]>;
}

/**
 * The state of a SESSION window aggregate: per key (a canonical key string chosen by the caller), the
 * open sessions and one accumulator list per session. Sessions merge as events bridge them, and their
 * accumulators merge with them (in start order). A session fires once the watermark reaches its end.
 *
 * ```ts
 * const s = new SessionAggregates(20_000, aggs);
 * s.add('n7', [7], row.ts, row);             // per input row (drop late rows first)
 * out.push(...s.fire(watermark));           // per watermark advance: closed sessions, by end, start, key
 * for (const k of s.takeDirty()) state.put(k, s.snapshot(k)); // snapshot undefined → delete the row
 * ```
 * `fire` pops candidates from a heap of session ends, so its cost follows the sessions that close, not the
 * number of keys.
 */
export class SessionAggregates {
  private readonly keys = new Map<string, KeyState>();
  private readonly dirty = new Set<string>();
  /** Min-heap of [end, key string]; entries go stale when sessions grow or merge, and are skipped then. */
  private readonly heap: [number, string][] = [];
  private readonly list: AggregatorList;

  constructor(
    readonly gap: number,
    aggs: readonly Aggregator[],
  ) {
    this.list = aggregatorList(aggs);
    new SessionMerger(gap); // validates the gap
    for (const a of aggs) {
      if (!a.mergeable) {
        throw new PlanError(
          'WINDOW_SESSION_NEEDS_MERGE',
          `aggregate ${a.fn} (output ${a.name}) has no merge, which SESSION windows need to join sessions; ` +
            `add merge(a, b) to the UDAF module.`,
        );
      }
    }
  }

  /** Adds one row at time `t` to the sessions of key `ks`. */
  add(ks: string, key: readonly unknown[], t: number, row: Row): void {
    let st = this.keys.get(ks);
    if (st === undefined) {
      st = { key, merger: new SessionMerger(this.gap), accs: new Map() };
      this.keys.set(ks, st);
    }
    const list = this.list;
    const s = st.merger.add(t);
    let accs = st.accs.get(s.id);
    if (accs === undefined) {
      accs = list.init();
      st.accs.set(s.id, accs);
    }
    for (const id of s.absorbed) {
      list.merge(accs, st.accs.get(id)!);
      st.accs.delete(id);
    }
    list.add(accs, row);
    if (s.created || s.absorbed.length > 0 || s.end === t + this.gap) this.push(s.end, ks);
    this.dirty.add(ks);
  }

  /** Removes and returns every session with `end <= watermark`, ordered by end, start, then key string. */
  fire(watermark: number): SessionResult[] {
    const ready = new Set<string>();
    while (this.heap.length > 0 && this.heap[0]![0] <= watermark) ready.add(this.pop()[1]);
    const out: (SessionResult & { ks: string })[] = [];
    for (const ks of ready) {
      const st = this.keys.get(ks);
      if (st === undefined) continue;
      const closed = st.merger.closed(watermark);
      if (closed.length === 0) continue;
      for (const s of closed) {
        const accs = st.accs.get(s.id)!;
        st.accs.delete(s.id);
        out.push({
          ks,
          key: st.key,
          start: s.start,
          end: s.end,
          values: this.list.results(accs),
        });
      }
      if (st.merger.size === 0) this.keys.delete(ks);
      this.dirty.add(ks);
    }
    out.sort((a, b) => a.end - b.end || a.start - b.start || (a.ks < b.ks ? -1 : a.ks > b.ks ? 1 : 0));
    return out.map(({ key, start, end, values }) => ({ key, start, end, values }));
  }

  /** Keys changed since the last call (by `add` or `fire`); the caller writes `snapshot(k)` for each. */
  takeDirty(): string[] {
    const keys = [...this.dirty];
    this.dirty.clear();
    return keys;
  }

  /** The plain-data state of a key, or undefined when it has no open session (delete its state row). */
  snapshot(ks: string): SessionKeySnapshot | undefined {
    const st = this.keys.get(ks);
    if (st === undefined) return undefined;
    return { key: st.key, sessions: st.merger.snapshot(), accs: [...st.accs] };
  }

  /** Restores one key from its snapshot (on open, from the state table). */
  restore(ks: string, snap: SessionKeySnapshot): void {
    const merger = SessionMerger.restore(snap.sessions);
    this.keys.set(ks, { key: snap.key, merger, accs: new Map(snap.accs.map(([id, a]) => [id, a])) });
    for (const s of merger.sessions()) this.push(s.end, ks);
  }

  /** Number of keys with open sessions. */
  get openKeys(): number {
    return this.keys.size;
  }

  private push(end: number, ks: string): void {
    const h = this.heap;
    h.push([end, ks]);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]![0] <= h[i]![0]) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): [number, string] {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]![0] < h[m]![0]) m = l;
        if (r < h.length && h[r]![0] < h[m]![0]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
