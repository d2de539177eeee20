import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, testProp } from '@fast-check/ava';
import test from 'ava';
import { pack, unpack } from 'msgpackr';
import {
  GeneratorError,
  JavaSplittableRandom,
  type NexmarkEvent,
  NexmarkGenerator,
  type NexmarkOptions,
  nexmarkPrice,
  nexmarkStaticTables,
  nexmarkTsvLine,
  REGION_IPS,
  regionOf,
  SEARCH_TRACE_PRESETS,
  type SearchEvent,
  SearchTraceGenerator,
  type SearchTraceOptions,
  writeSearchTraceJsonl,
} from '../src/connectors/generators/index.ts';

const LONG = process.env.DARQ_LONG === '1';
// A copy of specs/nexmark-golden-seeded.tsv (config row 1 of §2.10, splits 0 and 7, 100 events each).
const GOLDEN = new URL('../src/connectors/generators/golden/nexmark-golden-seeded.tsv', import.meta.url);
const START = 1700000000000;

// ---------------------------------------------------------------- NEXMark

test('SplittableRandom matches the JDK 17 test vectors of specs/nexmark.md §2.9', (t) => {
  const r = JavaSplittableRandom.fromSeed(42);
  t.deepEqual(
    [
      r.nextInt(),
      r.nextIntBounded(10),
      r.nextIntBounded(16),
      r.nextLongBig(),
      r.nextDouble(),
      r.nextIntBounded(1000),
    ],
    [-491277234, 6, 2, 6349198060258255764n, 0.03803016854024621, 71],
  );
  const z = JavaSplittableRandom.fromSeed(0);
  t.deepEqual(
    Array.from({ length: 8 }, () => z.nextIntBounded(13)),
    [11, 3, 7, 7, 0, 4, 1, 5],
  );
  const p = JavaSplittableRandom.fromSeed(7);
  t.deepEqual(
    Array.from({ length: 4 }, () => Math.round(10 ** (p.nextDouble() * 6) * 100)),
    [21826, 126, 25384235, 314472],
  );
});

const MASK64 = (1n << 64n) - 1n;

/** SplittableRandom written directly from §2.9 on BigInt: slow, obviously right. */
class BigIntSplittable {
  private s: bigint;
  constructor(seed: bigint) {
    this.s = BigInt.asUintN(64, seed);
  }
  private step(): bigint {
    this.s = (this.s + 0x9e3779b97f4a7c15n) & MASK64;
    return this.s;
  }
  nextInt(): number {
    let z = this.step();
    z = ((z ^ (z >> 33n)) * 0x62a9d9ed799705f5n) & MASK64;
    return Number(BigInt.asIntN(32, (((z ^ (z >> 28n)) * 0xcb24d0a5c88c35b3n) & MASK64) >> 32n));
  }
  mix64(): bigint {
    let z = this.step();
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }
  nextDouble(): number {
    return Number(this.mix64() >> 11n) * 2 ** -53;
  }
  nextLong(): bigint {
    return BigInt.asIntN(64, this.mix64());
  }
}

testProp(
  'SplittableRandom on uint32 halves agrees with a BigInt transcription of §2.9',
  [
    fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
    fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 200 }),
  ],
  (t, seed, ops) => {
    const ours = JavaSplittableRandom.fromSeed(seed);
    const ref = new BigIntSplittable(seed);
    for (const op of ops) {
      if (op === 0) t.is(ours.nextInt(), ref.nextInt());
      else if (op === 1) t.is(ours.nextDouble(), ref.nextDouble());
      else t.is(ours.nextLongBig(), ref.nextLong());
    }
    t.is(
      BigInt(ours.hi) * 2n ** 32n + BigInt(ours.lo),
      BigInt.asUintN(64, seed + BigInt(ops.length) * 0x9e3779b97f4a7c15n),
    );
  },
  { numRuns: 200 },
);

testProp(
  'nexmarkPrice equals Math.round(10^(6d) * 100) computed with Math.pow',
  [fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })],
  (t, d) => {
    t.is(nexmarkPrice(d), Math.round(10 ** (d * 6) * 100));
  },
  { numRuns: 20_000 },
);

