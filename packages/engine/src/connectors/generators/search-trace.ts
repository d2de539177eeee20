/**
 * The DARQ paper's search-trend trace (specs/darq-reference.md §6.1–6.2), seeded and resumable.
 *
 * Model, second by second (s = 0, 1, …):
 * 1. Trend check, once at the start of each second while no trend is active: with probability
 *    `trendProbability` a trend starts in a uniformly chosen region and lasts
 *    `max(1, round(Normal(trendMean, trendStd)))` searches (counted over all regions; it may span
 *    several seconds and ends mid-second).
 * 2. The second holds n ~ Poisson(rate) searches; search j (0-based) gets
 *    `ts = startMs + 1000·s + floor(1000·j / n)`: spread evenly, integer ms, non-decreasing.
 * 3. Each search picks a region uniformly (8 regions, one fixed IP each, region = sum of octets
 *    mod 8), a user id uniform in [0, 2^20), and is relevant (its term starts with "fever") with
 *    probability `relevantProbability`, or `min(1, 3·relevantProbability)` in a trending region.
 * 4. Terms are `termLength` characters: a relevant term is "fever" + lowercase letters, any other
 *    term is lowercase letters containing no "fever" anywhere. They are windows into fixed,
 *    seed-independent letter pools (2^20 offsets, 2^14 relevant terms), so a term costs one draw.
 *
 * Randomness: xoshiro128** seeded with splitmix32(seed), 3 draws per search; Poisson counts by
 * PTRS (Hörmann 1993) for rate ≥ 10 and by inversion below; Normal by Box–Muller. V8 computes
 * Math.log/exp/cos with its own fdlibm port, so a seed gives the same trace on any machine.
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import { batchSize, GeneratorError } from './errors.ts';
import { Xoshiro128ss } from './prng.ts';

export interface SearchEvent {
  term: string;
  user_id: number;
  ip: string;
  /** Event time, epoch ms. */
  ts: number;
}

export interface SearchTraceOptions {
  /** Seed (its low 32 bits are used). Default 1. */
  seed?: number;
  /** Mean searches per second (Poisson). */
  rate: number;
  /** Length of the trace in seconds. Unbounded when neither `seconds` nor `events` is set. */
  seconds?: number;
  /** Stop after this many searches (possibly mid-second). */
  events?: number;
  /** Probability a search is relevant (term starts with "fever"). Default 0.2. */
  relevantProbability?: number;
  /** Probability, checked once per second while no trend runs, that a trend starts. Default 0.1. */
  trendProbability?: number;
  /** Mean trend length in searches. Default 50 000. */
  trendMean?: number;
  /** Standard deviation of the trend length in searches. Default 10 000. */
  trendStd?: number;
  /** Epoch ms of the start of second 0. Default 1700000000000. */
  startMs?: number;
  /** Characters per term, 5..4096. Default 80. */
  termLength?: number;
}

export type SearchTracePreset = 'events-50k' | 'events-10k-long' | 'events-250k';

/** The paper's workloads (§6.1 paper-era and §6.2 libDSE generator presets). */
export const SEARCH_TRACE_PRESETS: Readonly<Record<SearchTracePreset, Readonly<SearchTraceOptions>>> =
  Object.freeze({
    'events-50k': Object.freeze({ rate: 50_000, seconds: 30, trendMean: 50_000, trendStd: 10_000 }),
    'events-10k-long': Object.freeze({ rate: 10_000, seconds: 120, trendMean: 5_000, trendStd: 2_500 }),
    'events-250k': Object.freeze({ rate: 250_000, seconds: 30, trendMean: 250_000, trendStd: 100_000 }),
  });

/** One representative IP per region: 203.0.113.(20 + r), whose octets sum to 336 + r ≡ r (mod 8). */
export const REGION_IPS: readonly string[] = Object.freeze(
  Array.from({ length: 8 }, (_, r) => `203.0.113.${20 + r}`),
);

/**
 * The paper's region of an IPv4 address: the sum of its four octets mod 8.
 *
 * ```ts
 * regionOf('203.0.113.21') // 1
 * ```
 * Throws GeneratorError GEN_BAD_IPV4 unless `ip` is four dot-separated decimal octets 0..255.
 */
export function regionOf(ip: string): number {
  let sum = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255) return badIp(ip);
      sum += octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else {
      return badIp(ip);
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return badIp(ip);
  return (sum + octet) & 7;
}

function badIp(ip: string): never {
  throw new GeneratorError(
    'GEN_BAD_IPV4',
    'regionOf(ip)',
    `${JSON.stringify(ip)} is not a dotted-quad IPv4 address like "203.0.113.20"`,
  );
}

