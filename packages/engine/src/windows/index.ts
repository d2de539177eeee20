import type { WindowSpec } from '@darq/parser';
import { PlanError } from '../errors.ts';

/**
 * Window assignment for the Flink window TVFs. Windows are half-open `[start, end)` and aligned to the Unix
 * epoch plus an offset: a TUMBLE window of size s starts at every `offset + k·s` (k any integer, so negative
 * times work too). All lengths and times are milliseconds; lengths must be positive safe integers.
 */

export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

function checkLength(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new PlanError(
      'WINDOW_BAD_LENGTH',
      `window ${what} must be a positive whole number of milliseconds, got ${v}; ` +
        `write e.g. INTERVAL '10' SECOND.`,
    );
  }
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset)) {
    throw new PlanError(
      'WINDOW_BAD_OFFSET',
      `window offset must be a whole number of milliseconds, got ${offset}; write e.g. INTERVAL '1' HOUR.`,
    );
  }
}

/** `a mod n` with the sign of n (a floor modulo), so that negative times fall into the right window. */
function floorMod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r + 0;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The start of the TUMBLE window of `size` that holds time `t`.
 *
 * `tumbleStart(1_234, 500)` → 1000; `tumbleStart(-1, 500)` → -500; `tumbleStart(1_234, 500, 100)` → 1100.
 */
export function tumbleStart(t: number, size: number, offset = 0): number {
  checkLength('size', size);
  checkOffset(offset);
  return t - floorMod(t - offset, size);
}

/**
 * The starts of every HOP window (`slide` first, as Flink's `HOP(…, slide, size)`) that holds time `t`,
 * ascending. When `size` is a multiple of `slide` there are exactly size/slide of them.
 *
 * `hopWindows(1_234, 500, 1_000)` → [500, 1000] (windows [500, 1500) and [1000, 2000)).
 */
export function hopWindows(t: number, slide: number, size: number, offset = 0): number[] {
  checkLength('slide', slide);
  checkLength('size', size);
  checkOffset(offset);
  const last = t - floorMod(t - offset, slide);
  // The earliest window holding t has the smallest start s ≡ last (mod slide) with s + size > t.
  const first = last - (Math.ceil((last - t + size) / slide) - 1) * slide;
  const out: number[] = [];
  for (let s = first; s <= last; s += slide) out.push(s);
  return out;
}

/**
 * The CUMULATE windows (`step`, max `size`, size a multiple of step) that hold time `t`, by ascending end:
 * all start at the TUMBLE start of `t` for `size` and end at every step boundary after `t`.
 *
 * `cumulateWindows(1_234, 500, 2_000)` → [{ start: 0, end: 1500 }, { start: 0, end: 2000 }].
 */
export function cumulateWindows(t: number, step: number, size: number, offset = 0): TimeWindow[] {
  checkCumulate(step, size);
  const start = tumbleStart(t, size, offset);
  const out: TimeWindow[] = [];
  for (let end = start + (Math.floor((t - start) / step) + 1) * step; end <= start + size; end += step) {
    out.push({ start, end });
  }
  return out;
}

function checkCumulate(step: number, size: number): void {
  checkLength('step', step);
  checkLength('size', size);
  if (size % step !== 0) {
    throw new PlanError(
      'WINDOW_BAD_CUMULATE',
      `CUMULATE window size (${size} ms) must be a whole multiple of its step (${step} ms); ` +
        `change one of the two intervals.`,
    );
  }
}

/** Checks a window spec's lengths once, at plan time; throws a PlanError saying what to change. */
export function validateWindowSpec(spec: WindowSpec): void {
  const offset = spec.offsetMs ?? 0;
  checkOffset(offset);
  switch (spec.kind) {
    case 'TUMBLE':
      checkLength('size', need(spec, 'sizeMs'));
      return;
    case 'HOP':
      checkLength('slide', need(spec, 'slideMs'));
      checkLength('size', need(spec, 'sizeMs'));
      return;
    case 'CUMULATE':
      checkCumulate(need(spec, 'stepMs'), need(spec, 'sizeMs'));
      return;
    case 'SESSION':
      checkLength('gap', need(spec, 'gapMs'));
      return;
  }
}

