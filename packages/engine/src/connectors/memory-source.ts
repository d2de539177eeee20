import { PlanError } from '../errors.ts';
import { BadRecord, type FormatColumn, jsonObjectDecoder } from '../formats/codec.ts';
import type { Row } from '../runtime/batch.ts';
import {
  type NexmarkEvent,
  NexmarkGenerator,
  type NexmarkOptions,
  type NexmarkSnapshot,
  SEARCH_TRACE_PRESETS,
  SearchTraceGenerator,
  type SearchTraceOptions,
} from './generators/index.ts';
import type { BadInput, SourceRead, SourceReader } from './source.ts';

/** Rows given by a Node program (library API). Replayable: the position is the index of the next row. */
export class ArraySourceReader implements SourceReader {
  readonly description: string;
  private index = 0;
  private readonly decode: (o: Record<string, unknown>) => Row;
  constructor(
    private readonly name: string,
    private readonly rows: readonly Record<string, unknown>[],
    columns: readonly FormatColumn[],
  ) {
    this.description = `array ${name} (${rows.length} rows)`;
    this.decode = jsonObjectDecoder(columns);
  }
  next(max: number): SourceRead {
    if (this.index >= this.rows.length) return { kind: 'eof' };
    const end = Math.min(this.rows.length, this.index + max);
    const out: Row[] = [];
    const bad: BadInput[] = [];
    for (let i = this.index; i < end; i++) {
      try {
        out.push(this.decode(this.rows[i]!));
      } catch (e) {
        if (!(e instanceof BadRecord)) throw e;
        bad.push({ position: `${this.name}[${i}]`, reason: e.message, raw: JSON.stringify(this.rows[i]) });
      }
    }
    this.index = end;
    return { kind: 'batch', rows: out, bad };
  }
  position(): unknown {
    return this.index;
  }
  seek(position: unknown): void {
    this.index = position as number;
  }
  close(): void {}
}

function num(options: Readonly<Record<string, string>>, key: string, what: string): number | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new PlanError('BAD_OPTION', `${what}: option '${key}' must be a number, got '${v}'`);
  return n;
}

/**
 * The DARQ paper's search trace, generated on the fly (seeded): its position is the generator's snapshot, so
 * a replay after a crash regenerates exactly the same events. Columns: term, user_id, ip, ts.
 */
export class SearchTraceSourceReader implements SourceReader {
  readonly description: string;
  private gen: SearchTraceGenerator;
  private readonly opts: SearchTraceOptions;
  constructor(
    name: string,
    options: Readonly<Record<string, string>>,
    private readonly columns: readonly FormatColumn[],
  ) {
    const what = `source ${name}`;
    const preset = options.preset as keyof typeof SEARCH_TRACE_PRESETS | undefined;
    if (preset && !SEARCH_TRACE_PRESETS[preset]) {
      throw new PlanError(
        'BAD_OPTION',
        `${what}: unknown preset '${preset}'; use one of ${Object.keys(SEARCH_TRACE_PRESETS).join(', ')}`,
      );
    }
    const base: SearchTraceOptions = preset
      ? { ...SEARCH_TRACE_PRESETS[preset] }
      : { rate: 50_000, seconds: 30 };
    const o: SearchTraceOptions = {
      ...base,
      ...(num(options, 'rate', what) !== undefined ? { rate: num(options, 'rate', what)! } : {}),
      ...(num(options, 'seconds', what) !== undefined ? { seconds: num(options, 'seconds', what)! } : {}),
      ...(num(options, 'events', what) !== undefined
        ? { events: num(options, 'events', what)!, seconds: undefined }
        : {}),
      ...(num(options, 'seed', what) !== undefined ? { seed: num(options, 'seed', what)! } : {}),
    };
    this.opts = o;
    this.gen = new SearchTraceGenerator(o);
    this.description = `search-trace generator (${o.rate}/s)`;
  }
  next(max: number): SourceRead {
    const events = this.gen.nextBatch(max);
    if (events.length === 0) return { kind: 'eof' };
    const cols = this.columns;
    const rows: Row[] = events.map((e) =>
      cols.map((c) => (e as unknown as Record<string, unknown>)[c.name] ?? null),
    );
    return { kind: 'batch', rows, bad: [] };
  }
  position(): unknown {
    return this.gen.snapshot();
  }
  seek(position: unknown): void {
    this.gen = SearchTraceGenerator.restore(this.opts, position as never);
  }
  close(): void {}
}

/** A batch of generated events kept for the other NEXMark sources of the same job and options. */
interface SharedBatch {
  readonly count: number;
  readonly max: number;
  readonly events: NexmarkEvent[];
  readonly end: NexmarkSnapshot;
  taken: number;
}

interface SharedStream {
  readers: number;
  readonly batches: SharedBatch[];
}