const POOL_OFFSETS = 1 << 20;
const RELEVANT_TERMS = 1 << 14;
const POOL_SEED = 0x5eed7e57;

/**
 * One pool per term length: 2^20 + L letters with every "fever" scrubbed (offsets 0..2^20-1 start
 * an irrelevant term), followed by 2^14 relevant terms of L chars each starting with "fever".
 * Kept as a string (terms are cheap slices) and as bytes (the JSONL writer copies from them).
 */
interface TermPool {
  readonly text: string;
  readonly bytes: Buffer;
  readonly relevantAt: number;
}

const poolCache = new Map<number, TermPool>();

function termPool(termLength: number): TermPool {
  let pool = poolCache.get(termLength);
  if (pool === undefined) {
    const rng = Xoshiro128ss.fromSeed(POOL_SEED);
    const n = POOL_OFFSETS + termLength;
    const bytes = Buffer.allocUnsafe(n + RELEVANT_TERMS * termLength);
    for (let i = 0; i < n; i++) bytes[i] = 97 + Math.floor((rng.next() * 26) / 4294967296);
    // Scrub every "fever" (f e v e r): turning its 'v' into 'w' cannot create a new one.
    for (let i = 0; i + 5 <= n; i++) {
      if (
        bytes[i] === 102 &&
        bytes[i + 1] === 101 &&
        bytes[i + 2] === 118 &&
        bytes[i + 3] === 101 &&
        bytes[i + 4] === 114
      ) {
        bytes[i + 2] = 119;
      }
    }
    for (let t = 0; t < RELEVANT_TERMS; t++) {
      const at = n + t * termLength;
      bytes.write('fever', at, 'latin1');
      const from = Math.floor((rng.next() * (POOL_OFFSETS - termLength)) / 4294967296);
      bytes.copy(bytes, at + 5, from, from + termLength - 5);
    }
    pool = { text: bytes.toString('latin1'), bytes, relevantAt: n };
    poolCache.set(termLength, pool);
  }
  return pool;
}

interface ResolvedTrace {
  seed: number;
  rate: number;
  seconds: number;
  events: number;
  relevantProbability: number;
  trendProbability: number;
  trendMean: number;
  trendStd: number;
  startMs: number;
  termLength: number;
}

function num(
  o: Record<string, unknown>,
  key: string,
  dflt: number,
  ok: (v: number) => boolean,
  want: string,
): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !ok(v)) {
    throw new GeneratorError(
      'GEN_BAD_OPTION',
      key,
      `expected ${want}, got ${JSON.stringify(v) ?? String(v)}`,
    );
  }
  return v;
}

function resolveTrace(opts: SearchTraceOptions): ResolvedTrace {
  if (opts === null || typeof opts !== 'object') {
    throw new GeneratorError(
      'GEN_BAD_OPTION',
      'options',
      'expected an object such as { rate: 50000, seconds: 30 }',
    );
  }
  const o = opts as unknown as Record<string, unknown>;
  const prob = (v: number) => v >= 0 && v <= 1;
  const finite = Number.isFinite;
  const count = (v: number) => Number.isSafeInteger(v) && v >= 0;
  return {
    seed: num(o, 'seed', 1, Number.isSafeInteger, 'an integer'),
    rate: num(
      o,
      'rate',
      Number.NaN,
      (v) => finite(v) && v > 0 && v <= 1e9,
      'searches per second in (0, 1e9]',
    ),
    seconds: num(
      o,
      'seconds',
      Number.POSITIVE_INFINITY,
      (v) => v === Infinity || count(v),
      'a whole number of seconds',
    ),
    events: num(
      o,
      'events',
      Number.POSITIVE_INFINITY,
      (v) => v === Infinity || count(v),
      'a non-negative integer',
    ),
    relevantProbability: num(o, 'relevantProbability', 0.2, prob, 'a probability in [0, 1]'),
    trendProbability: num(o, 'trendProbability', 0.1, prob, 'a probability in [0, 1]'),
    trendMean: num(o, 'trendMean', 50_000, (v) => finite(v) && v >= 0, 'a non-negative number of searches'),
    trendStd: num(o, 'trendStd', 10_000, (v) => finite(v) && v >= 0, 'a non-negative number of searches'),
    startMs: num(o, 'startMs', 1700000000000, Number.isSafeInteger, 'epoch milliseconds (an integer)'),
    termLength: num(
      o,
      'termLength',
      80,
      (v) => Number.isInteger(v) && v >= 5 && v <= 4096,
      'an integer in 5..4096',
    ),
  };
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** uint32 threshold t with P(next() < t) = p (p = 1 gives 2^32: always). */
function threshold(p: number): number {
  return Math.round(p * 4294967296);
}

/** ln Γ(x) for x ≥ 1: shift to x ≥ 8, then the Stirling series. */
function logGamma(x: number): number {
  let shift = 0;
  while (x < 8) {
    shift += Math.log(x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680))));
  return (x - 0.5) * Math.log(x) - x + 0.9189385332046728 + series - shift;
}

