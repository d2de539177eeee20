/**
 * NEXMark event generator, a port of the algorithm used by Flink's `nexmark/nexmark` in its
 * seeded form (specs/nexmark.md §2, §2.10): the same id derivations, timestamps and RNG draw
 * order, with `java.util.SplittableRandom` reproduced bit for bit. The defaults (seeds 1/2/3)
 * reproduce `specs/nexmark-golden-seeded.tsv` byte for byte.
 *
 * Fixed, as in the SQL connector: proportions 1/3/46, average sizes 200/500/100 bytes, hot ratios
 * 2/4/4, 1000 active people, 100 in-flight auctions, out-of-order group size 1.
 */

import { batchSize, GeneratorError } from './errors.ts';
import { JavaSplittableRandom } from './prng.ts';

export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

interface NexmarkEventCommon {
  /** Events of this split produced before this one (upstream `eventsCountSoFar`). */
  index: number;
  /** Upstream event id (split 0 starts at 2). */
  eventId: number;
  /** Event time, epoch ms: the Flink source table's computed `dateTime` column. */
  timestamp: number;
}

/**
 * One generated event, shaped like the Flink `datagen` table: a `kind` tag (the SQL
 * `event_type` 0/1/2 is `NEXMARK_EVENT_TYPE[kind]`), exactly one non-null entity, and the
 * event's position. Every event has the same object shape whatever its kind.
 */
export type NexmarkEvent =
  | (NexmarkEventCommon & { kind: 'person'; person: Person; auction: null; bid: null })
  | (NexmarkEventCommon & { kind: 'auction'; person: null; auction: Auction; bid: null })
  | (NexmarkEventCommon & { kind: 'bid'; person: null; auction: null; bid: Bid });

export const NEXMARK_EVENT_TYPE = { person: 0, auction: 1, bid: 2 } as const;

export interface NexmarkOptions {
  /** Total events over all splits (`events.num`); 0 means upstream's effectively unbounded maximum. */
  events: number;
  /** Event-time rate over all splits, events/s (`first-event.rate`). Default 10 000 000. */
  rate?: number;
  /** Number of splits (the source parallelism). Default 1. */
  splits?: number;
  /** Epoch ms of event number 0. Default 1700000000000. */
  baseTime?: number;
  /** Seed of the 1 MiB `extra` character pool. Default 1. */
  seedExtra?: number;
  /** Seed of the hot URLs and the channel→URL table. Default 2. */
  seedChannels?: number;
  /** Split i's event RNG is seeded with seedEvents + firstEventId_i. Default 3. */
  seedEvents?: number;
}

export interface NexmarkSnapshot {
  readonly v: 1;
  readonly split: number;
  readonly firstEventId: number;
  readonly count: number;
  readonly rngHi: number;
  readonly rngLo: number;
}