test('nexmarkPrice equals the Math.pow form on a million uniform draws', (t) => {
  const r = JavaSplittableRandom.fromSeed(12345);
  let mismatches = 0;
  for (let k = 0; k < 1_000_000; k++) {
    const d = r.nextDouble();
    if (nexmarkPrice(d) !== Math.round(10 ** (d * 6) * 100)) mismatches++;
  }
  t.is(mismatches, 0);
});

test('NEXMark static tables match the seed 1/2 spot checks', (t) => {
  const s = nexmarkStaticTables();
  t.is(s.pool.length, 1048576);
  t.is(s.pool.slice(0, 64), 'druytuT`VMPaelakjbvjjgevxofadzmixkfcP`KLaOKaKZ[Ooohxab_`W^]Ykhdu');
  t.is(s.hotUrls[0], 'https://www.nexmark.com/mgi/ze_/moks/item.htm?query=1');
  t.is(s.channelUrls[2], 'https://www.nexmark.com/hirz/dmdx/ce_g/item.htm?query=1&channel_id=1073741824');
  t.is(s.channelUrls.filter((u) => u.includes('&channel_id=')).length, 8990);
  t.regex(s.pool, /^[H-z]+$/);
});

/** Streams the TSV dump of some splits into `sink`, 4096 lines at a time (bounded memory). */
function dump(
  opts: NexmarkOptions,
  sink: (chunk: string) => void,
  perSplit = Number.POSITIVE_INFINITY,
  splits?: number[],
): void {
  for (const split of splits ?? Array.from({ length: opts.splits ?? 1 }, (_, i) => i)) {
    const g = new NexmarkGenerator(opts, split);
    let left = perSplit;
    for (;;) {
      const batch = g.nextBatch(Math.min(4096, left));
      if (batch.length === 0) break;
      left -= batch.length;
      let chunk = '';
      for (const e of batch) chunk += `${nexmarkTsvLine(split, e)}\n`;
      sink(chunk);
    }
  }
}

function md5(opts: NexmarkOptions, perSplit?: number): string {
  const h = createHash('md5');
  dump(opts, (c) => h.update(c), perSplit);
  return h.digest('hex');
}

const ROW1: NexmarkOptions = { events: 100_000_000, rate: 10_000_000, splits: 8, baseTime: START };

test('NEXMark seeded mode reproduces the golden file byte for byte', (t) => {
  const golden = readFileSync(GOLDEN, 'utf8');
  t.is(createHash('md5').update(golden).digest('hex'), '90072aff313978534188521c19f749ce');
  let ours = '';
  dump(ROW1, (c) => (ours += c), 100, [0, 7]);
  const a = ours.split('\n');
  const b = golden.split('\n');
  t.is(a.length, 201);
  for (let i = 0; i < b.length; i++) {
    if (a[i] !== b[i]) t.fail(`line ${i + 1} differs:\nours   ${a[i]}\ngolden ${b[i]}`);
  }
  t.is(ours, golden);
});

test('NEXMark md5 of the full config (rate 1000, 1 split, 1 000 000 events, baseTime 0)', (t) => {
  t.is(md5({ events: 1_000_000, rate: 1000, splits: 1, baseTime: 0 }), 'a2c567bd1d91570ded775739a60b46ef');
});

const LONG_CONFIGS: [NexmarkOptions, number, string][] = [
  [
    { events: 1_000_003, rate: 7777, splits: 3, baseTime: 1234567 },
    Infinity,
    '2b5aeb93aabf34f22e21e685ee0bc5a0',
  ],
  [
    { events: 2_000_000, rate: 10_000_000, splits: 8, baseTime: START },
    Infinity,
    'e72bd6d49d0ceb1a4f9177eabb664b35',
  ],
  [ROW1, 20_000, '8efd350439b0dcad5f33c8f724dc460f'],
  [
    { events: 200_000_000, rate: 100_000, splits: 8, baseTime: START },
    250_000,
    'dd2a3215b6fe19ce2b2e63d70def322c',
  ],
  [
    { events: 100_000_000, rate: 10_000_000, splits: 16, baseTime: 1600000000123 },
    100_000,
    'e8ccdda9a01ab127402f4adbc1848bd2',
  ],
];

