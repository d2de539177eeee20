import type { AggCall, WindowSpec } from '@darq/parser';
import { fc, testProp } from '@fast-check/ava';
import test from 'ava';
import { pack, unpack } from 'msgpackr';
import { type Aggregator, createAggregator } from '../src/aggregates/index.ts';
import { EngineError } from '../src/errors.ts';
import {
  assignWindows,
  cumulateWindows,
  hopWindows,
  paneSize,
  paneStart,
  panesOfWindow,
  SessionMerger,
  type SessionSnapshot,
  tumbleStart,
  validateWindowSpec,
  windowsOfPane,
} from '../src/windows/index.ts';
import { SessionAggregates, type SessionKeySnapshot } from '../src/windows/session-aggregates.ts';

// The long form (`pnpm test:long`) runs every property 50 times as often.
fc.configureGlobal({ numRuns: process.env.DARQ_LONG === '1' ? 5_000 : 100 });

const time = fc.integer({ min: -1e13, max: 1e13 });
const length = fc.integer({ min: 1, max: 100_000 });
const offset = fc.integer({ min: -200_000, max: 200_000 });

const floorMod = (a: number, n: number) => ((a % n) + n) % n;

testProp(
  'TUMBLE: start <= t < start + size, aligned to the offset',
  [time, length, offset],
  (t, ts, size, off) => {
    const s = tumbleStart(ts, size, off);
    t.true(s <= ts && ts < s + size);
    t.is(floorMod(s - off, size), 0);
    t.is(tumbleStart(ts, size), ts - floorMod(ts, size));
  },
);

testProp(
  'HOP: an event is in exactly size/slide windows, each holding it',
  [time, fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 20 }), offset],
  (t, ts, slide, k, off) => {
    const size = slide * k;
    const starts = hopWindows(ts, slide, size, off);
    t.is(starts.length, k);
    for (const [i, s] of starts.entries()) {
      t.true(s <= ts && ts < s + size);
      t.is(floorMod(s - off, slide), 0);
      if (i > 0) t.is(s - starts[i - 1]!, slide);
    }
  },
);

testProp(
  'HOP with a size that is not a multiple of the slide: every aligned window holding t',
  [
    fc.integer({ min: -100_000, max: 100_000 }),
    fc.integer({ min: 1, max: 50 }),
    fc.integer({ min: 1, max: 300 }),
    offset,
  ],
  (t, ts, slide, size, off) => {
    const brute: number[] = [];
    for (let s = ts - size - slide; s <= ts; s++) {
      if (floorMod(s - off, slide) === 0 && s <= ts && ts < s + size) brute.push(s);
    }
    t.deepEqual(hopWindows(ts, slide, size, off), brute);
  },
);

testProp(
  'CUMULATE: windows share the TUMBLE start and end at every step boundary after t',
  [time, fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 20 }), offset],
  (t, ts, step, k, off) => {
    const size = step * k;
    const ws = cumulateWindows(ts, step, size, off);
    const start = tumbleStart(ts, size, off);
    t.is(ws.length, k - Math.floor((ts - start) / step));
    t.is(ws.at(-1)!.end, start + size);
    for (const w of ws) {
      t.is(w.start, start);
      t.true(w.start <= ts && ts < w.end);
      t.is((w.end - w.start) % step, 0);
    }
  },
);

const spec = fc.oneof(
  fc
    .record({ kind: fc.constant('TUMBLE' as const), size: length, off: offset })
    .map((r): WindowSpec => ({ kind: r.kind, timeColumn: 0, sizeMs: r.size, offsetMs: r.off })),
  fc
    .record({
      unit: fc.integer({ min: 1, max: 1_000 }),
      a: fc.integer({ min: 1, max: 20 }),
      b: fc.integer({ min: 1, max: 40 }),
      off: offset,
    })
    .map(
      (r): WindowSpec => ({
        kind: 'HOP',
        timeColumn: 0,
        slideMs: r.unit * r.a,
        sizeMs: r.unit * r.b,
        offsetMs: r.off,
      }),
    ),
  fc
    .record({
      kind: fc.constant('CUMULATE' as const),
      step: fc.integer({ min: 1, max: 5_000 }),
      k: fc.integer({ min: 1, max: 12 }),
      off: offset,
    })
    .map(
      (r): WindowSpec => ({
        kind: r.kind,
        timeColumn: 0,
        stepMs: r.step,
        sizeMs: r.step * r.k,
        offsetMs: r.off,
      }),
    ),
);