// Model constants (specs/nexmark.md §2.1).
const FIRST_PERSON_ID = 1000;
const FIRST_AUCTION_ID = 1000;
const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const HOT_BATCH = 100;
const PERSON_PROPORTION = 1;
const AUCTION_PROPORTION = 3;
const TOTAL_PROPORTION = 50;
const HOT_AUCTION_RATIO = 2;
const HOT_SELLERS_RATIO = 4;
const HOT_BIDDERS_RATIO = 4;
const NUM_ACTIVE_PEOPLE = 1000;
const NUM_IN_FLIGHT_AUCTIONS = 100;
const AVG_PERSON_BYTES = 200;
const AVG_AUCTION_BYTES = 500;
const AVG_BID_BYTES = 100;
const AUCTION_HORIZON_EVENTS = Math.floor((NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / AUCTION_PROPORTION);
const UNBOUNDED_EVENTS = 368934881474191; // floor((2^63-1) / (50 * 500)), upstream's maximum
const POOL_LENGTH = 1048576;
const CHANNELS = 10000;

const FIRST_NAMES = [
  'Peter',
  'Paul',
  'Luke',
  'John',
  'Saul',
  'Vicky',
  'Kate',
  'Julie',
  'Sarah',
  'Deiter',
  'Walter',
];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const US_CITIES = [
  'Phoenix',
  'Los Angeles',
  'San Francisco',
  'Boise',
  'Portland',
  'Bend',
  'Redmond',
  'Seattle',
  'Kent',
  'Cheyenne',
];
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const CHANNEL_NAMES: string[] = Array.from({ length: CHANNELS }, (_, i) => `channel-${i}`);
const CARD_GROUPS: string[] = Array.from({ length: 10000 }, (_, i) => String(i).padStart(4, '0'));

/** Uniform integer in [0, n) the way upstream's `nextLong(random, n)` draws it. */
function uniform(rng: JavaSplittableRandom, n: number): number {
  if (n < 2147483647) return rng.nextIntBounded(n);
  const r = rng.nextLongBig() % BigInt(n); // cold path: needs < 1 event per 644 s per split
  return Number(r < 0n ? -r : r);
}

const scratch = Buffer.alloc(128);

/** Upstream `nextString(max, special)`: 3..max-1 chars of [a-z] or `special`, then trimmed of spaces. */
function randomString(rng: JavaSplittableRandom, max: number, special: number): string {
  const len = 3 + rng.nextIntBounded(max - 3);
  for (let i = 0; i < len; i++) {
    scratch[i] = rng.nextIntBounded(13) === 0 ? special : 97 + rng.nextIntBounded(26);
  }
  let start = 0;
  let end = len;
  while (start < end && scratch[start] === 32) start++;
  while (end > start && scratch[end - 1] === 32) end--;
  return scratch.toString('latin1', start, end);
}

// 10^(i/1024) for i = 0..6144, for nexmarkPrice's fast path.
const POW10_STEPS = 1024;
const POW10_TABLE = Float64Array.from({ length: 6 * POW10_STEPS + 1 }, (_, i) => 10 ** (i / POW10_STEPS));

/**
 * Upstream `price()` from its uniform draw d: `Math.round(10^(6d) · 100)`, identical to computing it
 * with Math.pow, about ten times faster. 10^x = 10^(i/1024) · e^(r·ln 10) with a table and a
 * degree-5 polynomial is within a few ulps of Math.pow; whenever that error could change the
 * rounding (value within 1e-6 of a half-integer, about 2 in a million) it falls back to Math.pow.
 */
export function nexmarkPrice(d: number): number {
  const x = d * 6;
  const i = Math.floor(x * POW10_STEPS);
  const t = (x - i / POW10_STEPS) * Math.LN10; // the subtraction is exact (Sterbenz)
  const e = 1 + t * (1 + t * (0.5 + t * (1 / 6 + t * (1 / 24 + t / 120))));
  const v = POW10_TABLE[i]! * e * 100;
  const f = v - Math.floor(v);
  if (f > 0.499999 && f < 0.500001) return Math.round(10 ** x * 100);
  return Math.round(v);
}

interface StaticTables {
  readonly pool: string;
  readonly hotUrls: readonly string[];
  readonly channelUrls: readonly string[];
}

const poolCache = new Map<number, string>();
const channelCache = new Map<number, { hotUrls: string[]; channelUrls: string[] }>();

/** The 1 MiB extra pool: one `nextInt()` gives 6 chars `97 + r % 26` (r signed, so `H`..`z`). */
function extraPool(seed: number): string {
  let pool = poolCache.get(seed);
  if (pool === undefined) {
    const rng = JavaSplittableRandom.fromSeed(seed);
    const buf = Buffer.allocUnsafe(POOL_LENGTH);
    let r = 0;
    let left = 0;
    for (let i = 0; i < POOL_LENGTH; i++) {
      if (left === 0) {
        r = rng.nextInt();
        left = 6;
      }
      buf[i] = 97 + (r % 26);
      r = (r / 26) | 0;
      left--;
    }
    pool = buf.toString('latin1', 0, POOL_LENGTH);
    poolCache.set(seed, pool);
  }
  return pool;
}

function baseUrl(rng: JavaSplittableRandom): string {
  return `https://www.nexmark.com/${randomString(rng, 5, 95)}/${randomString(rng, 5, 95)}/${randomString(rng, 5, 95)}/item.htm?query=1`;
}

function reverseBits32(x: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = (r << 1) | ((x >>> i) & 1);
  }
  return r | 0;
}