if (LONG) {
  for (const [opts, perSplit, want] of LONG_CONFIGS) {
    test(`NEXMark md5 (long) of ${JSON.stringify(opts)}, ${perSplit} per split`, (t) => {
      t.is(md5(opts, perSplit), want);
    });
  }
}

testProp(
  'NEXMark: snapshot at any point, msgpack round trip, restore: the rest is identical',
  [
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 3000 }),
    fc.integer({ min: 0, max: 3000 }),
    fc.integer({ min: 1, max: 700 }),
    fc.constantFrom(1000, 7777, 10_000_000),
  ],
  (t, splits, events, cutRaw, batch, rate) => {
    const opts: NexmarkOptions = { events, splits, rate, baseTime: START };
    const split = splits - 1;
    const whole = new NexmarkGenerator(opts, split).nextBatch(events).map((e) => nexmarkTsvLine(split, e));
    const g = new NexmarkGenerator(opts, split);
    const cut = Math.min(cutRaw, g.limit);
    const head = g.nextBatch(cut).map((e) => nexmarkTsvLine(split, e));
    t.is(g.position, cut);
    const r = NexmarkGenerator.restore(opts, split, unpack(pack(g.snapshot())));
    t.is(r.position, cut);
    t.is(r.watermark(), g.watermark());
    const tail: string[] = [];
    for (let b = r.nextBatch(batch); b.length > 0; b = r.nextBatch(batch)) {
      for (const e of b) tail.push(nexmarkTsvLine(split, e));
    }
    t.is([...head, ...tail].join('\n'), whole.join('\n'));
    t.true(r.done);
  },
  { numRuns: 40 },
);

testProp(
  'NEXMark splits partition the event ids, share one timeline, and watermarks bound later events',
  [
    fc.integer({ min: 1, max: 9 }),
    fc.integer({ min: 1, max: 2000 }),
    fc.constantFrom(1000, 100_000, 10_000_000),
  ],
  (t, splits, events, rate) => {
    const opts: NexmarkOptions = { events, splits, rate, baseTime: START };
    const ids: number[] = [];
    let total = 0;
    for (let s = 0; s < splits; s++) {
      const g = new NexmarkGenerator(opts, s);
      total += g.limit;
      let wm = g.watermark();
      let bad = 0;
      for (let b = g.nextBatch(1); b.length > 0; b = g.nextBatch(1)) {
        const e = b[0]!;
        if (e.timestamp < wm || e.eventId !== g.firstEventId + e.index + 1) bad++;
        ids.push(e.eventId);
        const nextWm = g.watermark();
        if (nextWm < wm) bad++;
        wm = nextWm;
      }
      t.is(bad, 0, 'event ids follow the index; no event is earlier than the watermark before it');
      t.is(g.watermark(), Number.POSITIVE_INFINITY);
      t.deepEqual(g.nextBatch(10), []);
    }
    t.is(total, events);
    ids.sort((a, b) => a - b);
    t.is(ids.join(), Array.from({ length: events }, (_, i) => i + 2).join());
  },
  { numRuns: 40 },
);

