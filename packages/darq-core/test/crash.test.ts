import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import test from 'ava';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { type Incarnation, type Lsn, Worker } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const CHILD = join(import.meta.dirname, 'fixtures', 'crash-child.ts');
const packr = new Packr({ useRecords: false });
const LONG = process.env.DARQ_LONG === '1';
const RESULTS = join(import.meta.dirname, '..', '..', '..', 'bench', 'results');

interface Committed {
  version: number;
  i: number;
  inc: number;
}

/** Runs the child until it has printed `lines` commit lines, then SIGKILLs it; returns what it printed. */
function runAndKill(
  path: string,
  lines: number,
  every: number,
  persistence: string,
): Promise<{ last?: Committed; inc: number }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, path, String(every), persistence],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    let last: Committed | undefined;
    let inc = 0;
    let seen = 0;
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (line) => {
      const [tag, a, b, c] = line.split(' ');
      if (tag === 'INC') inc = Number(a);
      if (tag === 'C') {
        last = { version: Number(a), i: Number(b), inc: Number(c) };
        if (++seen === lines) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ last, inc });
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

/** Checks the file holds exactly a prefix of whole versions, at least up to what the child reported. */
function checkRecovered(
  path: string,
  every: number,
  reported: Committed | undefined,
  prevInc: number,
): number {
  const w = Worker.open({ path });
  try {
    const q = w.participant('q');
    const out = w.participant('out');
    const last = q.lastSeq('gen');
    const n = last + 1;
    if (n % every !== 0)
      throw new Error(`recovered ${n} iterations: not a whole number of versions of ${every}`);
    if (reported !== undefined && last < reported.i) {
      throw new Error(`lost committed work: child reported ${reported.i}, file has ${last}`);
    }
    if (reported !== undefined && w.persisted < reported.version) {
      throw new Error(`persisted version went back: ${w.persisted} < ${reported.version}`);
    }
    if (q.get('s', 'count') !== (n === 0 ? undefined : n))
      throw new Error(`count ${q.get('s', 'count')} != ${n}`);
    if (n > 0 && q.get('s', 'sum') !== (n * (n - 1)) / 2)
      throw new Error(`sum ${q.get('s', 'sum')} wrong for ${n}`);
    if (q.pendingInputs().length !== 0) throw new Error('an uncommitted input survived');
    const delivered = out.pendingInputs(0 as Lsn, 1_000_000).map((m) => packr.unpack(m.body) as number);
    if (delivered.length !== n || delivered.some((x, k) => x !== k)) {
      throw new Error(`out holds ${delivered.length} messages, expected exactly 0..${n - 1} once each`);
    }
    if (q.incarnation < (prevInc as Incarnation))
      throw new Error(`incarnation lowered: ${q.incarnation} < ${prevInc}`);
    return q.incarnation;
  } finally {
    w.close();
  }
}

test('SIGKILL at random points: committed work survives, uncommitted work vanishes, incarnation never lowers', async (t) => {
  const kills = LONG ? 200 : 20;
  t.timeout(LONG ? 4 * 3600_000 : 15 * 60_000); // child start-up dominates; a loaded machine needs slack
  const path = join(tempDir(t, true), 'crash.sqlite');
  const every = 7;
  let prevInc = 0;
  const started = Date.now();
  let reportedAhead = 0;
  const rand = fc.sample(fc.integer({ min: 1, max: 40 }), { numRuns: kills, seed: 42 });
  for (let k = 0; k < kills; k++) {
    // Alternate persistence levels over the same file: every mode must recover what the others wrote.
    const mode = ['process', 'machine-bg', 'machine'][k % 3] as string;
    const { last, inc } = await runAndKill(path, rand[k] ?? 1, every, mode);
    t.true(inc > prevInc, `run ${k}: incarnation ${inc} after ${prevInc}`);
    prevInc = checkRecovered(path, every, last, inc);
    if (last !== undefined) reportedAhead++;
  }
  const w = Worker.open({ path });
  const figures = {
    test: 'SIGKILL of a producer+processor child at random points, recovery checked after every kill',
    date: new Date().toISOString(),
    kills,
    commitEvery: every,
    iterationsRecovered: w.participant('q').lastSeq('gen') + 1,
    finalVersion: w.persisted,
    finalIncarnation: w.participant('q').incarnation,
    killsAfterAtLeastOneReportedCommit: reportedAhead,
    invariantViolations: 0,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  w.close();
  if (LONG)
    writeFileSync(join(RESULTS, 'darq-core-crash-long.json'), `${JSON.stringify(figures, null, 2)}\n`);
  t.is(figures.iterationsRecovered % every, 0);
});

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'counter', 'main.ts');

/** Runs the counter example; SIGKILLs it after `killAfter` progress lines (or lets it finish). */
function runExample(path: string, n: number, killAfter: number | undefined): Promise<'killed' | 'done'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', EXAMPLE, path, String(n)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    let lines = 0;
    let done = false;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith('done')) done = true;
      if (killAfter !== undefined && ++lines === killAfter) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0 && done) resolve('done');
      else reject(new Error(`example exited with ${code}: ${stderr}`));
    });
  });
}

test('the counter example has exactly-once effects when killed with SIGKILL again and again', async (t) => {
  const path = join(tempDir(t), 'counter.sqlite');
  const n = 600;
  const kills = LONG ? 50 : 5;
  t.timeout(LONG ? 3600_000 : 10 * 60_000);
  const at = fc.sample(fc.integer({ min: 1, max: 12 }), { numRuns: kills, seed: 7 });
  let outcome: 'killed' | 'done' = 'killed';
  for (let k = 0; k < kills && outcome === 'killed'; k++) outcome = await runExample(path, n, at[k]);
  if (outcome !== 'done') outcome = await runExample(path, n, undefined);
  t.is(outcome, 'done');

  const { request } = await import('../examples/counter/counter.ts');
  const w = Worker.open({ path });
  const counter = w.participant('counter');
  const audit = w.participant('audit');
  const expected = new Map<string, number>();
  const running = new Map<string, number>();
  const receipts = [...audit.scan('receipts', '')].map(
    ([, r]) => r as { reqId: number; key: string; total: number },
  );
  t.is(receipts.length, n, 'one receipt per request');
  for (let i = 0; i < n; i++) {
    const r = request(i);
    expected.set(r.key, (expected.get(r.key) ?? 0) + r.amount);
    running.set(r.key, (running.get(r.key) ?? 0) + r.amount);
    const receipt = receipts[i];
    if (receipt?.reqId !== i || receipt.total !== running.get(r.key)) {
      t.fail(`receipt ${i}: ${JSON.stringify(receipt)}, expected total ${running.get(r.key)}`);
    }
  }
  for (const [key, total] of expected) t.is(counter.get('counts', key), total, `count of ${key}`);
  t.is(audit.get('stats', 'filed'), n);
  t.is(counter.pendingInputs().length + audit.pendingInputs().length, 0);
  w.close();
});