function channelTables(seed: number): { hotUrls: string[]; channelUrls: string[] } {
  let t = channelCache.get(seed);
  if (t === undefined) {
    const rng = JavaSplittableRandom.fromSeed(seed);
    const hotUrls = HOT_CHANNELS.map(() => baseUrl(rng));
    const channelUrls: string[] = [];
    for (let i = 0; i < CHANNELS; i++) {
      const url = baseUrl(rng);
      if (rng.nextIntBounded(10) > 0) {
        const rev = reverseBits32(i);
        // Java int Math.abs: abs(-2^31) stays -2^31.
        channelUrls.push(`${url}&channel_id=${rev === -2147483648 ? rev : Math.abs(rev)}`);
      } else {
        channelUrls.push(url);
      }
    }
    t = { hotUrls, channelUrls };
    channelCache.set(seed, t);
  }
  return t;
}

function staticTables(seedExtra: number, seedChannels: number): StaticTables {
  const c = channelTables(seedChannels);
  return { pool: extraPool(seedExtra), hotUrls: c.hotUrls, channelUrls: c.channelUrls };
}

function makeEvent(
  kind: NexmarkEvent['kind'],
  index: number,
  eventId: number,
  timestamp: number,
  person: Person | null,
  auction: Auction | null,
  bid: Bid | null,
): NexmarkEvent {
  return { kind, index, eventId, timestamp, person, auction, bid } as NexmarkEvent;
}

function lastBase0PersonId(e: number): number {
  const epoch = Math.floor(e / TOTAL_PROPORTION);
  let off = e - epoch * TOTAL_PROPORTION;
  if (off >= PERSON_PROPORTION) off = PERSON_PROPORTION - 1;
  return epoch * PERSON_PROPORTION + off;
}

function lastBase0AuctionId(e: number): number {
  let epoch = Math.floor(e / TOTAL_PROPORTION);
  let off = e - epoch * TOTAL_PROPORTION;
  if (off < PERSON_PROPORTION) {
    epoch--;
    off = AUCTION_PROPORTION - 1;
  } else if (off >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    off = AUCTION_PROPORTION - 1;
  } else {
    off -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + off;
}

function isSafeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x);
}

interface Resolved {
  rate: number;
  splits: number;
  baseTime: number;
  seedExtra: number;
  seedChannels: number;
  seedEvents: number;
  totalEvents: number;
}

function resolve(opts: NexmarkOptions): Resolved {
  const o = opts as Partial<NexmarkOptions> | undefined;
  if (o === undefined || o === null || typeof o !== 'object') {
    throw new GeneratorError('GEN_BAD_OPTION', 'options', 'expected an object such as { events: 1000000 }');
  }
  if (!isSafeInt(o.events) || o.events < 0) {
    throw new GeneratorError(
      'GEN_BAD_OPTION',
      'events',
      `expected a non-negative integer (0 = unbounded), got ${String(o.events)}`,
    );
  }
  const rate = o.rate ?? 10_000_000;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
    throw new GeneratorError('GEN_BAD_OPTION', 'rate', `expected events per second > 0, got ${String(rate)}`);
  }
  const splits = o.splits ?? 1;
  if (!isSafeInt(splits) || splits < 1 || splits > 65536) {
    throw new GeneratorError(
      'GEN_BAD_OPTION',
      'splits',
      `expected an integer in 1..65536, got ${String(splits)}`,
    );
  }
  const baseTime = o.baseTime ?? 1700000000000;
  const seedExtra = o.seedExtra ?? 1;
  const seedChannels = o.seedChannels ?? 2;
  const seedEvents = o.seedEvents ?? 3;
  for (const [name, v] of [
    ['baseTime', baseTime],
    ['seedExtra', seedExtra],
    ['seedChannels', seedChannels],
    ['seedEvents', seedEvents],
  ] as const) {
    if (!isSafeInt(v)) {
      throw new GeneratorError('GEN_BAD_OPTION', name, `expected a safe integer, got ${String(v)}`);
    }
  }
  return {
    rate,
    splits,
    baseTime,
    seedExtra,
    seedChannels,
    seedEvents,
    totalEvents: o.events === 0 ? UNBOUNDED_EVENTS : o.events,
  };
}