test('NEXMark events have the upstream proportions, id rules and field shapes', (t) => {
  const g = new NexmarkGenerator({ events: 50_000, rate: 10_000_000, splits: 1, baseTime: START });
  const counts = { person: 0, auction: 0, bid: 0 };
  const kinds: NexmarkEvent['kind'][] = [];
  let lastTs = -1;
  for (const e of g.nextBatch(50_000)) {
    counts[e.kind]++;
    kinds.push(e.kind);
    t.true(e.timestamp >= lastTs);
    lastTs = e.timestamp;
    if (e.kind === 'person') {
      t.is(e.person.id, Math.floor(e.eventId / 50) + 1000);
      t.regex(e.person.creditCard, /^\d{4} \d{4} \d{4} \d{4}$/);
      t.is(e.person.dateTime, e.timestamp);
    } else if (e.kind === 'auction') {
      t.true(e.auction.category >= 10 && e.auction.category <= 14);
      t.true(e.auction.reserve > e.auction.initialBid);
      t.true(e.auction.expires > e.auction.dateTime);
    } else {
      t.true(e.bid.bidder >= 2000, 'bidder ids carry the upstream +2000');
      t.true(e.bid.price >= 100 && e.bid.price <= 100_000_000);
      t.true(e.bid.url.startsWith('https://www.nexmark.com/'));
      t.true(e.bid.extra.length >= 54 && e.bid.extra.length <= 81);
    }
  }
  t.deepEqual(counts, { person: 1000, auction: 3000, bid: 46000 });
});

test('NEXMark rejects bad options, splits and snapshots with coded errors', (t) => {
  const code = (f: () => unknown) => t.throws(f, { instanceOf: GeneratorError })?.code;
  t.is(
    code(() => new NexmarkGenerator({ events: -1 })),
    'GEN_BAD_OPTION',
  );
  t.is(
    code(() => new NexmarkGenerator({ events: 10, rate: 0 })),
    'GEN_BAD_OPTION',
  );
  t.is(
    code(() => new NexmarkGenerator({ events: 10, splits: 0 })),
    'GEN_BAD_OPTION',
  );
  t.is(
    code(() => new NexmarkGenerator({ events: 10, splits: 2 }, 2)),
    'GEN_BAD_SPLIT',
  );
  const snap = new NexmarkGenerator({ events: 10, splits: 2 }, 1).snapshot();
  t.is(
    code(() => NexmarkGenerator.restore({ events: 10, splits: 2 }, 0, snap)),
    'GEN_BAD_SNAPSHOT',
  );
  t.is(
    code(() => NexmarkGenerator.restore({ events: 10 }, 0, { v: 1 })),
    'GEN_BAD_SNAPSHOT',
  );
  const err = t.throws(() => new NexmarkGenerator({ events: 10, splits: 3 }, 5), {
    instanceOf: GeneratorError,
  });
  t.regex(err?.message ?? '', /splits are numbered 0\.\.2/);
  t.is(new NexmarkGenerator({ events: 0 }).limit, 368934881474191, 'events 0 means upstream unbounded');
});

// ---------------------------------------------------------------- search trace

function drain(g: SearchTraceGenerator, batch = 4096): SearchEvent[] {
  const out: SearchEvent[] = [];
  for (let b = g.nextBatch(batch); b.length > 0; b = g.nextBatch(batch)) out.push(...b);
  return out;
}

/** One line per search, field by field (ava's deepEqual is too slow for 10 k objects). */
function show(evs: SearchEvent[]): string {
  return evs.map((e) => `${e.term},${e.user_id},${e.ip},${e.ts}`).join('\n');
}

const SEED_11_FINGERPRINT = { events: 5018, digest: '211070763e37fd439d85717c3f7a1cc9' };
const SMALL: SearchTraceOptions = {
  rate: 1000,
  seconds: 5,
  trendMean: 1500,
  trendStd: 500,
  trendProbability: 0.5,
};

