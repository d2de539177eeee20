import * as path from 'node:path';
import { SEARCH_TRACE_PRESETS, type SearchTraceOptions, writeSearchTraceJsonl } from '@darq/engine';
import { CliError, EXIT_USAGE } from '../errors.ts';

export interface GenerateFlags {
  events?: string;
  seconds?: string;
  rate?: string;
  seed?: string;
  preset?: string;
  out?: string;
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(EXIT_USAGE, `${flag} expects a non-negative number, got '${v}'`);
  return n;
}

/** `darq generate search-trace`: writes the DARQ paper's seeded search trace as JSONL. */
export function generateCommand(kind: string, flags: GenerateFlags, stderr: (s: string) => void): void {
  if (kind !== 'search-trace') {
    throw new CliError(EXIT_USAGE, `unknown generator '${kind}'; available: search-trace`);
  }
  if (!flags.out) throw new CliError(EXIT_USAGE, 'darq generate needs --out PATH');
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
  const events = num(flags.events, '--events');
  const seconds = num(flags.seconds, '--seconds');
  const opts: SearchTraceOptions = {
    ...base,
    ...(num(flags.rate, '--rate') !== undefined ? { rate: num(flags.rate, '--rate')! } : {}),
    ...(events !== undefined ? { events, seconds: undefined } : {}),
    ...(seconds !== undefined ? { seconds } : {}),
    seed: num(flags.seed, '--seed') ?? 1,
  };
  const started = performance.now();
  const res = writeSearchTraceJsonl(path.resolve(flags.out), opts);
  const secs = (performance.now() - started) / 1000;
  stderr(
    `darq: wrote ${res.events} search events (${(res.bytes / 1e6).toFixed(1)} MB) to ${flags.out} in ${secs.toFixed(2)} s\n`,
  );
}