/**
 * One split of the NEXMark stream: a resumable, deterministic sequence of events.
 *
 * ```ts
 * const g = new NexmarkGenerator({ events: 1_000_000, rate: 1000 });
 * g.nextBatch(2); // [{ kind: 'auction', eventId: 2, … }, { kind: 'auction', eventId: 3, … }]
 * ```
 */
export class NexmarkGenerator {
  readonly split: number;
  /** Events this split produces in total. */
  readonly limit: number;
  readonly firstEventId: number;
  private readonly baseTime: number;
  private readonly delayUs: number;
  private readonly pool: string;
  private readonly hotUrls: readonly string[];
  private readonly channelUrls: readonly string[];
  private readonly rng: JavaSplittableRandom;
  private count = 0;

  constructor(opts: NexmarkOptions, split = 0) {
    const r = resolve(opts);
    if (!isSafeInt(split) || split < 0 || split >= r.splits) {
      throw new GeneratorError(
        'GEN_BAD_SPLIT',
        'split',
        `split ${String(split)} does not exist: splits are numbered 0..${r.splits - 1}`,
      );
    }
    const sub = Math.floor(r.totalEvents / r.splits);
    this.split = split;
    this.limit = split === r.splits - 1 ? r.totalEvents - sub * (r.splits - 1) : sub;
    this.firstEventId = 1 + split * sub;
    this.baseTime = r.baseTime;
    this.delayUs = (1_000_000 / r.rate) * r.splits;
    const t = staticTables(r.seedExtra, r.seedChannels);
    this.pool = t.pool;
    this.hotUrls = t.hotUrls;
    this.channelUrls = t.channelUrls;
    this.rng = JavaSplittableRandom.fromSeed(r.seedEvents + this.firstEventId);
  }

  /** Events produced so far by this split. */
  get position(): number {
    return this.count;
  }

  /** True once every event of this split has been produced. */
  get done(): boolean {
    return this.count >= this.limit;
  }

  /**
   * The generator watermark: the timestamp of the next event this split will produce (upstream's
   * generatorWatermark of that event), a lower bound on every later event time. +Infinity at the end.
   */
  watermark(): number {
    return this.count >= this.limit ? Number.POSITIVE_INFINITY : this.timestampOf(this.count + 1);
  }

  /** Up to `max` next events; an empty array once the split is exhausted. */
  nextBatch(max: number): NexmarkEvent[] {
    const n = Math.min(batchSize(max), this.limit - this.count);
    const out = new Array<NexmarkEvent>(n);
    for (let i = 0; i < n; i++) out[i] = this.nextEvent();
    return out;
  }

  /** Cheap, msgpack-able plain data: the split, the count and the 64-bit RNG state. */
  snapshot(): NexmarkSnapshot {
    return {
      v: 1,
      split: this.split,
      firstEventId: this.firstEventId,
      count: this.count,
      rngHi: this.rng.hi,
      rngLo: this.rng.lo,
    };
  }

