// Shared helpers of the darq-core benchmarks: machine facts, percentiles, synthetic record batches.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

// better-sqlite3 and msgpackr are dependencies of darq-core, not of the workspace root.
const requireFromCore = createRequire(new URL('../../packages/darq-core/package.json', import.meta.url));
export const Database = requireFromCore('better-sqlite3') as typeof import('better-sqlite3');
interface PackrLike {
  pack(value: unknown): Buffer;
  unpack(bytes: Uint8Array): unknown;
}
export const { Packr } = requireFromCore('msgpackr') as { Packr: new (options?: object) => PackrLike };

export const RESULTS = new URL('../results/', import.meta.url).pathname;

/** A scratch directory on the real disk (fsync matters here), emptied first. */
export function scratch(name: string): string {
  const dir = join(process.env.DARQ_BENCH_DIR ?? '/tmp', `darq-bench-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function machine() {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

export function percentiles(samplesMs: number[]) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  const r = (x: number) => Number(x.toFixed(4));
  return {
    n: s.length,
    p50Ms: r(at(0.5)),
    p90Ms: r(at(0.9)),
    p99Ms: r(at(0.99)),
    maxMs: r(s[s.length - 1] ?? 0),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

export interface SearchEvent {
  term: string;
  user_id: number;
  ip: string;
  ts: number;
}

/** `count` distinct batches of `size` search events (the paper's trace shape: 80-character terms). */
export function makeBatches(count: number, size: number): SearchEvent[][] {
  const out: SearchEvent[][] = [];
  let n = 0;
  for (let b = 0; b < count; b++) {
    const batch: SearchEvent[] = [];
    for (let i = 0; i < size; i++, n++) {
      const term = `${n % 5 === 0 ? 'fever' : 'query'} ${'abcdefghij'.repeat(8)}`.slice(0, 80);
      batch.push({
        term,
        user_id: (n * 7919) % 1_000_003,
        ip: `10.${n % 256}.${(n >> 8) % 256}.7`,
        ts: 1_700_000_000_000 + n,
      });
    }
    out.push(batch);
  }
  return out;
}

export function writeResult(name: string, result: unknown): void {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `darq-core-${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