testProp(
  'panes: a window is partitioned by its panes, and a pane feeds exactly the windows of its rows',
  [time, spec],
  (t, ts, s) => {
    validateWindowSpec(s);
    const pane = paneSize(s);
    const p = paneStart(ts, s);
    t.true(p <= ts && ts < p + pane);
    const windows = assignWindows(ts, s);
    t.deepEqual(windowsOfPane(p, s), windows);
    for (const w of windows) {
      const panes = panesOfWindow(w.start, w.end, pane);
      t.is(panes[0], w.start);
      t.is(panes.at(-1)! + pane, w.end);
      for (let i = 1; i < panes.length; i++) t.is(panes[i]! - panes[i - 1]!, pane);
      t.true(panes.includes(p));
    }
  },
);

// ---------------------------------------------------------------------------------------------------------
// Sessions

/** The reference: sort the times, split wherever two neighbours are `gap` or more apart. */
function referenceSessions(
  times: readonly number[],
  gap: number,
): { start: number; end: number; times: number[] }[] {
  const sorted = [...times].sort((a, b) => a - b);
  const out: { start: number; end: number; times: number[] }[] = [];
  for (const t of sorted) {
    const last = out.at(-1);
    if (last && t - last.times.at(-1)! < gap) {
      last.times.push(t);
      last.end = t + gap;
    } else {
      out.push({ start: t, end: t + gap, times: [t] });
    }
  }
  return out;
}

/** Drives a merger the way a session operator does: one accumulator (here, the list of times) per session id. */
function driveSessions(merger: SessionMerger, times: readonly number[], accs: Map<number, number[]>) {
  for (const t of times) {
    const a = merger.add(t);
    const acc = accs.get(a.id) ?? [];
    if (a.created) accs.set(a.id, acc);
    for (const id of a.absorbed) {
      acc.push(...accs.get(id)!);
      accs.delete(id);
    }
    acc.push(t);
  }
}

testProp(
  'sessions equal the sorted reference whatever the arrival order, across snapshot/restore',
  [
    fc.array(fc.integer({ min: -5_000, max: 5_000 }), { maxLength: 60 }),
    fc.integer({ min: 1, max: 500 }),
    fc.nat(),
  ],
  (t, times, gap, cut) => {
    const at = times.length === 0 ? 0 : cut % (times.length + 1);
    const accs = new Map<number, number[]>();
    let merger = new SessionMerger(gap);
    driveSessions(merger, times.slice(0, at), accs);
    const snap = unpack(pack(merger.snapshot())) as SessionSnapshot;
    t.deepEqual(snap, merger.snapshot());
    merger = SessionMerger.restore(snap);
    driveSessions(merger, times.slice(at), accs);
    const open = merger.sessions();
    for (let i = 1; i < open.length; i++) t.true(open[i - 1]!.end <= open[i]!.start);
    const closed = merger.closed(Number.POSITIVE_INFINITY);
    t.is(merger.size, 0);
    const want = referenceSessions(times, gap);
    t.deepEqual(
      closed.map((s) => ({ start: s.start, end: s.end, times: accs.get(s.id)!.sort((a, b) => a - b) })),
      want,
    );
  },
);

testProp(
  'closed(watermark) removes exactly the sessions ending at or before it',
  [
    fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 40 }),
    fc.integer({ min: 1, max: 800 }),
    fc.integer({ min: 0, max: 12_000 }),
  ],
  (t, times, gap, watermark) => {
    const merger = new SessionMerger(gap);
    for (const ts of times) merger.add(ts);
    const before = merger.sessions();
    const nextEnd = merger.nextEnd();
    const closed = merger.closed(watermark);
    t.deepEqual(
      closed,
      before.filter((s) => s.end <= watermark),
    );
    t.deepEqual(
      merger.sessions(),
      before.filter((s) => s.end > watermark),
    );
    t.is(closed.length > 0, nextEnd <= watermark);
  },
);

