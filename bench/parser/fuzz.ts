/**
 * Long fuzz run of the SQL front end: random token sequences and mutated valid scripts (queries/ and the
 * parser's EXPLAIN goldens) through `compile`. Every input must come back with diagnostics or a program —
 * never an exception — and no input may take pathological time (exponential backtracking would show here).
 *
 *   node --import tsx bench/parser/fuzz.ts [inputs] [seed]      → bench/results/parser-fuzz.json
 *
 * The baseline in the same run is the median time of the unmutated scripts: the slowest fuzz input is
 * reported next to it, with its time when run again warm (a GC pause or a busy machine inflates the first).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compile } from '../../packages/parser/src/index.ts';
import { VOCAB } from '../../packages/parser/test/fuzz-vocab.ts';

const INPUTS = Number(process.argv[2] ?? 100_000);
let seed = Number(process.argv[3] ?? 42) >>> 0;
function rand(n: number): number {
  // xorshift32: reproducible without a dependency
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.sql') ? [p] : [];
  });
}
const root = join(import.meta.dirname, '../..');
const corpus = [
  ...walk(join(root, 'queries')).filter((f) => !f.includes(join('nexmark', 'batch'))),
  ...walk(join(root, 'packages/parser/test/golden')),
].map((f) => readFileSync(f, 'utf8'));
const docs = corpus.map((sql) => sql.match(/'(?:[^']|'')*'|`[^`]*`|\w+|[^\s\w]/g) ?? []);

function timed(sql: string): number {
  const t0 = performance.now();
  const r = compile(sql);
  const ms = performance.now() - t0;
  if (r.program === undefined && !r.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(`no program and no error: ${JSON.stringify(sql)}`);
  return ms;
}

for (const sql of corpus) timed(sql);
const base = corpus.map(timed).sort((a, b) => a - b);
const baselineMedianMs = base[Math.floor(base.length / 2)]!;

let slowest = { ms: 0, input: '', kind: '' };
let exceptions = 0;
const times: number[] = [];
const t0 = performance.now();
for (let i = 0; i < INPUTS; i++) {
  let sql: string;
  let kind: string;
  if (i % 2 === 0) {
    kind = 'tokens';
    const n = rand(61);
    sql = Array.from({ length: n }, () => VOCAB[rand(VOCAB.length)]).join(' ');
  } else {
    kind = 'mutation';
    const toks = [...docs[rand(docs.length)]!];
    const edits = 1 + rand(4);
    for (let e = 0; e < edits; e++) {
      const at = toks.length === 0 ? 0 : rand(toks.length);
      const len = 1 + rand(4);
      switch (rand(4)) {
        case 0:
          toks.splice(at, len);
          break;
        case 1:
          toks.splice(at, 0, VOCAB[rand(VOCAB.length)]!);
          break;
        case 2:
          toks.splice(at, 0, ...toks.slice(at, at + len));
          break;
        default:
          if (toks.length > at + 1) [toks[at], toks[at + 1]] = [toks[at + 1]!, toks[at]!];
      }
    }
    sql = toks.join(' ');
  }
  try {
    const ms = timed(sql);
    times.push(ms);
    if (ms > slowest.ms) slowest = { ms, input: sql, kind };
  } catch (e) {
    exceptions++;
    if (exceptions <= 5) console.error(`exception for ${JSON.stringify(sql)}: ${(e as Error).message}`);
  }
}
const totalS = (performance.now() - t0) / 1000;
// the slowest input again, warm, median of 21 runs: tells a pathological input from a GC pause or a busy box
const again = Array.from({ length: 21 }, () => timed(slowest.input)).sort((a, b) => a - b);
const slowestRetimedMs = Math.round(again[10]! * 1000) / 1000;
times.sort((a, b) => a - b);
const q = (p: number) =>
  Math.round(times[Math.min(times.length - 1, Math.floor(times.length * p))]! * 1000) / 1000;
const result = {
  benchmark: 'parser/fuzz: random token sequences and mutated scripts through compile()',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  inputs: INPUTS,
  exceptions,
  totalSeconds: Math.round(totalS * 10) / 10,
  baselineMedianMsOfValidScripts: Math.round(baselineMedianMs * 1000) / 1000,
  p50Ms: q(0.5),
  p99Ms: q(0.99),
  p9999Ms: q(0.9999),
  slowest: {
    ms: Math.round(slowest.ms * 1000) / 1000,
    retimedMedianMs: slowestRetimedMs,
    kind: slowest.kind,
    input: slowest.input,
  },
};
writeFileSync(
  join(import.meta.dirname, '../results/parser-fuzz.json'),
  `${JSON.stringify(result, null, 1)}\n`,
);
console.log(
  JSON.stringify(
    { ...result, slowest: { ...result.slowest, input: `${slowest.input.slice(0, 120)}…` } },
    null,
    1,
  ),
);
if (exceptions > 0) process.exit(1);