test('search trace: same seed same trace, different seed different trace, batch size irrelevant', (t) => {
  const a = drain(new SearchTraceGenerator({ ...SMALL, seed: 11 }));
  const b = drain(new SearchTraceGenerator({ ...SMALL, seed: 11 }), 7);
  const c = drain(new SearchTraceGenerator({ ...SMALL, seed: 12 }));
  t.true(a.length > 4500 && a.length < 5500);
  t.is(show(a), show(b));
  t.notDeepEqual(
    a.slice(0, 100).map((e) => e.term),
    c.slice(0, 100).map((e) => e.term),
  );
  // Pinned: the trace of seed 11 must not drift between versions or machines.
  const digest = createHash('md5').update(show(a)).digest('hex');
  t.deepEqual({ events: a.length, digest }, SEED_11_FINGERPRINT);
  // The columnar form holds the same searches.
  const g = new SearchTraceGenerator({ ...SMALL, seed: 11 });
  const fromColumns: SearchEvent[] = [];
  for (let c = g.fillColumns(777); c.n > 0; c = g.fillColumns(777)) {
    for (let i = 0; i < c.n; i++) {
      const at = c.termAt[i]!;
      const term = c.pool.substring(at, at + c.termLength);
      t.is(at >= c.relevantAt, term.startsWith('fever'));
      t.is(Buffer.from(c.poolBytes.subarray(at, at + c.termLength)).toString('latin1'), term);
      fromColumns.push({ term, user_id: c.userId[i]!, ip: REGION_IPS[c.region[i]!]!, ts: c.ts[i]! });
    }
  }
  t.is(show(fromColumns), show(a));
});

testProp(
  'search trace: snapshot anywhere, msgpack round trip, restore: the rest is identical',
  [fc.integer({ min: 0, max: 6000 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 1000 })],
  (t, cut, batch, seed) => {
    const opts = { ...SMALL, seed };
    const whole = drain(new SearchTraceGenerator(opts));
    const g = new SearchTraceGenerator(opts);
    const head: SearchEvent[] = [];
    while (head.length < cut) {
      const b = g.nextBatch(Math.min(batch, cut - head.length));
      if (b.length === 0) break;
      head.push(...b);
    }
    t.is(g.position, head.length);
    const r = SearchTraceGenerator.restore(opts, unpack(pack(g.snapshot())));
    t.is(r.position, head.length);
    t.is(show([...head, ...drain(r, batch)]), show(whole));
    t.true(r.done);
  },
  { numRuns: 25 },
);

test('search trace: relevant fraction is 0.2 on 200 k searches without trends', (t) => {
  const evs = drain(
    new SearchTraceGenerator({ rate: 50_000, events: 200_000, trendProbability: 0, seed: 3 }),
  );
  t.is(evs.length, 200_000);
  const rel = evs.filter((e) => e.term.startsWith('fever')).length / evs.length;
  // sd of the fraction = sqrt(0.2·0.8/200 000) ≈ 0.0009: allow 5 sd.
  t.true(Math.abs(rel - 0.2) < 0.0045, `relevant fraction ${rel}`);
  const perRegion = new Array<number>(8).fill(0);
  for (const e of evs) perRegion[regionOf(e.ip)]!++;
  for (const n of perRegion) t.true(Math.abs(n - 25_000) < 5 * Math.sqrt(200_000 * (1 / 8) * (7 / 8)));
});

test('search trace: a trending region is three times as relevant', (t) => {
  const g = new SearchTraceGenerator({
    rate: 50_000,
    events: 200_000,
    trendProbability: 1,
    trendMean: 1e9,
    trendStd: 0,
    seed: 5,
  });
  const evs = drain(g);
  const hot = g.trendingRegion;
  t.true(hot >= 0 && hot < 8);
  const rel = new Array<number>(8).fill(0);
  const all = new Array<number>(8).fill(0);
  for (const e of evs) {
    const r = regionOf(e.ip);
    all[r]!++;
    if (e.term.startsWith('fever')) rel[r]!++;
  }
  for (let r = 0; r < 8; r++) {
    const want = r === hot ? 0.6 : 0.2;
    t.true(Math.abs(rel[r]! / all[r]! - want) < 0.015, `region ${r}: ${rel[r]! / all[r]!} vs ${want}`);
  }
});

test('search trace: trends start about once per 1/p seconds and last Normal(mean, std) searches', (t) => {
  // rate 200/s, trend length N(100, 20): a trend lasts about half a second.
  const g = new SearchTraceGenerator({ rate: 200, seconds: 4000, trendMean: 100, trendStd: 20, seed: 9 });
  let starts = 0;
  let active = 0;
  let prev = -1;
  for (let b = g.nextBatch(20); b.length > 0; b = g.nextBatch(20)) {
    const now = g.trendingRegion;
    if (now >= 0 && prev < 0) starts++;
    if (now >= 0) active += b.length;
    prev = now;
  }
  // Checked once per idle second with p = 0.1: about 4000 · 0.1 / (1 + 0.1·0.5) ≈ 380 trends.
  t.true(starts > 300 && starts < 460, `${starts} trends`);
  t.true(Math.abs(active / starts - 100) < 12, `mean trend length ≈ ${active / starts}`);
});