function poisson(rng: Xoshiro128ss, lam: number): number {
  if (lam < 10) {
    const limit = Math.exp(-lam);
    let k = 0;
    let prod = rng.nextDouble();
    while (prod > limit) {
      k++;
      prod *= rng.nextDouble();
    }
    return k;
  }
  // PTRS: transformed rejection with squeeze (Hörmann 1993).
  const sq = Math.sqrt(lam);
  const logLam = Math.log(lam);
  const b = 0.931 + 2.53 * sq;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.nextDouble() - 0.5;
    const v = rng.nextDouble();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (
      Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <=
      -lam + k * logLam - logGamma(k + 1)
    ) {
      return k;
    }
  }
}

function normal(rng: Xoshiro128ss): number {
  const u1 = 1 - rng.nextDouble(); // (0, 1]
  const u2 = rng.nextDouble();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A batch of searches as columns, for consumers that want no per-event objects. Search i has term
 * `pool.substring(termAt[i], termAt[i] + termLength)` (bytes `poolBytes[termAt[i] …]`), which is
 * relevant (starts with "fever") exactly when `termAt[i] >= relevantAt`; `user_id = userId[i]`,
 * `ip = REGION_IPS[region[i]]`, `ts = ts[i]`. The arrays are shared scratch, overwritten by the next
 * `fillColumns` call of any generator; only the first `n` entries are meaningful.
 */
export interface SearchColumns {
  readonly n: number;
  readonly termAt: Int32Array;
  readonly userId: Int32Array;
  readonly region: Uint8Array;
  readonly ts: Float64Array;
  readonly termLength: number;
  readonly relevantAt: number;
  readonly pool: string;
  readonly poolBytes: Uint8Array;
}

/** Most searches one `fillColumns` call returns. */
export const SEARCH_COLUMNS_CAPACITY = 65536;
const rawTerm = new Int32Array(SEARCH_COLUMNS_CAPACITY);
const rawUser = new Int32Array(SEARCH_COLUMNS_CAPACITY);
const rawRegion = new Uint8Array(SEARCH_COLUMNS_CAPACITY);
const rawTs = new Float64Array(SEARCH_COLUMNS_CAPACITY);

export interface SearchTraceSnapshot {
  readonly v: 1;
  readonly rng: readonly [number, number, number, number];
  readonly second: number;
  readonly inSecond: number;
  readonly next: number;
  readonly trendRegion: number;
  readonly trendLeft: number;
  readonly position: number;
  /** Hash of the options the snapshot was taken under: restore refuses other options. */
  readonly options: number;
}

/**
 * A resumable search-trend trace. The engine's source participant checkpoints `snapshot()`.
 *
 * ```ts
 * const g = new SearchTraceGenerator({ ...SEARCH_TRACE_PRESETS['events-50k'], seed: 7 });
 * g.nextBatch(1); // [{ term: 'fever…' | '…', user_id: 123456, ip: '203.0.113.22', ts: 1700000000000 }]
 * ```
 */
export class SearchTraceGenerator {
  private readonly opts: ResolvedTrace;
  private readonly fingerprint: number;
  private readonly rng: Xoshiro128ss;
  private readonly pool: TermPool;
  /** Characters per term. */
  readonly termLength: number;
  private readonly baseThreshold: number;
  private readonly trendThreshold: number;
  private second = -1;
  private inSecond = 0;
  private next = 0;
  private trendRegion = -1;
  private trendLeft = 0;
  private count = 0;

  constructor(opts: SearchTraceOptions) {
    this.opts = resolveTrace(opts);
    this.fingerprint = fnv1a(JSON.stringify(this.opts));
    this.rng = Xoshiro128ss.fromSeed(this.opts.seed);
    this.pool = termPool(this.opts.termLength);
    this.termLength = this.opts.termLength;
    this.baseThreshold = threshold(this.opts.relevantProbability);
    this.trendThreshold = threshold(Math.min(1, 3 * this.opts.relevantProbability));
  }

  /** Searches produced so far. */
  get position(): number {
    return this.count;
  }

  /** False for an unbounded trace (neither `seconds` nor `events` set). */
  get bounded(): boolean {
    return this.opts.seconds !== Number.POSITIVE_INFINITY || this.opts.events !== Number.POSITIVE_INFINITY;
  }

  /** True once the trace has ended (never for an unbounded trace). */
  get done(): boolean {
    return (
      this.count >= this.opts.events || (this.next >= this.inSecond && this.second + 1 >= this.opts.seconds)
    );
  }

  /** The region of the running trend, or -1 (for tests and dashboards). */
  get trendingRegion(): number {
    return this.trendLeft > 0 ? this.trendRegion : -1;
  }

  /** Up to `max` next searches, in timestamp order; an empty array at the end of the trace. */
  nextBatch(max: number): SearchEvent[] {
    const n = this.fill(max);
    const out = new Array<SearchEvent>(n);
    const text = this.pool.text;
    const len = this.termLength;
    for (let i = 0; i < n; i++) {
      const at = rawTerm[i]!;
      out[i] = {
        term: text.substring(at, at + len),
        user_id: rawUser[i]!,
        ip: REGION_IPS[rawRegion[i]!]!,
        ts: rawTs[i]!,
      };
    }
    return out;
  }

  /**
   * The next min(max, SEARCH_COLUMNS_CAPACITY) searches as columns, with no per-search object:
   * the same searches, in the same order, as `nextBatch` would return.
   *
   * ```ts
   * const c = g.fillColumns(8192);
   * for (let i = 0; i < c.n; i++) if (c.termAt[i] >= c.relevantAt) count[c.region[i]]++;
   * ```
   */
  fillColumns(max: number): SearchColumns {
    const n = this.fill(max);
    const pool = this.pool;
    return {
      n,
      termAt: rawTerm,
      userId: rawUser,
      region: rawRegion,
      ts: rawTs,
      termLength: this.termLength,
      relevantAt: pool.relevantAt,
      pool: pool.text,
      poolBytes: pool.bytes,
    };
  }

  /** The generation core: fills the column scratch, returns how many searches. */
  private fill(max: number): number {
    const limit = Math.min(batchSize(max), SEARCH_COLUMNS_CAPACITY, this.opts.events - this.count);
    const rng = this.rng;
    const len = this.termLength;
    const relevantAt = this.pool.relevantAt;
    const base = this.opts.startMs;
    let filled = 0;
    while (filled < limit) {
      if (this.next >= this.inSecond && !this.startSecond()) break;
      const n = this.inSecond;
      const secondStart = base + this.second * 1000;
      const stop = Math.min(n, this.next + (limit - filled));
      for (let j = this.next; j < stop; j++) {
        const x = rng.next();
        const region = x >>> 29;
        const trending = this.trendLeft > 0 && region === this.trendRegion;
        const isRelevant = rng.next() < (trending ? this.trendThreshold : this.baseThreshold);
        const z = rng.next();
        if (this.trendLeft > 0) this.trendLeft--;
        rawTerm[filled] = isRelevant ? relevantAt + (z >>> 18) * len : z >>> 12;
        rawUser[filled] = x & 0xfffff;
        rawRegion[filled] = region;
        rawTs[filled] = secondStart + Math.floor((j * 1000) / n);
        filled++;
      }
      this.count += stop - this.next;
      this.next = stop;
    }
    return filled;
  }

  /** Opens the next non-empty second; false at the end of the trace. */
  private startSecond(): boolean {
    const rng = this.rng;
    do {
      if (this.second + 1 >= this.opts.seconds) return false;
      this.second++;
      if (this.trendLeft === 0 && rng.nextDouble() < this.opts.trendProbability) {
        this.trendRegion = rng.next() >>> 29;
        this.trendLeft = Math.max(1, Math.round(this.opts.trendMean + this.opts.trendStd * normal(rng)));
      }
      this.inSecond = poisson(rng, this.opts.rate);
      this.next = 0;
    } while (this.inSecond === 0);
    return true;
  }

  /** Cheap, msgpack-able plain data: RNG state and counters. */
  snapshot(): SearchTraceSnapshot {
    return {
      v: 1,
      rng: this.rng.state(),
      second: this.second,
      inSecond: this.inSecond,
      next: this.next,
      trendRegion: this.trendRegion,
      trendLeft: this.trendLeft,
      position: this.count,
      options: this.fingerprint,
    };
  }

  /** A generator that continues exactly where the snapshotted one stood (same options required). */
  static restore(opts: SearchTraceOptions, snapshot: unknown): SearchTraceGenerator {
    const g = new SearchTraceGenerator(opts);
    const s = snapshot as Partial<SearchTraceSnapshot> | null;
    const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
    if (
      s === null ||
      typeof s !== 'object' ||
      s.v !== 1 ||
      !Array.isArray(s.rng) ||
      s.rng.length !== 4 ||
      !s.rng.every((w) => int(w) && w >= 0 && w <= 0xffffffff) ||
      !int(s.second) ||
      !int(s.inSecond) ||
      !int(s.next) ||
      !int(s.trendRegion) ||
      !int(s.trendLeft) ||
      !int(s.position) ||
      s.next > s.inSecond ||
      s.position > g.opts.events
    ) {
      throw new GeneratorError(
        'GEN_BAD_SNAPSHOT',
        'snapshot',
        'not a search-trace snapshot (expected the value returned by SearchTraceGenerator.snapshot())',
      );
    }
    if (s.options !== g.fingerprint) {
      throw new GeneratorError(
        'GEN_BAD_SNAPSHOT',
        'snapshot',
        'the snapshot was taken under other options (seed, rate, seconds, …); restore with the options it was taken under',
      );
    }
    const [a, b, c, d] = s.rng as [number, number, number, number];
    g.rng.a = a;
    g.rng.b = b;
    g.rng.c = c;
    g.rng.d = d;
    g.second = s.second;
    g.inSecond = s.inSecond;
    g.next = s.next;
    g.trendRegion = s.trendRegion;
    g.trendLeft = s.trendLeft;
    g.count = s.position;
    return g;
  }
}

const CHUNK_BYTES = 4 << 20;
const enc = (s: string) => Buffer.from(s, 'latin1');
const TERM_OPEN = enc('{"term":"');
const USER_OPEN = enc('","user_id":');
const IP_AND_TS = REGION_IPS.map((ip) => enc(`,"ip":"${ip}","ts":`));
const LINE_END = enc('}\n');

function put(buf: Buffer, off: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) buf[off + i] = bytes[i]!;
  return off + bytes.length;
}

