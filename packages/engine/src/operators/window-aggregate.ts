import type { WindowSpec } from '@darq/parser';
import { type Aggregator, type AggregatorList, aggregatorList } from '../aggregates/index.ts';
import type { Row } from '../runtime/batch.ts';
import { RowKind } from '../runtime/changelog.ts';
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

/** One (pane, key) group: its accumulators, state key, and whether the open version changed it. */
interface Group extends PaneEntry {
  readonly paneStart: number;
  /** `p<paneStart>|<keyString>`: its row of durable state. */
  readonly sk: string;
  dirty: boolean;
  dropped: boolean;
}

/** The groups of one pane by key string; a single number or string key is also found by value (no string). */
interface Pane {
  readonly start: number;
  /** The end of the last window the pane is part of: rows for the pane are late once that has fired. */
  readonly lastEnd: number;
  readonly groups: Map<string, Group>;
  readonly byValue: Map<unknown, Group>;
  /** The key strings, sorted (the output order), until a group is added. */
  sorted: string[] | undefined;
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
  private readonly panes = new Map<number, Pane>();
  /** Groups changed in the open version (their `dirty` flag set), written by `checkpoint`. */
  private dirty: Group[] = [];
  private readonly deleted = new Set<string>();
  /** The pane the previous row went to (rows come in time order, so mostly the same one). */
  private lastPane: Pane | undefined;
  private fired = Number.MIN_SAFE_INTEGER;
  private firedDirty = false;
  private ctx!: OperatorContext;
  /** With allowed lateness: the last row emitted per window and key (`start/end|key`), for revisions. */
  private readonly emitted = new Map<string, Row>();
  private readonly emittedDirty = new Set<string>();
  /** Fired windows that late rows changed since, to re-fire: `start/end` → range. */
  private readonly refire = new Map<string, WindowRange>();

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly window: WindowSpec,
    private readonly timeOf: (row: Row) => unknown,
    private readonly keyOf: (row: Row) => unknown[],
    readonly aggs: readonly Aggregator[],
    private readonly lateSide?: string,
    /**
     * Allowed lateness (ms): a window stays open this long after it fired; a row arriving in that time updates
     * it and re-fires it at once. The output is then a changelog: +I on the first firing, -U/+U on a revision.
     */
    private readonly lateness = 0,
    /** Windows over a PROCTIME() column fire on the wall clock (timers), not on the event-time watermark. */
    private readonly procTime = false,
    /** EMIT CHANGES: every batch that changes an open window emits its new result (a changelog). */
    private readonly emitChanges = false,
  ) {
    this.offset = window.offsetMs ?? 0;
    if (window.kind === 'SESSION') {
      throw new Error('internal error: SESSION windows are handled by the session operator');
    }
    this.pane = paneSize(window);
    this.timers = procTime;
    this.changelog = lateness > 0 || emitChanges;
    this.list = aggregatorList(aggs);
  }

  private readonly list: AggregatorList;
  readonly timers: boolean;
  /** Output is a changelog (+I, then -U/+U revisions): with allowed lateness or EMIT CHANGES. */
  private readonly changelog: boolean;
  /** Windows of a pane, cached: a pane's windows never change. */
  private readonly windowCache = new Map<number, WindowRange[]>();

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    const wm = ctx.state.get('~fired');
    if (typeof wm === 'number') this.fired = wm;
    for (const [k, v] of ctx.state.scan('e')) this.emitted.set(k.slice(1), v as Row);
    for (const [k, v] of ctx.state.scan('p')) {
      const [paneStart, key, accs] = v as [number, unknown[], unknown[]];
      this.addGroup(this.paneOf(paneStart), k.slice(k.indexOf('|') + 1), key, accs);
    }
  }

  private paneOf(start: number): Pane {
    let pane = this.panes.get(start);
    if (!pane) {
      pane = {
        start,
        lastEnd: this.lastEndOfPane(start),
        groups: new Map(),
        byValue: new Map(),
        sorted: undefined,
      };
      this.panes.set(start, pane);
    }
    return pane;
  }

  private addGroup(pane: Pane, ks: string, key: unknown[], accs: unknown[]): Group {
    const g: Group = {
      key,
      accs,
      paneStart: pane.start,
      sk: `p${pane.start}|${ks}`,
      dirty: false,
      dropped: false,
    };
    pane.groups.set(ks, g);
    if (key.length === 1) {
      const v = key[0];
      if (typeof v === 'number' || typeof v === 'string') pane.byValue.set(v, g);
    }
    pane.sorted = undefined;
    return g;
  }

  /** The group of a key in a pane, created if new: a single number or string key costs no string building. */
  private groupOf(pane: Pane, key: unknown[]): Group {
    if (key.length === 1) {
      const v = key[0];
      if (typeof v === 'number' || typeof v === 'string') {
        const g = pane.byValue.get(v);
        if (g) return g;
      }
    }
    const ks = keyString(key);
    return pane.groups.get(ks) ?? this.addGroup(pane, ks, key, this.list.init());
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

  process(rows: Row[], out: Row[]): void {
    const list = this.list;
    let late: Row[] | undefined;
    const horizon = this.fired - this.lateness;
    let pane = this.lastPane;
    for (const row of rows) {
      const t = this.timeOf(row);
      if (typeof t !== 'number') continue;
      const paneStart = alignDown(t, this.pane, this.offset);
      if (pane === undefined || pane.start !== paneStart) {
        if (this.lastEndOfPane(paneStart) <= horizon) {
          this.ctx.metrics.lateRows++;
          if (this.lateSide) (late ??= []).push(row);
          continue;
        }
        pane = this.paneOf(paneStart);
      }
      const g = this.groupOf(pane, this.keyOf(row));
      list.add(g.accs, row);
      if (!g.dirty) {
        g.dirty = true;
        this.dirty.push(g);
      }
      if (this.changelog) {
        // A row for a window that already fired (within the allowed lateness) revises it; with EMIT CHANGES
        // every window the row changed emits its new result.
        for (const w of this.windowsOfPane(paneStart)) {
          if (w.end <= this.fired || this.emitChanges) this.refire.set(`${w.start}/${w.end}`, w);
        }
      }
    }
    this.lastPane = pane;
    if (late && this.lateSide) this.ctx.sideOutput(this.lateSide, late);
    if (this.refire.size > 0) {
      const windows = [...this.refire.values()].sort((a, b) => a.end - b.end || a.start - b.start);
      this.refire.clear();
      for (const w of windows) this.emitWindow(w, out);
    }
  }

  /** Merges a window's panes per key and emits its rows (with allowed lateness: +I, or -U/+U if revised). */
  private emitWindow(w: WindowRange, out: Row[]): void {
    const list = this.list;
    const present: Pane[] = [];
    for (let p = alignDown(w.start, this.pane, this.offset); p < w.end; p += this.pane) {
      if (p + this.pane <= w.start) continue;
      const pane = this.panes.get(p);
      if (pane && pane.groups.size > 0) present.push(pane);
    }
    if (present.length === 0) return;
    let keys: string[];
    let groups: Map<string, PaneEntry>;
    if (present.length === 1) {
      // The window's only pane with rows (always so for TUMBLE): its accumulators are the window's.
      const pane = present[0]!;
      groups = pane.groups;
      keys = pane.sorted ??= [...pane.groups.keys()].sort();
    } else {
      const merged = new Map<string, PaneEntry>();
      for (const pane of present) {
        for (const [ks, e] of pane.groups) {
          let cur = merged.get(ks);
          if (!cur) {
            cur = { key: e.key, accs: list.init() };
            merged.set(ks, cur);
          }
          list.merge(cur.accs, e.accs);
        }
      }
      groups = merged;
      keys = [...merged.keys()].sort();
    }
    const start = w.start;
    const end = w.end;
    for (const ks of keys) {
      const e = groups.get(ks)!;
      const key = e.key;
      const results = list.results(e.accs);
      const row: Row = new Array(key.length + 3 + results.length);
      let i = 0;
      for (const v of key) row[i++] = v;
      row[i++] = start;
      row[i++] = end;
      row[i++] = end - 1;
      for (const v of results) row[i++] = v;
      if (!this.changelog) {
        out.push(row);
        continue;
      }
      const ek = `${w.start}/${w.end}|${ks}`;
      const before = this.emitted.get(ek);
      if (before === undefined) out.push([...row, RowKind.INSERT]);
      else if (JSON.stringify(before) !== JSON.stringify(row)) {
        out.push([...before, RowKind.UPDATE_BEFORE], [...row, RowKind.UPDATE_AFTER]);
      } else continue;
      this.emitted.set(ek, row);
      this.emittedDirty.add(ek);
    }
  }

  onWatermark(watermark: number, out: Row[]): void {
    // Processing-time windows ignore event time, except the end of input, which closes every window.
    if (this.procTime && watermark !== Number.MAX_SAFE_INTEGER) return;
    this.fire(watermark, out);
  }

  /** Processing-time windows: the wall clock closes windows. */
  onTimer(now: number, out: Row[]): void {
    if (this.procTime) this.fire(now, out);
  }

  private fire(watermark: number, out: Row[]): void {
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
    for (const w of windows) this.emitWindow(w, out);
    // Drop panes whose every window has fired (and is past its allowed lateness).
    for (const p of paneStarts) {
      const pane = this.panes.get(p)!;
      if (pane.lastEnd + this.lateness <= watermark) {
        for (const g of pane.groups.values()) {
          g.dropped = true;
          this.deleted.add(g.sk);
        }
        this.panes.delete(p);
      }
    }
    this.lastPane = undefined;
    if (this.changelog) {
      for (const ek of this.emitted.keys()) {
        const end = Number(ek.slice(ek.indexOf('/') + 1, ek.indexOf('|')));
        if (end + this.lateness <= watermark) {
          this.emitted.delete(ek);
          this.emittedDirty.add(ek);
        }
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
    for (const g of this.dirty) {
      g.dirty = false;
      if (!g.dropped) state.put(g.sk, [g.paneStart, g.key, g.accs]);
    }
    this.dirty = [];
    for (const ek of this.emittedDirty) {
      const row = this.emitted.get(ek);
      if (row) state.put(`e${ek}`, row);
      else state.delete(`e${ek}`);
    }
    this.emittedDirty.clear();
    if (this.firedDirty) state.put('~fired', this.fired);
    this.firedDirty = false;
  }
}