  /** A generator that continues exactly where the snapshotted one stood. */
  static restore(opts: NexmarkOptions, split: number, snap: unknown): NexmarkGenerator {
    const g = new NexmarkGenerator(opts, split);
    const s = snap as Partial<NexmarkSnapshot> | null;
    if (
      s === null ||
      typeof s !== 'object' ||
      s.v !== 1 ||
      !isSafeInt(s.count) ||
      !isSafeInt(s.rngHi) ||
      !isSafeInt(s.rngLo) ||
      s.count < 0 ||
      s.count > g.limit
    ) {
      throw new GeneratorError(
        'GEN_BAD_SNAPSHOT',
        'snapshot',
        'not a NEXMark generator snapshot (expected the value returned by snapshot())',
      );
    }
    if (s.split !== split || s.firstEventId !== g.firstEventId) {
      throw new GeneratorError(
        'GEN_BAD_SNAPSHOT',
        'snapshot',
        `the snapshot belongs to split ${String(s.split)} (first event id ${String(s.firstEventId)}), not split ${split} ` +
          `of these options (first event id ${g.firstEventId}); restore with the options it was taken under`,
      );
    }
    g.count = s.count;
    g.rng.hi = s.rngHi >>> 0;
    g.rng.lo = s.rngLo >>> 0;
    return g;
  }

  /** Upstream `timestampForEvent(k)`: baseTime + trunc(trunc(k·delayUs) / 1000). */
  private timestampOf(k: number): number {
    const x = Math.trunc(k * this.delayUs);
    // floor(x / 1000) without fmod; the correction makes it exact for every integer x < 2^53.
    let q = Math.floor(x / 1000);
    if (q * 1000 > x) q--;
    return this.baseTime + q;
  }

  private nextEvent(): NexmarkEvent {
    const index = this.count++;
    const en = index + 1;
    const eventId = this.firstEventId + en;
    const t = this.timestampOf(en);
    const rem = eventId % TOTAL_PROPORTION;
    if (rem < PERSON_PROPORTION) {
      return makeEvent('person', index, eventId, t, this.person(eventId, t), null, null);
    }
    if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) {
      return makeEvent('auction', index, eventId, t, null, this.auction(en, eventId, t), null);
    }
    return makeEvent('bid', index, eventId, t, null, null, this.bid(eventId, t));
  }

  private randomPerson(e: number): number {
    const next = lastBase0PersonId(e) + 1;
    const active = Math.min(next, NUM_ACTIVE_PEOPLE);
    return next - active + uniform(this.rng, active + PERSON_ID_LEAD);
  }

  private randomAuction(e: number): number {
    const hi = lastBase0AuctionId(e);
    const lo = Math.max(hi - NUM_IN_FLIGHT_AUCTIONS, 0);
    return lo + uniform(this.rng, hi - lo + 1 + AUCTION_ID_LEAD);
  }

  private price(): number {
    return nexmarkPrice(this.rng.nextDouble());
  }

  private extra(current: number, average: number): string {
    if (current > average) return '';
    const d = average - current;
    const delta = Math.round(d * 0.2);
    const size = d - delta + (delta === 0 ? 0 : this.rng.nextIntBounded(2 * delta));
    const off = this.rng.nextIntBounded(POOL_LENGTH - size);
    return this.pool.substring(off, off + size);
  }

  private person(e: number, t: number): Person {
    const rng = this.rng;
    const name = `${FIRST_NAMES[rng.nextIntBounded(11)]} ${LAST_NAMES[rng.nextIntBounded(9)]}`;
    const emailAddress = `${randomString(rng, 7, 32)}@${randomString(rng, 5, 32)}.com`;
    const creditCard = `${CARD_GROUPS[rng.nextIntBounded(10000)]} ${CARD_GROUPS[rng.nextIntBounded(10000)]} ${CARD_GROUPS[rng.nextIntBounded(10000)]} ${CARD_GROUPS[rng.nextIntBounded(10000)]}`;
    const city = US_CITIES[rng.nextIntBounded(10)]!;
    const state = US_STATES[rng.nextIntBounded(6)]!;
    const extra = this.extra(
      8 + name.length + emailAddress.length + creditCard.length + city.length + state.length,
      AVG_PERSON_BYTES,
    );
    return {
      id: lastBase0PersonId(e) + FIRST_PERSON_ID,
      name,
      emailAddress,
      creditCard,
      city,
      state,
      dateTime: t,
      extra,
    };
  }

  private auction(en: number, e: number, t: number): Auction {
    const rng = this.rng;
    const seller =
      (uniform(rng, HOT_SELLERS_RATIO) > 0
        ? Math.floor(lastBase0PersonId(e) / HOT_BATCH) * HOT_BATCH
        : this.randomPerson(e)) + FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + rng.nextIntBounded(NUM_CATEGORIES);
    const initialBid = this.price();
    const horizon = this.timestampOf(en + AUCTION_HORIZON_EVENTS) - t;
    const expires = t + 1 + uniform(rng, Math.max(horizon * 2, 1));
    const itemName = randomString(rng, 20, 32);
    const description = randomString(rng, 100, 32);
    const reserve = initialBid + this.price();
    const extra = this.extra(8 + itemName.length + description.length + 40, AVG_AUCTION_BYTES);
    return {
      id: lastBase0AuctionId(e) + FIRST_AUCTION_ID,
      itemName,
      description,
      initialBid,
      reserve,
      dateTime: t,
      expires,
      seller,
      category,
      extra,
    };
  }

  private bid(e: number, t: number): Bid {
    const rng = this.rng;
    const auction =
      (uniform(rng, HOT_AUCTION_RATIO) > 0
        ? Math.floor(lastBase0AuctionId(e) / HOT_BATCH) * HOT_BATCH
        : this.randomAuction(e)) + FIRST_AUCTION_ID;
    const bidder =
      (uniform(rng, HOT_BIDDERS_RATIO) > 0
        ? Math.floor(lastBase0PersonId(e) / HOT_BATCH) * HOT_BATCH + 1
        : this.randomPerson(e)) + FIRST_PERSON_ID;
    const price = this.price();
    let channel: string;
    let url: string;
    if (rng.nextIntBounded(2) > 0) {
      const i = rng.nextIntBounded(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i]!;
      url = this.hotUrls[i]!;
    } else {
      const k = rng.nextIntBounded(CHANNELS);
      channel = CHANNEL_NAMES[k]!;
      url = this.channelUrls[k]!;
    }
    const extra = this.extra(32, AVG_BID_BYTES);
    // Upstream adds FIRST_PERSON_ID to the bidder a second time: bidder ids carry +2000.
    return { auction, bidder: bidder + FIRST_PERSON_ID, price, channel, url, dateTime: t, extra };
  }
}

