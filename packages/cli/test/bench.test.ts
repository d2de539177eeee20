import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'packages/cli/bin/darq.js');

// `darq bench paper --smoke`: the whole benchmark at its smallest, as a child process. Figures are not
// asserted (no wall-clock bounds in tests); the files must appear with the structure the README links to.
test('darq bench paper --smoke writes json, csv, markdown and SVG plots with every section', (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-bench-test-'));
  try {
    const r = spawnSync(process.execPath, [bin, 'bench', 'paper', '--smoke'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DARQ_BENCH_RESULTS: out },
      timeout: 240_000,
    });
    t.is(r.status, 0, r.stderr);
    const files = fs.readdirSync(out).sort();
    t.deepEqual(files, [
      'paper-smoke-latency-cdf.svg',
      'paper-smoke-throughput.svg',
      'paper-smoke.csv',
      'paper-smoke.json',
      'paper-smoke.md',
    ]);
    const json = JSON.parse(fs.readFileSync(path.join(out, 'paper-smoke.json'), 'utf8'));
    t.true(json.quick);
    t.is(json.startup.cases.length, 3);
    const ran = json.latency.configs.filter((c: { status: string }) => c.status === 'ok');
    t.is(ran.length, 1);
    t.true(ran[0].windows > 0);
    for (const k of ['p50Ms', 'p95Ms', 'p99Ms', 'maxMs', 'eventsPerSec', 'bytesWritten'])
      t.is(typeof ran[0][k], 'number', k);
    // Configurations darq run cannot do yet are listed with a reason, not dropped.
    t.true(json.latency.configs.length > 6);
    t.true(json.maxSustainable.steps.length >= 1);
    const variants = json.replay.variants.map((v: { variant: string }) => v.variant);
    for (const v of [
      'hand-written loop',
      'batched SQLite',
      'RxJS',
      'DuckDB',
      'darq run, whole command, fsync',
    ])
      t.true(
        variants.some((x: string) => x.includes(v)),
        v,
      );
    t.is(json.published.length, 2);
    t.is(json.goals.length, 4);
    const csv = fs.readFileSync(path.join(out, 'paper-smoke.csv'), 'utf8').trim().split('\n');
    t.true(csv[0]!.startsWith('section,name'));
    t.true(csv.length > 10);
    for (const svg of files.filter((f) => f.endsWith('.svg')))
      t.regex(fs.readFileSync(path.join(out, svg), 'utf8'), /^<svg[^>]*>[\s\S]*<\/svg>$/);
    const md = fs.readFileSync(path.join(out, 'paper-smoke.md'), 'utf8');
    for (const h of ['## Goals', '## Latency', '## Max sustainable', '## As fast as possible', '## Start-up'])
      t.true(md.includes(h), h);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
