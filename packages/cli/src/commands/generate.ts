import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NexmarkEvent, NexmarkOptions, SearchTraceOptions } from '@darq/engine';
import { CliError, EXIT_USAGE } from '../errors.ts';
import type { Io } from './run.ts';

export interface GenerateFlags {
  events?: string;
  seconds?: string;
  rate?: string;
  seed?: string;
  preset?: string;
  out?: string;
}

export const GENERATORS = ['search-trace', 'nexmark'] as const;

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new CliError(EXIT_USAGE, `${flag} expects a non-negative number, got '${v}'`);
  return n;
}

function wholeNum(v: string | undefined, flag: string, min = 0): number | undefined {
  const n = num(v, flag);
  if (n !== undefined && (!Number.isSafeInteger(n) || n < min))
    throw new CliError(EXIT_USAGE, `${flag} expects a whole number ≥ ${min}, got '${v}'`);
  return n;
}

/** A progress line on a TTY, at most every 200 ms; nothing off a TTY. */
function progress(io: Io, total: number | undefined): { tick: (n: number) => void; done: () => void } {
  if (!io.isTty) return { tick: () => {}, done: () => {} };
  let last = 0;
  const started = performance.now();
  return {
    tick: (n) => {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      const pct = total ? ` (${((100 * n) / total).toFixed(0)} %)` : '';
      const rate = n / ((now - started) / 1000);
      io.stderr(
        `\r\x1b[2Kdarq generate: ${n.toLocaleString('en-US')} events${pct}, ${Math.round(rate).toLocaleString('en-US')}/s`,
      );
    },
    done: () => io.stderr('\r\x1b[2K'),
  };
}

/**
 * `darq generate search-trace|nexmark --out PATH`: writes a seeded data set as JSONL.
 *
 * ```sh
 * darq generate nexmark --events 1000 --rate 100 --out n.jsonl
 * # {"kind":"person","id":1000,"name":"…","emailAddress":"…",…,"dateTime":1700000000000,"extra":"…"}
 * ```
 */
export async function generateCommand(kind: string, flags: GenerateFlags, io: Io): Promise<void> {
  if (!(GENERATORS as readonly string[]).includes(kind)) {
    throw new CliError(EXIT_USAGE, `unknown generator '${kind}'; available: ${GENERATORS.join(', ')}`);
  }
  if (!flags.out)
    throw new CliError(EXIT_USAGE, `darq generate ${kind} needs --out PATH (the JSONL file to write)`);
  const out = path.resolve(flags.out);
  if (!fs.existsSync(path.dirname(out)))
    throw new CliError(EXIT_USAGE, `--out ${flags.out}: directory ${path.dirname(out)} does not exist`);
  const started = performance.now();
  const res =
    kind === 'nexmark' ? await writeNexmark(out, flags, io) : await writeSearchTrace(out, flags, io);
  const secs = (performance.now() - started) / 1000;
  io.stderr(
    `darq: wrote ${res.events} ${kind === 'nexmark' ? 'NEXMark' : 'search'} events (${(res.bytes / 1e6).toFixed(1)} MB) to ${flags.out} in ${secs.toFixed(2)} s\n`,
  );
}

async function writeSearchTrace(
  out: string,
  flags: GenerateFlags,
  io: Io,
): Promise<{ events: number; bytes: number }> {
  // The engine is loaded once the flags are known to be good: a usage error costs nothing.
  const { SEARCH_TRACE_PRESETS, writeSearchTraceJsonl } = await import('@darq/engine');
  let base: SearchTraceOptions = { rate: 50_000, seconds: 30 };
  if (flags.preset) {
    const p = SEARCH_TRACE_PRESETS[flags.preset as keyof typeof SEARCH_TRACE_PRESETS];
    if (!p)
      throw new CliError(
        EXIT_USAGE,
        `unknown preset '${flags.preset}'; use ${Object.keys(SEARCH_TRACE_PRESETS).join(', ')}`,
      );
    base = { ...p };
  }
  const events = wholeNum(flags.events, '--events');
  const seconds = num(flags.seconds, '--seconds');
  const rate = num(flags.rate, '--rate');
  const opts: SearchTraceOptions = {
    ...base,
    ...(rate !== undefined ? { rate } : {}),
    ...(events !== undefined ? { events, seconds: undefined } : {}),
    ...(seconds !== undefined ? { seconds } : {}),
    seed: wholeNum(flags.seed, '--seed') ?? 1,
  };
  const p = progress(io, events);
  try {
    return writeSearchTraceJsonl(out, opts, p.tick);
  } finally {
    p.done();
  }
}

/** One line per event: `kind`, then the person's, auction's or bid's own fields. */
export function nexmarkLine(e: NexmarkEvent): string {
  const entity = e.kind === 'person' ? e.person : e.kind === 'auction' ? e.auction : e.bid;
  return JSON.stringify({ kind: e.kind, ...entity });
}

async function writeNexmark(
  out: string,
  flags: GenerateFlags,
  io: Io,
): Promise<{ events: number; bytes: number }> {
  if (flags.preset || flags.seconds !== undefined)
    throw new CliError(
      EXIT_USAGE,
      'darq generate nexmark takes --events, --rate and --seed (not --preset or --seconds)',
    );
  const events = wholeNum(flags.events, '--events', 1);
  if (events === undefined) throw new CliError(EXIT_USAGE, 'darq generate nexmark needs --events N (N ≥ 1)');
  const rate = num(flags.rate, '--rate');
  if (rate === 0) throw new CliError(EXIT_USAGE, '--rate must be above 0');
  const seed = wholeNum(flags.seed, '--seed');
  const opts: NexmarkOptions = {
    events,
    ...(rate !== undefined ? { rate } : {}),
    ...(seed !== undefined ? { seedEvents: seed } : {}),
  };
  const { NexmarkGenerator } = await import('@darq/engine');
  const g = new NexmarkGenerator(opts);
  const stream = fs.createWriteStream(out);
  const p = progress(io, events);
  let bytes = 0;
  let n = 0;
  try {
    while (!g.done) {
      const batch = g.nextBatch(4096);
      let text = '';
      for (const e of batch) text += `${nexmarkLine(e)}\n`;
      bytes += Buffer.byteLength(text);
      n += batch.length;
      if (!stream.write(text)) await new Promise<void>((r) => stream.once('drain', () => r()));
      p.tick(n);
    }
  } finally {
    p.done();
    await new Promise<void>((resolve, reject) =>
      stream.end((e?: Error | null) => (e ? reject(e) : resolve())),
    );
  }
  return { events: n, bytes };
}
