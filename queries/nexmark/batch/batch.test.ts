import { createRequire } from 'node:module';
import test from 'ava';

import {
  BATCH_QUERY_NUMBERS,
  type BatchDatabase,
  batchQuery,
  loadEvents,
  prepareBatchDatabase,
  runBatchQuery,
} from './reference.ts';

// better-sqlite3 is a dependency of darq-core, not of the workspace root (whose package.json this corpus
// does not own): resolve it from there.
const requireFromCore = createRequire(new URL('../../../packages/darq-core/package.json', import.meta.url));
const Database = requireFromCore('better-sqlite3') as new (path: string) => BatchDatabase & { close(): void };

// A dozen hand-made events; every expected value below was worked out by hand from them.
const T0 = Date.parse('2023-11-14T22:13:20Z'); // 1 700 000 000 000, a multiple of 2 s and of 10 s
const at = (ms: number): string =>
  new Date(T0 + ms)
    .toISOString()
    .slice(0, 23)
    .replace(/\.000$/, '');
const url = (dirs: string, query = ''): string => `https://www.nexmark.com/${dirs}/item.htm?query=1${query}`;
const person = (id: number, name: string, state: string, t: number) => ({
  person: {
    id,
    name,
    emailAddress: 'x@y.com',
    creditCard: '0000 0000 0000 0000',
    city: 'Bend',
    state,
    dateTime: T0 + t,
    extra: '',
  },
});
const auction = (id: number, t: number, expires: number, seller: number, category: number) => ({
  auction: {
    id,
    itemName: `item${id}`,
    description: 'd',
    initialBid: 1,
    reserve: 2,
    dateTime: T0 + t,
    expires: T0 + expires,
    seller,
    category,
    extra: '',
  },
});
const bid = (
  auctionId: number,
  bidder: number,
  price: number,
  channel: string,
  u: string,
  t: number,
  extra: string,
) => ({
  bid: { auction: auctionId, bidder, price, channel, url: u, dateTime: T0 + t, extra },
});
const events = [
  person(1001, 'Kate Abrams', 'OR', 1_000),
  auction(1001, 2_000, 20_000, 1001, 10),
  bid(1001, 2001, 100, 'Apple', url('a/b/c'), 3_000, 'cc'),
  bid(1001, 2002, 500, 'channel-7', url('d/e/f', '&channel_id=42'), 5_000, 'c'),
  person(1002, 'Paul Smith', 'WA', 12_000),
  bid(1001, 2001, 500, 'channel-8', url('g/h/i'), 13_000, ''),
  auction(1002, 15_000, 16_000, 1002, 11),
  bid(1002, 2002, 2_000_000, 'Google', url('j/k/l'), 15_500, 'abc'),
  bid(1107, 2003, 300, 'Baidu', url('m/n/o'), 25_000, ''),
];

const db = new Database(':memory:');
prepareBatchDatabase(db);
const loaded = loadEvents(db, events);
const run = (n: number): Record<string, unknown>[] => runBatchQuery(db, batchQuery(n));
const pick = (rows: Record<string, unknown>[], ...cols: string[]): unknown[][] =>
  rows
    .map((r) => cols.map((c) => r[c]))
    .sort((a, b) =>
      JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
    );

test('every query with a batch form has its file; q12 has none', (t) => {
  t.deepEqual(loaded, { person: 2, auction: 2, bid: 5 });
  t.is(BATCH_QUERY_NUMBERS.length, 22);
  for (const n of BATCH_QUERY_NUMBERS) t.notThrows(() => run(n), `q${n}`);
  t.throws(() => batchQuery(12), { message: /q12 has no batch form \(its streaming meaning differs\)/ });
  t.throws(() => batchQuery(23), { message: /no such query/ });
});

test('stateless queries: q0, q1, q2, q10, q13, q14, q21, q22', (t) => {
  t.is(run(0).length, 5);
  t.deepEqual(run(0)[0], { auction: 1001, bidder: 2001, price: 100, dateTime: at(3_000), extra: 'cc' });
  t.deepEqual(pick(run(1), 'price').flat(), [1816000, 272.40000000000003, 454, 454, 90.8].sort());
  t.deepEqual(run(2), [{ auction: 1107, price: 300 }]);
  t.deepEqual(pick(run(10), 'dt', 'hm')[0], ['2023-11-14', '22:13']);
  t.deepEqual(pick(run(13), 'auction', 'value'), [
    [1001, '1001'],
    [1001, '1001'],
    [1001, '1001'],
    [1002, '1002'],
    [1107, '1107'],
  ]);
  // 0.908 * price within (1e6, 5e7): only the 2 000 000 bid; 22:13 UTC is night; 'abc' has one 'c'.
  t.deepEqual(run(14), [
    {
      auction: 1002,
      bidder: 2002,
      price: 1816000,
      bidTimeType: 'nightTime',
      dateTime: at(15_500),
      extra: 'abc',
      c_counts: 1,
    },
  ]);
  // Hot channels map to 0..3; channel-7 carries channel_id=42; channel-8 has neither and is dropped.
  t.deepEqual(pick(run(21), 'channel', 'channel_id'), [
    ['Apple', '0'],
    ['Baidu', '3'],
    ['Google', '1'],
    ['channel-7', '42'],
  ]);
  t.deepEqual(pick(run(22), 'dir1', 'dir2', 'dir3')[0], ['a', 'b', 'c']);
});

