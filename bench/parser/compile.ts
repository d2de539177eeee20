/**
 * Parse + analyze + plan time per NEXMark query (warm), the goal being < 5 ms per query.
 *
 *   node --import tsx bench/parser/compile.ts [rounds]      → bench/results/parser-compile.json
 *
 * For each queries/nexmark/qN.sql: `tokenize` alone (the baseline: the floor any front end pays to read the
 * text), `parse` (tokens → AST), and `compile` (parse + analyze + plan + rewrite rules + pruning), each the
 * median and the minimum of `rounds` batches of 20 calls after a warm-up. `coldMs` is the very first
 * compile in the process (it includes building the chevrotain grammar).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compile, parse } from '../../packages/parser/src/index.ts';
import { tokenize } from '../../packages/parser/src/lexer/tokens.ts';

const ROUNDS = Number(process.argv[2] ?? 15);
const BATCH = 20;
const dir = join(import.meta.dirname, '../../queries/nexmark');
const files = readdirSync(dir)
  .filter((f) => /^q\d+\.sql$/.test(f))
  .sort((a, b) => Number(a.slice(1, -4)) - Number(b.slice(1, -4)));

function measure(f: () => void): { medianMs: number; minMs: number } {
  const per: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) f();
    per.push((performance.now() - t0) / BATCH);
  }
  per.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { medianMs: round(per[Math.floor(per.length / 2)]!), minMs: round(per[0]!) };
}

const first = readFileSync(join(dir, files[0]!), 'utf8');
const c0 = performance.now();
compile(first);
const coldMs = Math.round((performance.now() - c0) * 10) / 10;

const rows = files.map((f) => {
  const sql = readFileSync(join(dir, f), 'utf8');
  const r = compile(sql);
  if (!r.program) throw new Error(`${f} does not compile: ${r.diagnostics[0]?.message}`);
  for (let i = 0; i < 50; i++) compile(sql);
  return {
    query: f.replace('.sql', ''),
    chars: sql.length,
    tokens: tokenize(sql).tokens.length,
    baselineTokenize: measure(() => tokenize(sql)),
    parse: measure(() => parse(sql)),
    compile: measure(() => compile(sql)),
  };
});

const medians = rows.map((r) => r.compile.medianMs).sort((a, b) => a - b);
const result = {
  benchmark: 'parser/compile: parse + analyze + plan per NEXMark query, warm (goal < 5 ms)',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  rounds: ROUNDS,
  batch: BATCH,
  coldMs,
  compileMedianOfMediansMs: medians[Math.floor(medians.length / 2)],
  compileWorstMedianMs: medians[medians.length - 1],
  queries: rows,
};
writeFileSync(
  join(import.meta.dirname, '../results/parser-compile.json'),
  `${JSON.stringify(result, null, 1)}\n`,
);
for (const r of rows)
  console.log(
    `${r.query.padEnd(4)} tokens ${String(r.tokens).padStart(4)}  tokenize ${r.baselineTokenize.medianMs.toFixed(3)}  parse ${r.parse.medianMs.toFixed(3)}  compile ${r.compile.medianMs.toFixed(3)} ms (min ${r.compile.minMs.toFixed(3)})`,
  );
console.log(
  `cold ${coldMs} ms; median compile ${result.compileMedianOfMediansMs} ms; worst ${result.compileWorstMedianMs} ms; load ${result.loadAverage1m}`,
);
