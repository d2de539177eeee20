/**
 * Issue #10: replaying a search-trace JSONL file as fast as possible, exactly-once and fsync'd, against DuckDB's
 * fresh-process time on the same file. Side by side in one run, each a median of `--repeats` (default 3),
 * rounds interleaved so load drifts hit every variant alike:
 *
 * - the hand-written loop (bench/paper/baselines.ts: JSON.parse per line + the aggregation, no durability),
 *   in this process, and the same with batched SQLite commits, fsync'd;
 * - `darq run queries/paper/search-trends.sql --persistence machine`, the whole command, from the CLI bundle;
 * - optionally an older darq the same way (`--before "<command prefix>"`, e.g. a saved bundle);
 * - DuckDB, the whole command (bench/paper/duckdb-query.mjs).
 *
 * With `--profile`, one more darq run under `node --cpu-prof` is broken down by where its main thread spends
 * its time. Writes bench/results/replay.json and bench/results/replay.md.
 *
 *   node --import tsx bench/engine/replay.ts [--events 2000000] [--repeats 3] [--profile] [--before "node x.mjs"]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSearchTraceJsonl } from '@darq/engine';
import { handWritten, handWrittenDurable } from '../paper/baselines.ts';
import { dataDir, machine, median, resultsDir, root, writeResult } from './common.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const events = Number(option('--events', '2000000'));
const repeats = Number(option('--repeats', '3'));
const before = option('--before', '');
const profile = flag('--profile');

const log = (s: string) => process.stderr.write(`${s}\n`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-replay-'));
const PAPER_SQL = path.join(root, 'queries/paper/search-trends.sql');
const load = () => Number(os.loadavg()[0]!.toFixed(2));

function time(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 });
  return { ms: performance.now() - t, status: r.status, stderr: r.stderr ?? '' };
}

// ── where the time goes: a CPU profile by category ─────────────────────────────────────────────────────────
interface Category {
  readonly category: string;
  readonly ms: number;
  readonly pct: number;
}
type Rule = readonly [string, (fn: string, url: string) => boolean, boolean?];
const RULES: readonly Rule[] = [
  [
    'version commit: SQLite COMMIT (+ WAL fsync when not in the background)',
    (f, u) => f === 'commit' && /better-sqlite3|sqlite-store|chunk-/.test(u) && !/scheduler/.test(u),
  ],
  ['sink file fsync', (f) => f === 'fdatasync' || f === 'fdatasyncSync' || f === 'fsyncSync'],
  ['garbage collection', (f) => f === '(garbage collector)'],
  ['UTF-8 bytes → string', (f, u) => (f === 'slice' || f === 'toString') && u.includes('buffer')],
  ['file read', (f) => f === 'readSync' || f === 'read'],
  [
    'JSONL decode (JSON.parse per line, row coercion)',
    (f) => f === 'next' || f === 'decodeLine' || f === 'decode',
  ],
  [
    'SPLIT_INDEX/CAST/MOD group-key expression',
    (f) => f === 'splitIndex' || f === 'compiled' || f.startsWith('keyOf'),
  ],
  ['msgpackr batch/state encoding', (_f, u) => u.includes('msgpackr')],
  [
    'other SQLite statements (log, state, counters)',
    (f, u) =>
      u.includes('better-sqlite3') ||
      [
        'live',
        'append',
        'kvPut',
        'kvGet',
        'atomically',
        'gone',
        'setCounter',
        'pendingInputs',
        'consume',
        'acknowledge',
        'pragma',
      ].includes(f),
  ],
  [
    'start-up: module loading, tsx for the UDF, parse, plan',
    (f, u) =>
      /^node:internal\/(modules|bootstrap|main)|^node:internal\/process\/pre_execution|register-|require-|tsx/.test(
        u,
      ) || ['compileFile', 'buildJob', 'loadFunctions', 'compileSourceTextModule'].includes(f),
  ],
  ['idle (waiting for the thread pool / timers)', (f) => f === '(idle)'],
  [
    'scheduler, participants, filter, window aggregate (JS)',
    (_f, u) => /chunk-|darq\.mjs|\.ts$/.test(u),
    true,
  ],
];

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function breakdown(file: string): { totalMs: number; categories: Category[] } {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const d = p.timeDeltas[i] ?? 0;
    total += d;
    const stack: CpuProfile['nodes'] = [];
    for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id))
      stack.push(byId.get(id)!);
    let cat: string | undefined;
    // The innermost frame a specific rule names wins; the generic JS bucket only when none does.
    for (const generic of [false, true]) {
      for (const n of stack) {
        const hit = RULES.find(
          ([, test, g]) => Boolean(g) === generic && test(n.callFrame.functionName, n.callFrame.url),
        );
        if (hit) {
          cat = hit[0];
          break;
        }
      }
      if (cat) break;
    }
    cat ??= 'other (native, program)';
    totals.set(cat, (totals.get(cat) ?? 0) + d);
  }
  const categories = [...totals]
    .sort((a, b) => b[1] - a[1])
    .map(([category, t]) => ({
      category,
      ms: Math.round(t / 1000),
      pct: Number(((t / total) * 100).toFixed(1)),
    }));
  return { totalMs: Math.round(total / 1000), categories };
}

// `--breakdown <file.cpuprofile>`: only print the breakdown of a profile taken elsewhere (e.g. an older build).
if (option('--breakdown', '')) {
  console.log(JSON.stringify(breakdown(option('--breakdown', '')), null, 2));
  process.exit(0);
}

log('replay: building the CLI bundle');
const bundled = time(process.execPath, [path.join(root, 'scripts/bundle.mjs')]);
if (bundled.status !== 0) throw new Error(`bundle failed:\n${bundled.stderr}`);
const BUNDLE_ENV = { ...process.env, DARQ_BUNDLE: '1' };
const DARQ = [path.join(root, 'packages/cli/bin/darq.js')];

fs.mkdirSync(dataDir, { recursive: true });
const trace = path.join(dataDir, `search-trace-${events}.jsonl`);
if (!fs.existsSync(trace)) {
  log(`replay: writing ${trace}`);
  writeSearchTraceJsonl(trace, { rate: 20_000, events, seed: 7 });
}
const traceBytes = fs.statSync(trace).size;

const darqArgs = (st: string) => [
  'run',
  PAPER_SQL,
  '--persistence',
  'machine',
  '--state',
  path.join(st, 'st'),
  '--input',
  `searches=${trace}`,
  '--output',
  `region_counts=${path.join(st, 'rc.jsonl')}`,
  '--output',
  `anomalies=${path.join(st, 'an.jsonl')}`,
];

interface DarqRun {
  wallMs: number;
  runSec?: number;
  versions?: number;
  output: string;
}

/** One whole `darq run`; returns its wall time, its own summary figures and its region_counts output. */
function darqRun(prefix: readonly string[], extraNode: readonly string[] = []): DarqRun {
  const st = fs.mkdtempSync(path.join(tmp, 'run-'));
  const [cmd, ...rest] = prefix;
  const r = time(cmd!, [...extraNode, ...rest, ...darqArgs(st)], BUNDLE_ENV);
  if (r.status !== 0) throw new Error(`darq failed:\n${r.stderr}`);
  const output = fs.readFileSync(path.join(st, 'rc.jsonl'), 'utf8');
  fs.rmSync(st, { recursive: true, force: true });
  // "darq: 2,000,000 events in, 642 rows out, 7.91 s, 252.8 k events/s, 1,530 versions committed, state …"
  const m = /, ([\d.]+) s, .*?([\d,]+) versions committed/.exec(r.stderr);
  return {
    wallMs: r.ms,
    output,
    ...(m ? { runSec: Number(m[1]), versions: Number(m[2]!.replaceAll(',', '')) } : {}),
  };
}