function putUint(buf: Buffer, off: number, v: number): number {
  let digits = 1;
  for (let p = 10; p <= v; p *= 10) digits++;
  let at = off + digits;
  do {
    const q = Math.floor(v / 10);
    buf[--at] = 48 + (v - q * 10);
    v = q;
  } while (v > 0);
  return off + digits;
}

/**
 * Writes a whole trace as JSONL, one `{"term":"…","user_id":123,"ip":"…","ts":1700000000000}`
 * per line, through a 4 MiB buffer (memory stays bounded whatever the length).
 *
 * ```ts
 * writeSearchTraceJsonl('data/searches.jsonl', SEARCH_TRACE_PRESETS['events-50k']);
 * // { events: ~1 500 000, bytes: ~190 MB }
 * ```
 */
export function writeSearchTraceJsonl(
  path: string,
  opts: SearchTraceOptions,
  onProgress?: (events: number) => void,
): { events: number; bytes: number } {
  const g = new SearchTraceGenerator(opts);
  if (!g.bounded) {
    throw new GeneratorError(
      'GEN_UNBOUNDED',
      'options',
      'a JSONL trace must end: set `seconds` or `events` (or use a preset such as events-50k)',
    );
  }
  const len = g.termLength;
  const pool = termPool(len).bytes;
  const maxLine =
    TERM_OPEN.length + len + USER_OPEN.length + 7 + IP_AND_TS[0]!.length + 4 + 16 + LINE_END.length;
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  const fd = openSync(path, 'w');
  let bytes = 0;
  let off = 0;
  try {
    for (;;) {
      const n = g.fillColumns(8192).n;
      if (n === 0) break;
      for (let i = 0; i < n; i++) {
        if (off + maxLine > CHUNK_BYTES) {
          writeSync(fd, buf, 0, off);
          bytes += off;
          off = 0;
          onProgress?.(g.position - n + i);
        }
        off = put(buf, off, TERM_OPEN);
        const at = rawTerm[i]!;
        pool.copy(buf, off, at, at + len);
        off += len;
        off = put(buf, off, USER_OPEN);
        off = putUint(buf, off, rawUser[i]!);
        off = put(buf, off, IP_AND_TS[rawRegion[i]!]!);
        off = putUint(buf, off, rawTs[i]!);
        off = put(buf, off, LINE_END);
      }
    }
    if (off > 0) {
      writeSync(fd, buf, 0, off);
      bytes += off;
    }
  } finally {
    closeSync(fd);
  }
  onProgress?.(g.position);
  return { events: g.position, bytes };
}