test('a session extends while t < end; t == end starts a new one', (t) => {
  const m = new SessionMerger(10);
  t.like(m.add(0), { start: 0, end: 10, created: true });
  t.like(m.add(9), { start: 0, end: 19, created: false });
  t.like(m.add(19), { start: 19, end: 29, created: true });
  t.like(m.add(40), { created: true });
  // 25 overlaps [19, 29) and reaches 35; 31 bridges [19, 35) and [40, 50).
  t.like(m.add(25), { start: 19, end: 35, created: false, absorbed: [] });
  t.like(m.add(31), { start: 19, end: 50, created: false, absorbed: [2] });
  t.deepEqual(
    m.sessions().map((s) => [s.start, s.end]),
    [
      [0, 19],
      [19, 50],
    ],
  );
  t.deepEqual(m.closed(19), [{ id: 0, start: 0, end: 19 }]);
});

// ---------------------------------------------------------------------------------------------------------
// Arroyo's golden behaviours (conformance/arroyo/README.md)

const impulse = Array.from({ length: 100 }, (_, i) => Date.parse('2023-10-09T17:13:20.000Z') + 200 * i);
const iso = (ms: number) => new Date(ms).toISOString();

test('session_window and global_session_window: Arroyo golden sessions', (t) => {
  const byKey = new Map<number, SessionMerger>();
  impulse.forEach((ts, counter) => {
    const key = counter % 10 === 0 ? 0 : counter;
    if (!byKey.has(key)) byKey.set(key, new SessionMerger(20_000));
    byKey.get(key)!.add(ts);
  });
  const sessions = [...byKey.values()].flatMap((m) => m.closed(Number.POSITIVE_INFINITY));
  t.is(sessions.length, 91);
  const user0 = byKey.get(0)!;
  t.is(user0.size, 0);
  const zero = sessions.find((s) => s.end - s.start > 20_000)!;
  t.is(iso(zero.start), '2023-10-09T17:13:20.000Z');
  t.is(iso(zero.end), '2023-10-09T17:13:58.000Z');
  const global = new SessionMerger(20_000);
  for (const ts of impulse) global.add(ts);
  t.deepEqual(
    global.closed(Number.POSITIVE_INFINITY).map((s) => [iso(s.start), iso(s.end)]),
    [['2023-10-09T17:13:20.000Z', '2023-10-09T17:13:59.800Z']],
  );
});

test('sliding_window_end: HOP 2 s / 10 s over impulse gives 14 windows, the first 17:13:12–22 with 10 rows', (t) => {
  const counts = new Map<number, number>();
  for (const ts of impulse)
    for (const s of hopWindows(ts, 2_000, 10_000)) counts.set(s, (counts.get(s) ?? 0) + 1);
  const starts = [...counts.keys()].sort((a, b) => a - b);
  t.is(starts.length, 14);
  t.is(iso(starts[0]!), '2023-10-09T17:13:12.000Z');
  t.is(counts.get(starts[0]!), 10);
  t.is(iso(starts.at(-1)!), '2023-10-09T17:13:38.000Z');
});

test('month_loose_watermark: a 30-day TUMBLE is epoch-aligned', (t) => {
  const day = 86_400_000;
  t.is(iso(tumbleStart(Date.parse('2023-09-18T14:23:10Z'), 30 * day)), '2023-08-21T00:00:00.000Z');
  t.is(tumbleStart(-1, 500), -500);
  t.is(tumbleStart(1_234, 500, 100), 1_100);
  t.deepEqual(hopWindows(1_234, 500, 1_000), [500, 1_000]);
  t.deepEqual(cumulateWindows(1_234, 500, 2_000), [
    { start: 0, end: 1_500 },
    { start: 0, end: 2_000 },
  ]);
  t.deepEqual(panesOfWindow(0, 1_000, 250), [0, 250, 500, 750]);
  t.is(paneSize({ kind: 'HOP', timeColumn: 0, slideMs: 600, sizeMs: 1_000 }), 200);
});

test('bad window lengths get coded errors that say how to fix them', (t) => {
  const code = (f: () => unknown) => (t.throws(f, { instanceOf: EngineError }) as EngineError).code;
  t.is(
    code(() => tumbleStart(0, 0)),
    'WINDOW_BAD_LENGTH',
  );
  t.is(
    code(() => hopWindows(0, 1.5, 10)),
    'WINDOW_BAD_LENGTH',
  );
  t.is(
    code(() => tumbleStart(0, 10, 0.5)),
    'WINDOW_BAD_OFFSET',
  );
  t.is(
    code(() => cumulateWindows(0, 3, 10)),
    'WINDOW_BAD_CUMULATE',
  );
  t.is(
    code(() => panesOfWindow(0, 10, 3)),
    'WINDOW_BAD_PANE',
  );
  t.is(
    code(() => paneSize({ kind: 'SESSION', timeColumn: 0, gapMs: 5 })),
    'WINDOW_SESSION_UNALIGNED',
  );
  t.is(
    code(() => validateWindowSpec({ kind: 'HOP', timeColumn: 0, sizeMs: 5 })),
    'WINDOW_BAD_SPEC',
  );
  t.is(
    code(() => new SessionMerger(-1)),
    'WINDOW_BAD_LENGTH',
  );
  t.is(
    code(() => new SessionMerger(5).add(Number.NaN)),
    'WINDOW_BAD_TIME',
  );
  t.regex(t.throws(() => cumulateWindows(0, 3, 10))!.message, /whole multiple of its step/);
});