interface Variant {
  readonly name: string;
  readonly timed: 'in-process' | 'whole command';
  readonly runs: { ms: number; loadavg: number; runSec?: number; versions?: number }[];
}
const variants = new Map<string, Variant>();
const note = (name: string, timed: Variant['timed'], ms: number, extra: Partial<DarqRun> = {}) => {
  const v = variants.get(name) ?? { name, timed, runs: [] };
  v.runs.push({
    ms: Math.round(ms),
    loadavg: load(),
    ...(extra.runSec !== undefined ? { runSec: extra.runSec, versions: extra.versions } : {}),
  });
  variants.set(name, v);
  log(`replay: ${name}: ${Math.round(ms)} ms (load ${load()})`);
};

const HAND = 'hand-written loop, no durability';
const HAND_DURABLE = 'hand-written + batched SQLite, fsync';
const DARQ_NOW = 'darq run, whole command, fsync (this tree)';
const DARQ_BEFORE = 'darq run, whole command, fsync (before)';
const DUCK = 'DuckDB, whole command';
let reference: string | undefined;
for (let i = 0; i < repeats; i++) {
  const t0 = performance.now();
  handWritten(trace, path.join(tmp, 'h.jsonl'));
  note(HAND, 'in-process', performance.now() - t0);
  const t1 = performance.now();
  handWrittenDurable(trace, path.join(tmp, `durable-${i}.sqlite`));
  note(HAND_DURABLE, 'in-process', performance.now() - t1);
  const now = darqRun([process.execPath, ...DARQ]);
  note(DARQ_NOW, 'whole command', now.wallMs, now);
  reference ??= now.output;
  if (now.output !== reference) throw new Error('darq output differs between runs');
  if (before) {
    const b = darqRun(before.split(' '));
    note(DARQ_BEFORE, 'whole command', b.wallMs, b);
    if (b.output !== reference) throw new Error('darq before/after outputs differ');
  }
  const duck = time(process.execPath, [
    path.join(root, 'bench/paper/duckdb-query.mjs'),
    trace,
    path.join(tmp, 'duck.jsonl'),
  ]);
  if (duck.status !== 0) throw new Error(`duckdb failed:\n${duck.stderr}`);
  note(DUCK, 'whole command', duck.ms);
}

