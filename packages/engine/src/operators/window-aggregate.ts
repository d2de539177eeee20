import type { WindowSpec } from '@darq/parser';
import { type Aggregator, type AggregatorList, aggregatorList } from '../aggregates/index.ts';
import type { Row } from '../runtime/batch.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { paneSize, windowsOfPane } from '../windows/index.ts';

/** Floor of t to a multiple of `size` (aligned at `offset`), correct for negative times. */
export function alignDown(t: number, size: number, offset = 0): number {
  const r = (t - offset) % size;
  return t - (r < 0 ? r + size : r);
}

/** Canonical string of a group key, for maps and for a deterministic output order. */
export function keyString(values: readonly unknown[]): string {
  if (values.length === 0) return '';
  if (values.length === 1) {
    const v = values[0];
    if (typeof v === 'string') return `s${v}`;
    if (typeof v === 'number') return `n${v}`;
    if (v === null || v === undefined) return 'N';
  }
  return JSON.stringify(values);
}

interface PaneEntry {
  readonly key: unknown[];
  accs: unknown[];
}

interface WindowRange {
  readonly start: number;
  readonly end: number;
}

/**
 * TUMBLE, HOP and CUMULATE window aggregates, pane-based: each row updates exactly one pane (of the greatest
 * common divisor of size and slide, or of the CUMULATE step), so the per-row cost does not grow with
 * size/slide; a window's result merges its panes when the watermark passes its end. Output rows: group keys,
 * window_start, window_end, window_time (= end - 1 ms), then the aggregates — sorted by window end, start and
 * key within one watermark advance, so output is deterministic however input was batched.
 *
 * Durable state: one row per (pane, key) with the accumulators, written at version boundaries when changed,
 * plus the watermark up to which windows have fired.
 */
export class WindowAggregateOperator implements Operator {
  private readonly pane: number;
  private readonly offset: number;
  private readonly panes = new Map<number, Map<string, PaneEntry>>();
  private readonly dirty = new Set<string>();
  private readonly deleted = new Set<string>();
  private fired = Number.MIN_SAFE_INTEGER;
  private firedDirty = false;
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly window: WindowSpec,
    private readonly timeOf: (row: Row) => unknown,
    private readonly keyOf: (row: Row) => unknown[],
    readonly aggs: readonly Aggregator[],
    private readonly lateSide?: string,
  ) {
    this.offset = window.offsetMs ?? 0;
    if (window.kind === 'SESSION') {
      throw new Error('internal error: SESSION windows are handled by the session operator');
    }
    this.pane = paneSize(window);
    this.list = aggregatorList(aggs);
  }

  private readonly list: AggregatorList;
  /** Windows of a pane, cached: a pane's windows never change. */
  private readonly windowCache = new Map<number, WindowRange[]>();

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    const wm = ctx.state.get('~fired');
    if (typeof wm === 'number') this.fired = wm;
    for (const [k, v] of ctx.state.scan('p')) {
      const [paneStart, key, accs] = v as [number, unknown[], unknown[]];
      let m = this.panes.get(paneStart);
      if (!m) this.panes.set(paneStart, (m = new Map()));
      m.set(k.slice(k.indexOf('|') + 1), { key, accs });
    }
  }

  /** Windows that contain the pane, ascending by end. */
  private windowsOfPane(paneStart: number): WindowRange[] {
    let ws = this.windowCache.get(paneStart);
    if (!ws) {
      ws = windowsOfPane(paneStart, this.window).sort((a, b) => a.end - b.end || a.start - b.start);
      if (this.windowCache.size > 4096) this.windowCache.clear();
      this.windowCache.set(paneStart, ws);
    }
    return ws;
  }

  /** The last window end a pane contributes to: a row whose pane's last window has fired is late. */
  private lastEndOfPane(paneStart: number): number {
    const ws = this.windowsOfPane(paneStart);
    return ws[ws.length - 1]!.end;
  }

  process(rows: Row[], _out: Row[]): void {
    const list = this.list;
    let late: Row[] | undefined;
    for (const row of rows) {
      const t = this.timeOf(row);
      if (typeof t !== 'number') continue;
      const paneStart = alignDown(t, this.pane, this.offset);
      if (this.lastEndOfPane(paneStart) <= this.fired) {
        this.ctx.metrics.lateRows++;
        if (this.lateSide) (late ??= []).push(row);
        continue;
      }
      const key = this.keyOf(row);
      const ks = keyString(key);
      let m = this.panes.get(paneStart);
      if (!m) this.panes.set(paneStart, (m = new Map()));
      let e = m.get(ks);
      if (!e) {
        e = { key, accs: list.init() };
        m.set(ks, e);
      }
      list.add(e.accs, row);
      const sk = `p${paneStart}|${ks}`;
      this.dirty.add(sk);
    }
    if (late && this.lateSide) this.ctx.sideOutput(this.lateSide, late);
  }

  onWatermark(watermark: number, out: Row[]): void {
    if (watermark <= this.fired) return;
    const paneStarts = [...this.panes.keys()].sort((a, b) => a - b);
    // Every window that closes now: end in (fired, watermark].
    const closing = new Map<string, WindowRange>();
    for (const p of paneStarts) {
      for (const w of this.windowsOfPane(p)) {
        if (w.end > this.fired && w.end <= watermark) closing.set(`${w.start}/${w.end}`, w);
      }
    }
    const windows = [...closing.values()].sort((a, b) => a.end - b.end || a.start - b.start);
    const list = this.list;
    for (const w of windows) {
      const merged = new Map<string, PaneEntry>();
      const single = w.end - w.start === this.pane;
      for (let p = alignDown(w.start, this.pane, this.offset); p < w.end; p += this.pane) {
        if (p + this.pane <= w.start) continue;
        const m = this.panes.get(p);
        if (!m) continue;
        for (const [ks, e] of m) {
          let cur = merged.get(ks);
          if (!cur) {
            if (single) {
              // TUMBLE: the window is its one pane; read its accumulators directly.
              merged.set(ks, e);
              continue;
            }
            cur = { key: e.key, accs: list.init() };
            merged.set(ks, cur);
          }
          list.merge(cur.accs, e.accs);
        }
      }
      const keys = [...merged.keys()].sort();
      for (const ks of keys) {
        const e = merged.get(ks)!;
        const row: Row = [...e.key, w.start, w.end, w.end - 1];
        for (const v of list.results(e.accs)) row.push(v);
        out.push(row);
      }
    }
    // Drop panes whose every window has fired.
    for (const p of paneStarts) {
      if (this.lastEndOfPane(p) <= watermark) {
        for (const ks of this.panes.get(p)!.keys()) {
          const sk = `p${p}|${ks}`;
          this.dirty.delete(sk);
          this.deleted.add(sk);
        }
        this.panes.delete(p);
      }
    }
    this.fired = watermark;
    this.firedDirty = true;
  }

  /** Every window end lies on a pane boundary: the watermark matters again at the next one. */
  nextTrigger(watermark: number): number {
    return alignDown(Math.max(watermark, this.fired), this.pane, this.offset) + this.pane;
  }

  checkpoint(): void {
    const state = this.ctx.state;
    for (const sk of this.deleted) state.delete(sk);
    this.deleted.clear();
    for (const sk of this.dirty) {
      const bar = sk.indexOf('|');
      const paneStart = Number(sk.slice(1, bar));
      const e = this.panes.get(paneStart)?.get(sk.slice(bar + 1));
      if (e) state.put(sk, [paneStart, e.key, e.accs]);
    }
    this.dirty.clear();
    if (this.firedDirty) state.put('~fired', this.fired);
    this.firedDirty = false;
  }
}