function need(spec: WindowSpec, field: 'sizeMs' | 'slideMs' | 'stepMs' | 'gapMs'): number {
  const v = spec[field];
  if (v === undefined) {
    throw new PlanError(
      'WINDOW_BAD_SPEC',
      `${spec.kind} window spec has no ${field}; the planner must set it.`,
    );
  }
  return v;
}

/** The windows (TUMBLE, HOP, CUMULATE) that hold time `t`, ascending by start then end. */
export function assignWindows(t: number, spec: WindowSpec): TimeWindow[] {
  const offset = spec.offsetMs ?? 0;
  switch (spec.kind) {
    case 'TUMBLE': {
      const size = need(spec, 'sizeMs');
      const start = tumbleStart(t, size, offset);
      return [{ start, end: start + size }];
    }
    case 'HOP': {
      const size = need(spec, 'sizeMs');
      return hopWindows(t, need(spec, 'slideMs'), size, offset).map((start) => ({
        start,
        end: start + size,
      }));
    }
    case 'CUMULATE':
      return cumulateWindows(t, need(spec, 'stepMs'), need(spec, 'sizeMs'), offset);
    case 'SESSION':
      throw sessionHasNoPanes('assignWindows');
  }
}

function sessionHasNoPanes(what: string): PlanError {
  return new PlanError(
    'WINDOW_SESSION_UNALIGNED',
    `${what}: SESSION windows are not aligned to the epoch; assign them with a SessionMerger per key.`,
  );
}

/**
 * The length of the panes (slices) a window aggregate keeps one accumulator per: every window is a whole
 * number of panes and each row is in exactly one pane. TUMBLE: the size; HOP: gcd(size, slide);
 * CUMULATE: the step.
 */
export function paneSize(spec: WindowSpec): number {
  switch (spec.kind) {
    case 'TUMBLE':
      return checked('size', need(spec, 'sizeMs'));
    case 'HOP':
      return gcd(checked('size', need(spec, 'sizeMs')), checked('slide', need(spec, 'slideMs')));
    case 'CUMULATE': {
      const step = need(spec, 'stepMs');
      checkCumulate(step, need(spec, 'sizeMs'));
      return step;
    }
    case 'SESSION':
      throw sessionHasNoPanes('paneSize');
  }
}

function checked(what: string, v: number): number {
  checkLength(what, v);
  return v;
}

/** The start of the pane that holds time `t` (panes are aligned like the windows). */
export function paneStart(t: number, spec: WindowSpec): number {
  return tumbleStart(t, paneSize(spec), spec.offsetMs ?? 0);
}

/**
 * The windows a pane `[paneStart, paneStart + paneSize(spec))` contributes to, ascending. A window
 * aggregate merges the accumulators of `panesOfWindow(w.start, w.end, paneSize(spec))` to fire window w.
 */
export function windowsOfPane(paneStart: number, spec: WindowSpec): TimeWindow[] {
  return assignWindows(paneStart, spec);
}

/**
 * The starts of the panes that make up window `[start, end)`, ascending; they partition it.
 *
 * `panesOfWindow(0, 1_000, 250)` → [0, 250, 500, 750].
 */