let profiled: { totalMs: number; categories: Category[]; wallMs: number; runSec?: number } | undefined;
if (profile) {
  const dir = fs.mkdtempSync(path.join(tmp, 'prof-'));
  const r = darqRun([process.execPath, ...DARQ], ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  // The main thread's profile is the largest (tsx's loader thread writes a small one).
  const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
  const main = files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
  profiled = { ...breakdown(main), wallMs: Math.round(r.wallMs), ...(r.runSec ? { runSec: r.runSec } : {}) };
  log(`replay: profiled run ${Math.round(r.wallMs)} ms`);
}

const duckMs = median(variants.get(DUCK)!.runs.map((r) => r.ms));
const rows = [...variants.values()].map((v) => {
  const m = median(v.runs.map((r) => r.ms));
  return {
    variant: v.name,
    timed: v.timed,
    medianMs: Math.round(m),
    eventsPerSec: Math.round(events / (m / 1000)),
    vsDuckDb: Number((m / duckMs).toFixed(2)),
    runs: v.runs,
  };
});
writeResult('replay', {
  events,
  bytes: traceBytes,
  repeats,
  query: 'queries/paper/search-trends.sql',
  machine: machine(),
  variants: rows,
  ...(profiled ? { profile: profiled } : {}),
});

const s = (ms: number) => (ms / 1000).toFixed(2);
const md = [
  `# Replay, as fast as possible (issue #10): ${(events / 1e6).toFixed(1)} M events, ${(traceBytes / 1e6).toFixed(0)} MB JSONL`,
  '',
  `Generated by \`node --import tsx bench/engine/replay.ts${argv.length ? ` ${argv.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 16)} UTC, ${os.cpus().length} cores, Node ${process.version}; medians of ${repeats}, rounds interleaved; load average (1 min) beside each run.`,
  '',
  '| variant | timed as | median s | events/s | × DuckDB | runs (s @ load) |',
  '|---|---|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.variant} | ${r.timed} | ${s(r.medianMs)} | ${Math.round(r.eventsPerSec / 1000)} k | ${r.vsDuckDb} | ${r.runs.map((x) => `${s(x.ms)} @ ${x.loadavg}`).join(', ')} |`,
  ),
  '',
  ...(profiled
    ? [
        `## Where darq's main thread spends the run (CPU profile of one whole command: ${s(profiled.wallMs)} s wall, ${s(profiled.totalMs)} s profiled)`,
        '',
        '| where | ms | % |',
        '|---|---:|---:|',
        ...profiled.categories.map((c) => `| ${c.category} | ${c.ms} | ${c.pct} |`),
        '',
      ]
    : []),
];
// Hand-written notes below a `<!-- notes -->` line survive a re-run.
const mdFile = path.join(resultsDir, 'replay.md');
const previous = fs.existsSync(mdFile) ? fs.readFileSync(mdFile, 'utf8') : '';
const notes = previous.includes('<!-- notes -->') ? previous.slice(previous.indexOf('<!-- notes -->')) : '';
fs.writeFileSync(mdFile, `${md.join('\n')}\n${notes}`);
log(`wrote ${path.relative(process.cwd(), path.join(resultsDir, 'replay.md'))}`);
fs.rmSync(tmp, { recursive: true, force: true });