/**
 * Per job (its connector context): the event streams its NEXMark sources share, by generator options. A batch is
 * a pure function of (options, position, size), so sharing changes no event: a reader that finds no batch at its
 * position (it runs ahead, or resumed elsewhere) generates it itself.
 */
const sharedStreams = new WeakMap<object, Map<string, SharedStream>>();
/** Batches kept per stream when a reader lags (the others never wait for it; it regenerates what was dropped). */
const MAX_SHARED_BATCHES = 64;

/**
 * One NEXMark table (person, auction or bid) from the seeded generator (specs/nexmark.md): every source of a
 * query generates the same event sequence and keeps its kind. The position is the generator's snapshot, so a
 * replay regenerates the same events. Options: table, events, rate, seed (the events seed), base-time.
 *
 * Sources of one job with the same options share the generated batches (q8 reads person and auction, q3 and
 * q9 too): as Flink's person/auction/bid views over one `datagen` table, the stream is generated once.
 */
export class NexmarkSourceReader implements SourceReader {
  readonly description: string;
  private gen: NexmarkGenerator;
  private readonly opts: NexmarkOptions;
  private readonly kind: 'person' | 'auction' | 'bid';
  private readonly stream: SharedStream;
  constructor(
    name: string,
    options: Readonly<Record<string, string>>,
    private readonly columns: readonly FormatColumn[],
    /** The job's connector context: scopes the sharing of generated batches to one job. */
    job: object = {},
  ) {
    const what = `source ${name}`;
    const table = (options.table ?? name).toLowerCase();
    if (table !== 'person' && table !== 'auction' && table !== 'bid') {
      throw new PlanError(
        'BAD_OPTION',
        `${what}: option 'table' must be person, auction or bid, got '${options.table}'`,
      );
    }
    this.kind = table;
    const events = num(options, 'events', what) ?? 1_000_000;
    this.opts = {
      events,
      ...(num(options, 'rate', what) !== undefined ? { rate: num(options, 'rate', what)! } : {}),
      ...(num(options, 'seed', what) !== undefined ? { seedEvents: num(options, 'seed', what)! } : {}),
      ...(num(options, 'base-time', what) !== undefined
        ? { baseTime: num(options, 'base-time', what)! }
        : {}),
    };
    this.gen = new NexmarkGenerator(this.opts);
    let streams = sharedStreams.get(job);
    if (!streams) sharedStreams.set(job, (streams = new Map()));
    const key = JSON.stringify(this.opts);
    let stream = streams.get(key);
    if (!stream) streams.set(key, (stream = { readers: 0, batches: [] }));
    stream.readers++;
    this.stream = stream;
    this.description = `nexmark ${table} (${events} events)`;
    for (const c of columns) {
      if (!(NEXMARK_COLUMNS[table] as readonly string[]).includes(c.name)) {
        throw new PlanError(
          'BAD_COLUMN',
          `${what}: NEXMark ${table} has no column '${c.name}'; its columns are ${NEXMARK_COLUMNS[table].join(', ')}`,
        );
      }
    }
  }
  next(max: number): SourceRead {
    const rows: Row[] = [];
    const cols = this.columns.map((c) => c.name);
    const kind = this.kind;
    // Read up to `max` generator events per step (so the step size is fixed in generator events).
    const events = this.nextEvents(max);
    if (events.length === 0) return { kind: 'eof' };
    for (const e of events) {
      if (e.kind !== kind) continue;
      const entity = e[kind] as unknown as Record<string, unknown>;
      const r: Row = new Array(cols.length);
      for (let i = 0; i < cols.length; i++) r[i] = entity[cols[i]!];
      rows.push(r);
    }
    return { kind: 'batch', rows, bad: [] };
  }
  /** The next batch: taken from another source of the job if it generated this one already, else generated. */
  private nextEvents(max: number): NexmarkEvent[] {
    const stream = this.stream;
    if (stream.readers < 2) return this.gen.nextBatch(max);
    const count = this.gen.position;
    const batches = stream.batches;
    const i = batches.findIndex((b) => b.count === count && b.max === max);
    if (i >= 0) {
      const b = batches[i]!;
      this.gen = NexmarkGenerator.restore(this.opts, 0, b.end);
      if (++b.taken >= stream.readers - 1) batches.splice(i, 1);
      return b.events;
    }
    const events = this.gen.nextBatch(max);
    if (events.length > 0) {
      batches.push({ count, max, events, end: this.gen.snapshot(), taken: 0 });
      if (batches.length > MAX_SHARED_BATCHES) batches.shift();
    }
    return events;
  }
  position(): unknown {
    return this.gen.snapshot();
  }
  seek(position: unknown): void {
    this.gen = NexmarkGenerator.restore(this.opts, 0, position as never);
  }
  close(): void {
    this.stream.readers--;
  }
}

const NEXMARK_COLUMNS = {
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
} as const satisfies Record<string, readonly string[]>;