export function panesOfWindow(start: number, end: number, pane: number): number[] {
  checkLength('pane', pane);
  if ((end - start) % pane !== 0 || end <= start) {
    throw new PlanError(
      'WINDOW_BAD_PANE',
      `window [${start}, ${end}) is not a whole number of ${pane} ms panes; use paneSize(spec) of its spec.`,
    );
  }
  const out: number[] = [];
  for (let s = start; s < end; s += pane) out.push(s);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// SESSION windows

/** An open session of one key: `[start, end)`, end = last event time + gap. `id` is stable while it lives. */
export interface Session {
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

/** What `SessionMerger.add` did: the session now holding the event, and the sessions merged into it. */
export interface SessionAssignment extends Session {
  /** True when the event opened a new session (no accumulator exists yet for `id`). */
  readonly created: boolean;
  /**
   * Ids of sessions that the event bridged into `id`, ascending by start; they no longer exist. Their
   * accumulators must be merged into `id`'s and deleted.
   */
  readonly absorbed: readonly number[];
}

/** The plain-data state of a SessionMerger, for persistence: `[id, start, end]` per open session. */
export interface SessionSnapshot {
  readonly gap: number;
  readonly nextId: number;
  readonly sessions: readonly (readonly [number, number, number])[];
}

/**
 * The open sessions of one key (or of the whole stream for a SESSION without PARTITION BY). Each event at
 * time t covers `[t, t + gap)`; overlapping intervals form one session (an event with t < end extends it;
 * t == end starts a new one, as Flink and Arroyo). Sessions are kept sorted by start.
 *
 * ```ts
 * const m = new SessionMerger(20_000);
 * m.add(0); m.add(5_000);      // one session [0, 25000)
 * m.closed(30_000);             // → [{ id: 0, start: 0, end: 25000 }], removed from m
 * ```
 * Late events are the caller's business: add() accepts any time, even one whose session already closed.
 */
export class SessionMerger {
  readonly gap: number;
  private nextId: number;
  private list: { id: number; start: number; end: number }[];

  constructor(gap: number) {
    checkLength('gap', gap);
    this.gap = gap;
    this.nextId = 0;
    this.list = [];
  }

  /** Adds an event at time t; returns the session that now holds it. */
  add(t: number): SessionAssignment {
    if (!Number.isFinite(t)) {
      throw new PlanError('WINDOW_BAD_TIME', `session event time must be a finite number, got ${t}.`);
    }
    const list = this.list;
    const end = t + this.gap;
    // First session whose end is after t: the earliest one [t, end) can overlap (ends ascend with starts).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.end > t) hi = mid;
      else lo = mid + 1;
    }
    let j = lo;
    while (j < list.length && list[j]!.start < end) j++;
    if (j === lo) {
      const s = { id: this.nextId++, start: t, end };
      list.splice(lo, 0, s);
      return { ...s, created: true, absorbed: [] };
    }
    const keep = list[lo]!;
    const absorbed: number[] = [];
    for (let k = lo + 1; k < j; k++) absorbed.push(list[k]!.id);
    keep.start = Math.min(keep.start, t);
    keep.end = Math.max(list[j - 1]!.end, end);
    if (j > lo + 1) list.splice(lo + 1, j - lo - 1);
    return { id: keep.id, start: keep.start, end: keep.end, created: false, absorbed };
  }

  /** Removes and returns the sessions with `end <= watermark` (complete: no later event can reach them). */
  closed(watermark: number): Session[] {
    const out: Session[] = [];
    const open: { id: number; start: number; end: number }[] = [];
    for (const s of this.list) (s.end <= watermark ? out : open).push(s);
    if (out.length > 0) this.list = open;
    return out.map((s) => ({ id: s.id, start: s.start, end: s.end }));
  }

  /** The open sessions, ascending by start (copies). */
  sessions(): Session[] {
    return this.list.map((s) => ({ id: s.id, start: s.start, end: s.end }));
  }

  get size(): number {
    return this.list.length;
  }

  /** The earliest end among open sessions (when the next one can close), or +Infinity. */
  nextEnd(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const s of this.list) if (s.end < min) min = s.end;
    return min;
  }

  snapshot(): SessionSnapshot {
    return { gap: this.gap, nextId: this.nextId, sessions: this.list.map((s) => [s.id, s.start, s.end]) };
  }

  static restore(snapshot: SessionSnapshot): SessionMerger {
    const m = new SessionMerger(snapshot.gap);
    m.nextId = snapshot.nextId;
    m.list = snapshot.sessions.map(([id, start, end]) => ({ id, start, end }));
    return m;
  }
}