test('search trace: per-second counts are Poisson(rate)', (t) => {
  for (const rate of [3, 100, 50_000]) {
    const seconds = rate === 50_000 ? 30 : 3000;
    const opts = rate === 50_000 ? SEARCH_TRACE_PRESETS['events-50k'] : { rate, seconds };
    const g = new SearchTraceGenerator({ ...opts, seed: rate });
    const counts = new Array<number>(seconds).fill(0);
    for (let b = g.nextBatch(8192); b.length > 0; b = g.nextBatch(8192)) {
      for (const e of b) counts[Math.floor((e.ts - START) / 1000)]!++;
    }
    const mean = counts.reduce((a, b) => a + b, 0) / seconds;
    const variance = counts.reduce((a, b) => a + (b - mean) ** 2, 0) / (seconds - 1);
    t.true(Math.abs(mean - rate) < 5 * Math.sqrt(rate / seconds), `rate ${rate}: mean ${mean}`);
    // var of the sample variance ≈ 2λ²/(n-1) for large λ: allow 5 sd (plus λ/n for small λ).
    const sd = Math.sqrt((2 * rate * rate + rate) / (seconds - 1));
    t.true(Math.abs(variance - rate) < 5 * sd, `rate ${rate}: variance ${variance}`);
    for (const c of counts) t.true(Math.abs(c - rate) < 7 * Math.sqrt(rate) + 3);
  }
});

test('search trace: terms, timestamps and IPs have the documented shape', (t) => {
  const evs = drain(new SearchTraceGenerator({ ...SMALL, rate: 2000, seconds: 10, seed: 4 }));
  let prev = START;
  let second = -1;
  for (const e of evs) {
    t.is(e.term.length, 80);
    if (!e.term.startsWith('fever')) t.false(e.term.includes('fever'), e.term);
    t.regex(e.term, /^[a-z]{80}$/);
    t.true(e.ts >= prev, 'non-decreasing');
    t.true(e.ts >= START && e.ts < START + 10_000, 'inside the trace');
    const s = Math.floor((e.ts - START) / 1000);
    if (s !== second) {
      t.is(e.ts, START + 1000 * s, 'the first search of a second is at its start');
      second = s;
    }
    t.true(Number.isInteger(e.user_id) && e.user_id >= 0 && e.user_id < 2 ** 20);
    t.true(REGION_IPS.includes(e.ip));
    prev = e.ts;
  }
  const short = drain(new SearchTraceGenerator({ rate: 10, seconds: 2, termLength: 12, startMs: 0 }));
  for (const e of short) t.is(e.term.length, 12);
});

test('regionOf: each region IP maps to its region; bad addresses get GEN_BAD_IPV4', (t) => {
  t.deepEqual(REGION_IPS.map(regionOf), [0, 1, 2, 3, 4, 5, 6, 7]);
  t.is(regionOf('192.168.1.1'), (192 + 168 + 1 + 1) % 8);
  t.is(regionOf('0.0.0.0'), 0);
  t.is(regionOf('255.255.255.255'), (4 * 255) % 8);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '1.2.3.256', '1..3.4', 'a.b.c.d', '1.2.3.4 ', '1234.1.1.1']) {
    const err = t.throws(() => regionOf(bad), { instanceOf: GeneratorError });
    t.is(err?.code, 'GEN_BAD_IPV4', bad);
  }
});