// ---------------------------------------------------------------------------------------------------------
// SESSION window aggregates

function sessionAggs(): Aggregator[] {
  const SPAN = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
  const BIGINT = { kind: 'BIGINT' } as const;
  const call = (fn: string, args: number[]): AggCall => ({
    kind: 'AggCall',
    fn,
    args: args.map((index) => ({ kind: 'ColumnRef', index, name: `c${index}`, type: BIGINT, span: SPAN })),
    distinct: false,
    type: BIGINT,
    name: fn.toLowerCase(),
    span: SPAN,
  });
  return [
    createAggregator(call('COUNT', []), []),
    createAggregator(call('SUM', [1]), [(r) => r[1]]),
    createAggregator(call('MAX', [1]), [(r) => r[1]]),
  ];
}

testProp(
  'SESSION aggregates equal the per-key reference, with a safe watermark, firing and a restore midway',
  [
    fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: -50, max: 50 }),
      ),
      {
        maxLength: 50,
      },
    ),
    fc.integer({ min: 1, max: 400 }),
    fc.nat(),
  ],
  (t, events, gap, cut) => {
    const aggs = sessionAggs();
    let s = new SessionAggregates(gap, aggs);
    const state = new Map<string, unknown>();
    const fired: { key: unknown; start: number; end: number; values: unknown[] }[] = [];
    const restoreAt = events.length === 0 ? 0 : cut % events.length;
    events.forEach(([k, ts, v], i) => {
      s.add(`k${k}`, [k], ts, [k, v]);
      // A safe watermark: no later event can reach a session that ends at or before it.
      const wm = Math.min(...events.slice(i + 1).map((e) => e[1]));
      const out = s.fire(wm);
      for (let j = 1; j < out.length; j++) t.true(out[j - 1]!.end <= out[j]!.end);
      fired.push(...out);
      for (const d of s.takeDirty()) {
        const snap = s.snapshot(d);
        if (snap === undefined) state.delete(d);
        else state.set(d, unpack(pack(snap)));
      }
      if (i === restoreAt) {
        s = new SessionAggregates(gap, aggs);
        for (const [d, snap] of state) s.restore(d, snap as SessionKeySnapshot);
      }
    });
    fired.push(...s.fire(Number.POSITIVE_INFINITY));
    t.is(s.openKeys, 0);
    const want = [0, 1, 2, 3].flatMap((k) => {
      const mine = events.filter((e) => e[0] === k);
      return referenceSessions(
        mine.map((e) => e[1]),
        gap,
      ).map((ref) => {
        const vs = mine.filter((e) => e[1] >= ref.start && e[1] < ref.end - gap + 1).map((e) => e[2]);
        return {
          key: [k],
          start: ref.start,
          end: ref.end,
          values: [vs.length, vs.reduce((a, b) => a + b, 0), Math.max(...vs)],
        };
      });
    });
    const order = (a: { start: number; key: unknown }, b: { start: number; key: unknown }) =>
      a.start - b.start || String(a.key).localeCompare(String(b.key));
    t.deepEqual([...fired].sort(order), want.sort(order));
  },
);

test('SESSION aggregates need mergeable aggregates', (t) => {
  const udaf = createAggregator(
    {
      kind: 'AggCall',
      fn: 'nomerge',
      args: [],
      distinct: false,
      type: { kind: 'BIGINT' },
      name: 'x',
      span: { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } },
    },
    [],
    undefined,
    { nomerge: { create: () => 0, add: (a) => (a as number) + 1, result: (a) => a } },
  );
  const e = t.throws(() => new SessionAggregates(10, [udaf]), { instanceOf: EngineError });
  t.is((e as EngineError).code, 'WINDOW_SESSION_NEEDS_MERGE');
});
