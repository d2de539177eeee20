import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSearchTraceJsonl } from '@darq/engine';
import test from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'packages/cli/bin/darq.js');
const sql = path.join(root, 'queries/paper/search-trends.sql');
const KILLS = process.env.DARQ_LONG === '1' ? 20 : 3;

function darq(args: string[]): ChildProcess {
  return spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(p: ChildProcess): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  p.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seeded, so a failing kill point can be replayed: DARQ_SEED=… */
let seed = Number(process.env.DARQ_SEED ?? Date.now() % 1_000_000);
function random(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}

test(`SIGKILL at a random moment after the first committed output, then resume: output is byte-identical (${KILLS} kills)`, async (t) => {
  t.timeout(10 * 60_000);
  t.log(`seed ${seed}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-crash-'));
  const trace = path.join(dir, 'searches.jsonl');
  // 10 k/s of event time: 20 s of windows, so the output grows in many small committed steps.
  writeSearchTraceJsonl(trace, { rate: 10_000, events: 200_000, seed: 11 });
  const args = (out: string, state: string) => [
    'run',
    sql,
    '--input',
    `searches=${trace}`,
    '--output',
    `region_counts=${out}`,
    '--output',
    `anomalies=${out}.anomalies`,
    '--state',
    state,
    '--checkpoint-interval',
    '5',
  ];
  // The uninterrupted run: the golden output.
  const golden = path.join(dir, 'golden.jsonl');
  const ok = await exited(darq(args(golden, path.join(dir, 'golden-state'))));
  t.is(ok.code, 0, ok.stderr);
  const goldenText = fs.readFileSync(golden, 'utf8');
  t.true(goldenText.length > 0);

  let killed = 0;
  for (let i = 0; i < KILLS; i++) {
    const out = path.join(dir, `out${i}.jsonl`);
    const state = path.join(dir, `state${i}`);
    const child = darq(args(out, state));
    const done = exited(child);
    // Kill once the committed output has reached a random fraction of its final size: mid-run by construction.
    const target = Math.max(1, Math.floor(goldenText.length * (0.05 + random() * 0.75)));
    while (!(fs.existsSync(out) && fs.statSync(out).size >= target) && child.exitCode === null)
      await sleep(1);
    child.kill('SIGKILL');
    const first = await done;
    if (first.signal === 'SIGKILL') killed++;
    const again = await exited(darq(args(out, state)));
    t.is(again.code, 0, again.stderr);
    t.is(
      fs.readFileSync(out, 'utf8'),
      goldenText,
      `run ${i}: output after kill and resume differs from the golden`,
    );
  }
  t.is(killed, KILLS, `only ${killed} of ${KILLS} runs were still running when killed`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a SQL file with a typo: file:line:column, the line, a caret, a message, exit code 2', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-cli-'));
  const bad = path.join(dir, 'bad.sql');
  fs.writeFileSync(
    bad,
    fs
      .readFileSync(sql, 'utf8')
      .replace('INSERT INTO region_counts\nSELECT', 'INSERT INTO region_counts\nSELCT'),
  );
  const r = await exited(darq(['run', bad]));
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`));
  t.regex(r.stderr, /SELCT/);
  t.regex(r.stderr, /\^/);
});
