/**
 * NEXMark queries as batch SQL over SQLite: the reference a streaming run is cross-checked against.
 *
 * Each `qN.sql` here is the query of `../qN.sql` rewritten for SQLite over three tables holding the same
 * generated events (`dateTime` and `expires` as INTEGER epoch ms), for every query whose batch meaning
 * equals its streaming meaning (q12 has none: see its header; q6's holds without ties on dateTime). The database is passed in
 * (better-sqlite3's `Database`, or anything with the same four methods), so this module has no
 * dependencies.
 *
 * ```ts
 * const db = new Database(':memory:');
 * prepareBatchDatabase(db);
 * loadEvents(db, events);                       // NexmarkEvent-shaped objects from the generator
 * const q = batchQuery(11);
 * const expected = runBatchQuery(db, q);        // rows, timestamps formatted as darq writes them
 * // compare with the streaming run's output: compareMultisetExact, or final state keyed by q.key
 * ```
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { formatTimestamp } from '../../harness/format.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The subset of better-sqlite3's `Database` this module uses. */
export interface BatchDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
  function(name: string, options: { deterministic: boolean }, fn: (...args: never[]) => unknown): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
}

/** One generated event: exactly one of `person`, `auction`, `bid` is set (the generator's shape). */
export interface BatchEvent {
  readonly person?: object | null;
  readonly auction?: object | null;
  readonly bid?: object | null;
}

const COLUMNS = {
  person: ['id', 'name', 'emailAddress', 'creditCard', 'city', 'state', 'dateTime', 'extra'],
  auction: [
    'id',
    'itemName',
    'description',
    'initialBid',
    'reserve',
    'dateTime',
    'expires',
    'seller',
    'category',
    'extra',
  ],
  bid: ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra'],
} as const;

/** SQLite DDL of the three event tables and q13's side input. */
export const BATCH_SCHEMA = `
CREATE TABLE person (id INTEGER, name TEXT, emailAddress TEXT, creditCard TEXT, city TEXT, state TEXT,
  dateTime INTEGER, extra TEXT);
CREATE TABLE auction (id INTEGER, itemName TEXT, description TEXT, initialBid INTEGER, reserve INTEGER,
  dateTime INTEGER, expires INTEGER, seller INTEGER, category INTEGER, extra TEXT);
CREATE TABLE bid (auction INTEGER, bidder INTEGER, price INTEGER, channel TEXT, url TEXT, dateTime INTEGER,
  extra TEXT);
CREATE TABLE side_input (key INTEGER PRIMARY KEY, value TEXT);
`;

/**
 * The functions the batch queries call that SQLite lacks, with Flink's semantics:
 * `regexp_extract(s, pattern, group)` (NULL when there is no match or the group did not take part),
 * `split_index(s, sep, i)` (0-based, empty tokens kept, NULL past the end), `count_char(s, c)` (UTF-8 bytes
 * of `s` equal to the first byte of `c`, 0 for NULL).
 */
export function registerBatchFunctions(db: BatchDatabase): void {
  const regexps = new Map<string, RegExp>();
  db.function(
    'regexp_extract',
    { deterministic: true },
    (s: string | null, pattern: string, group: number) => {
      if (s === null || pattern === null) return null;
      let re = regexps.get(pattern);
      if (!re) regexps.set(pattern, (re = new RegExp(pattern)));
      const m = re.exec(s);
      return m ? (m[Number(group)] ?? null) : null;
    },
  );
  db.function('split_index', { deterministic: true }, (s: string | null, sep: string, i: number) => {
    if (s === null || sep === null) return null;
    const parts = s.split(sep);
    const k = Number(i);
    return k >= 0 && k < parts.length ? parts[k]! : null;
  });
  const utf8 = new TextEncoder();
  db.function('count_char', { deterministic: true }, (s: string | null, c: string | null) => {
    if (s === null || c === null || c.length === 0) return 0;
    const target = utf8.encode(c)[0]!;
    let n = 0;
    for (const b of utf8.encode(s)) if (b === target) n++;
    return n;
  });
}

/** Creates the tables, registers the functions and loads q13's side input (`../data/side_input.csv`). */
export function prepareBatchDatabase(db: BatchDatabase): void {
  db.exec(BATCH_SCHEMA);
  registerBatchFunctions(db);
  const insert = db.prepare('INSERT INTO side_input VALUES (?, ?)');
  const lines = readFileSync(join(here, '..', 'data', 'side_input.csv'), 'utf8').split('\n');
  db.transaction(() => {
    for (const line of lines) {
      if (line === '') continue;
      const comma = line.indexOf(',');
      insert.run(Number(line.slice(0, comma)), line.slice(comma + 1));
    }
  })();
}