test('joins: q3, q7 (with its column swap), q8, q20', (t) => {
  t.deepEqual(run(3), [{ name: 'Kate Abrams', city: 'Bend', state: 'OR', id: 1001 }]);
  // Window maxima: [0, 10 s) 500 (the bid at 5 s; the other 500 at 13 s is out of range), [10 s, 20 s)
  // 2 000 000, [20 s, 30 s) 300. Columns by position: bidder holds the price, price the bidder.
  t.deepEqual(pick(run(7), 'auction', 'bidder', 'price', 'dateTime'), [
    [1001, 500, 2002, at(5_000)],
    [1002, 2000000, 2002, at(15_500)],
    [1107, 300, 2003, at(25_000)],
  ]);
  t.deepEqual(pick(run(8), 'id', 'starttime'), [
    [1001, at(0)],
    [1002, at(10_000)],
  ]);
  t.deepEqual(pick(run(20), 'auction', 'price', 'category'), [
    [1001, 100, 10],
    [1001, 500, 10],
    [1001, 500, 10],
  ]);
});

test('windows: q5 (HOP 2 s / 10 s) and q11 (sessions, 10 s gap)', (t) => {
  // Bids at 3, 5, 13 s (auction 1001), 15.5 s (1002), 25 s (1107): 20 winning (window, auction) pairs.
  const q5 = pick(run(5), 'auction', 'num');
  t.is(q5.length, 20);
  const count = (a: number, n: number): number => q5.filter(([x, y]) => x === a && y === n).length;
  t.deepEqual([count(1001, 1), count(1001, 2), count(1002, 1), count(1107, 1)], [5, 5, 5, 5]);
  // Bidder 2001 bids at 3 s and exactly 10 s later: sessions that touch merge (Flink) → one session.
  t.deepEqual(pick(run(11), 'bidder', 'bid_count', 'starttime', 'endtime'), [
    [2001, 2, at(3_000), at(23_000)],
    [2002, 1, at(5_000), at(15_000)],
    [2002, 1, at(15_500), at(25_500)],
    [2003, 1, at(25_000), at(35_000)],
  ]);
});

test('updating queries: q4, q9, q15, q16, q17, q18, q19', (t) => {
  // Winning bids: auction 1001 (category 10) 500, auction 1002 (category 11) 2 000 000.
  t.deepEqual(pick(run(4), 'id', 'final'), [
    [10, 500],
    [11, 2000000],
  ]);
  // Auction 1001's two 500 bids tie on price: the earlier (5 s, bidder 2002) wins.
  t.deepEqual(pick(run(9), 'id', 'bidder', 'price', 'bid_dateTime'), [
    [1001, 2002, 500, at(5_000)],
    [1002, 2002, 2000000, at(15_500)],
  ]);
  t.like(run(15)[0], {
    day: '2023-11-14',
    total_bids: 5,
    rank1_bids: 4,
    rank2_bids: 0,
    rank3_bids: 1,
    total_bidders: 3,
    total_auctions: 3,
    rank1_auctions: 2,
  });
  t.is(run(16).length, 5);
  t.true(run(16).every((r) => r.minute === '22:13'));
  // avg(100, 500, 500) = 366.67 → 366 (BIGINT average).
  t.like(
    run(17).find((r) => r.auction === 1001),
    { total_bids: 3, rank1_bids: 3, min_price: 100, max_price: 500, avg_price: 366, sum_price: 1100 },
  );
  t.deepEqual(pick(run(18), 'bidder', 'auction', 'dateTime'), [
    [2001, 1001, at(13_000)],
    [2002, 1001, at(5_000)],
    [2002, 1002, at(15_500)],
    [2003, 1107, at(25_000)],
  ]);
  t.deepEqual(pick(run(19), 'auction', 'rank_number', 'price'), [
    [1001, 1, 500],
    [1001, 2, 500],
    [1001, 3, 100],
    [1002, 1, 2000000],
    [1107, 1, 300],
  ]);
});