test('search trace presets are the paper workloads', (t) => {
  t.deepEqual(SEARCH_TRACE_PRESETS['events-50k'], {
    rate: 50_000,
    seconds: 30,
    trendMean: 50_000,
    trendStd: 10_000,
  });
  t.deepEqual(SEARCH_TRACE_PRESETS['events-10k-long'], {
    rate: 10_000,
    seconds: 120,
    trendMean: 5_000,
    trendStd: 2_500,
  });
  t.deepEqual(SEARCH_TRACE_PRESETS['events-250k'], {
    rate: 250_000,
    seconds: 30,
    trendMean: 250_000,
    trendStd: 100_000,
  });
});

test('writeSearchTraceJsonl writes the same trace as the generator, one JSON object per line', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'darq-gen-'));
  try {
    const path = join(dir, 'trace.jsonl');
    const opts: SearchTraceOptions = {
      rate: 30_000,
      seconds: 2,
      seed: 21,
      trendProbability: 1,
      trendMean: 5000,
    };
    const progress: number[] = [];
    const res = writeSearchTraceJsonl(path, opts, (n) => progress.push(n));
    const text = readFileSync(path, 'latin1');
    t.is(res.bytes, statSync(path).size);
    const lines = text.split('\n');
    t.is(lines.pop(), '');
    t.is(lines.length, res.events);
    t.is(show(lines.map((l) => JSON.parse(l) as SearchEvent)), show(drain(new SearchTraceGenerator(opts))));
    t.regex(lines[0]!, /^\{"term":"[a-z]{80}","user_id":\d+,"ip":"203\.0\.113\.2\d","ts":1700000000000\}$/);
    t.true(progress.length >= 2 && progress.every((n, i) => i === 0 || n >= progress[i - 1]!));
    t.is(progress.at(-1), res.events);
    const unbounded = t.throws(() => writeSearchTraceJsonl(join(dir, 'x.jsonl'), { rate: 10 }), {
      instanceOf: GeneratorError,
    });
    t.is(unbounded?.code, 'GEN_UNBOUNDED');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('search trace rejects bad options and snapshots with coded errors', (t) => {
  const bad: unknown[] = [
    { rate: 0 },
    { rate: -5 },
    { rate: Number.NaN },
    { rate: 10, seconds: 1.5 },
    { rate: 10, relevantProbability: 1.2 },
    { rate: 10, trendStd: -1 },
    { rate: 10, termLength: 4 },
    { rate: 10, events: -1 },
    { rate: '10' },
    null,
  ];
  for (const o of bad) {
    const err = t.throws(() => new SearchTraceGenerator(o as SearchTraceOptions), {
      instanceOf: GeneratorError,
    });
    t.is(err?.code, 'GEN_BAD_OPTION', JSON.stringify(o));
  }
  const err = t.throws(() => new SearchTraceGenerator({ rate: 10, relevantProbability: 2 }), {
    instanceOf: GeneratorError,
  });
  t.is(err?.where, 'relevantProbability');
  const taken = new SearchTraceGenerator({ rate: 10, seconds: 3, seed: 1 });
  taken.nextBatch(5);
  const other = t.throws(
    () => SearchTraceGenerator.restore({ rate: 10, seconds: 3, seed: 2 }, taken.snapshot()),
    {
      instanceOf: GeneratorError,
    },
  );
  t.is(other?.code, 'GEN_BAD_SNAPSHOT');
  t.regex(other?.message ?? '', /other options/);
  for (const max of [Number.NaN, -1]) {
    t.is(t.throws(() => taken.nextBatch(max), { instanceOf: GeneratorError })?.code, 'GEN_BAD_OPTION');
    const nx = new NexmarkGenerator({ events: 10 });
    t.is(t.throws(() => nx.nextBatch(max), { instanceOf: GeneratorError })?.code, 'GEN_BAD_OPTION');
  }
  t.deepEqual(taken.nextBatch(0), []);
  for (const s of [null, {}, { v: 1, rng: [1, 2, 3] }, { v: 2 }]) {
    const e2 = t.throws(() => SearchTraceGenerator.restore({ rate: 10, seconds: 1 }, s), {
      instanceOf: GeneratorError,
    });
    t.is(e2?.code, 'GEN_BAD_SNAPSHOT');
  }
});