/**
 * One event in the golden TSV format of specs/nexmark.md §2.10 (no trailing newline):
 * `split, index, eventId, eventTimestamp, generatorWatermark, P|A|B, fields in Flink view order`.
 */
export function nexmarkTsvLine(split: number, e: NexmarkEvent): string {
  const head = `${split}\t${e.index}\t${e.eventId}\t${e.timestamp}\t${e.timestamp}\t`;
  switch (e.kind) {
    case 'person': {
      const p = e.person;
      return `${head}P\t${p.id}\t${p.name}\t${p.emailAddress}\t${p.creditCard}\t${p.city}\t${p.state}\t${p.dateTime}\t${p.extra}`;
    }
    case 'auction': {
      const a = e.auction;
      return `${head}A\t${a.id}\t${a.itemName}\t${a.description}\t${a.initialBid}\t${a.reserve}\t${a.dateTime}\t${a.expires}\t${a.seller}\t${a.category}\t${a.extra}`;
    }
    case 'bid': {
      const b = e.bid;
      return `${head}B\t${b.auction}\t${b.bidder}\t${b.price}\t${b.channel}\t${b.url}\t${b.dateTime}\t${b.extra}`;
    }
    default: {
      const never: never = e;
      throw new Error(`unknown NEXMark event ${JSON.stringify(never)}`);
    }
  }
}

/** Test hooks for the static tables (pool prefix, URLs) of given seeds. */
export function nexmarkStaticTables(seedExtra = 1, seedChannels = 2): StaticTables {
  return staticTables(seedExtra, seedChannels);
}