/** Inserts events into their tables, in one transaction. Returns how many of each kind were loaded. */
export function loadEvents(
  db: BatchDatabase,
  events: Iterable<BatchEvent>,
): { person: number; auction: number; bid: number } {
  const insert = {
    person: db.prepare(`INSERT INTO person VALUES (${COLUMNS.person.map(() => '?').join(', ')})`),
    auction: db.prepare(`INSERT INTO auction VALUES (${COLUMNS.auction.map(() => '?').join(', ')})`),
    bid: db.prepare(`INSERT INTO bid VALUES (${COLUMNS.bid.map(() => '?').join(', ')})`),
  };
  const counts = { person: 0, auction: 0, bid: 0 };
  db.transaction(() => {
    for (const e of events) {
      const kind = e.bid ? 'bid' : e.auction ? 'auction' : e.person ? 'person' : undefined;
      if (kind === undefined) throw new Error('loadEvents: an event with no person, auction or bid');
      const entity = e[kind] as Record<string, unknown>;
      insert[kind].run(...COLUMNS[kind].map((c) => entity[c] ?? null));
      counts[kind]++;
    }
  })();
  return counts;
}

/** How a query's result compares with the streaming run. */
export interface BatchQuery {
  /** NEXMark query number. */
  readonly n: number;
  /** The SQLite query text. */
  readonly sql: string;
  /** `multiset`: append output, equal as multisets; `final_state`: updating output, final table by `key`. */
  readonly compare: 'multiset' | 'final_state';
  /** Key columns of the final state (`final_state` only). */
  readonly key?: readonly string[];
  /** Output columns holding TIMESTAMP values (epoch ms in SQLite, naive ISO in darq's JSON output). */
  readonly timestamps: readonly string[];
  /** Columns whose values are floats in darq (DECIMAL / DOUBLE): compare with a tolerance. */
  readonly floats?: readonly string[];
  /** Why an exact match may fail even when both sides are right (ties broken arbitrarily). */
  readonly ties?: string;
}

type Spec = Omit<BatchQuery, 'n' | 'sql'>;

const SPECS: Readonly<Record<number, Spec>> = {
  0: { compare: 'multiset', timestamps: ['dateTime'] },
  1: { compare: 'multiset', timestamps: ['dateTime'], floats: ['price'] },
  2: { compare: 'multiset', timestamps: [] },
  3: { compare: 'multiset', timestamps: [] },
  4: { compare: 'final_state', key: ['id'], timestamps: [] },
  5: { compare: 'multiset', timestamps: [] },
  6: {
    compare: 'final_state',
    timestamps: [],
    ties: 'winning bids of one seller with equal dateTime (none at 1000 events/s)',
  },
  7: { compare: 'multiset', timestamps: ['dateTime'] },
  8: { compare: 'multiset', timestamps: ['starttime'] },
  9: {
    compare: 'final_state',
    key: ['id'],
    timestamps: ['dateTime', 'expires', 'bid_dateTime'],
    ties: 'bids tied on price and dateTime',
  },
  10: { compare: 'multiset', timestamps: ['dateTime'] },
  11: { compare: 'multiset', timestamps: ['starttime', 'endtime'] },
  13: { compare: 'multiset', timestamps: ['dateTime'] },
  14: { compare: 'multiset', timestamps: ['dateTime'], floats: ['price'] },
  15: { compare: 'final_state', key: ['day'], timestamps: [] },
  16: { compare: 'final_state', key: ['channel', 'day'], timestamps: [] },
  17: { compare: 'final_state', key: ['auction', 'day'], timestamps: [] },
  18: {
    compare: 'final_state',
    key: ['bidder', 'auction'],
    timestamps: ['dateTime'],
    ties: 'bids of one (bidder, auction) with equal dateTime',
  },
  19: {
    compare: 'final_state',
    key: ['auction', 'rank_number'],
    timestamps: ['dateTime'],
    ties: 'bids tied on price at a rank',
  },
  20: { compare: 'multiset', timestamps: ['bid_dateTime', 'auction_dateTime', 'expires'] },
  21: { compare: 'multiset', timestamps: [] },
  22: { compare: 'multiset', timestamps: [] },
};

/** Numbers of the queries that have a batch form (all but q12). */
export const BATCH_QUERY_NUMBERS: readonly number[] = Object.keys(SPECS).map(Number);

/** The batch form of query `n`; throws for q12 and unknown numbers. */
export function batchQuery(n: number): BatchQuery {
  const spec = SPECS[n];
  if (!spec) {
    throw new Error(
      `NEXMark q${n} has no batch form (${n === 12 ? 'its streaming meaning differs' : 'no such query'}); ` +
        `batch forms exist for q${BATCH_QUERY_NUMBERS.join(', q')}`,
    );
  }
  return { n, sql: readFileSync(join(here, `q${n}.sql`), 'utf8'), ...spec };
}

/** Runs a batch query; its timestamp columns come back formatted as darq writes TIMESTAMP values. */
export function runBatchQuery(db: BatchDatabase, q: BatchQuery): Record<string, unknown>[] {
  const rows = db.prepare(q.sql).all() as Record<string, unknown>[];
  if (q.timestamps.length === 0) return rows;
  for (const row of rows) {
    for (const c of q.timestamps) {
      const v = row[c];
      if (typeof v === 'number') row[c] = formatTimestamp(v);
    }
  }
  return rows;
}
