/**
 * Commit latency under a steady 50 k records/s (one 250-record entry every 5 ms, then a commit), machine
 * persistence (fsync per commit). Side by side in the same run:
 *   - darq: `worker.commit()`, WAL checkpoints run by the worker off the hot path (after a commit, on a timer);
 *   - bare SQLite, same insert + COMMIT, WAL with automatic checkpoints off (pure fsync commit);
 *   - bare SQLite with SQLite's default automatic checkpoint (what makes the p99 tail).
 * And the latency a producer sees until its input is durable (enqueue → persisted$), at 50 k records/s
 * arriving as 50-record entries every 1 ms, for two version policies: a 5 ms timer, and group commit
 * (close the version as soon as the previous commit finished while work is pending).
 *
 *   node --import tsx bench/darq-core/commit-latency.ts [seconds] [rounds]   → bench/results/darq-core-commit.json
 */
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from '@darq/darq-core';
import { Database, machine, makeBatches, Packr, percentiles, scratch, writeResult } from './common.ts';

const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = Number(process.argv[3] ?? 2);
const INTERVAL_MS = 5;
const PER_COMMIT = 250; // 250 records every 5 ms = 50 k records/s
const packr = new Packr({ useRecords: true });
const pool = makeBatches(16, PER_COMMIT).map((b) => packr.pack(b));
const ticks = Math.round((SECONDS * 1000) / INTERVAL_MS);

/** darq's commits; also how long its WAL checkpoints (run between versions) held the event loop. */
async function darq(
  dir: string,
  name: string,
  samples: number[],
  checkpoints: number[],
  loopDelay: number[],
) {
  const w = Worker.open({ path: join(dir, `${name}.sqlite`), persistence: 'machine', walCheckpointMs: 20 });
  const checkpoint = w.checkpointWal.bind(w);
  w.checkpointWal = () => {
    const t0 = performance.now();
    const ran = checkpoint();
    if (ran) checkpoints.push(performance.now() - t0);
    return ran;
  };
  const q = w.participant('input');
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  for (let i = 0; i < ticks; i++) {
    q.enqueue('loader', i, [pool[i % pool.length] as Uint8Array]);
    const t0 = performance.now();
    w.commit();
    samples.push(performance.now() - t0);
    await sleep(INTERVAL_MS);
  }
  delay.disable();
  loopDelay.push(delay.percentile(99) / 1e6);
  w.close();
}

async function bare(dir: string, name: string, autocheckpoint: boolean, samples: number[]) {
  const db = new Database(join(dir, `${name}.sqlite`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  if (!autocheckpoint) db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE log (lsn INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const ins = db.prepare('INSERT INTO log (body) VALUES (?)');
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  for (let i = 0; i < ticks; i++) {
    begin.run();
    ins.run(pool[i % pool.length]);
    const t0 = performance.now();
    commit.run();
    samples.push(performance.now() - t0);
    await sleep(INTERVAL_MS);
  }
  db.close();
}

async function committedLatency(
  dir: string,
  name: string,
  samples: number[],
  policy: 'timer' | 'group',
  background = false,
) {
  const w = Worker.open({
    path: join(dir, `${name}.sqlite`),
    persistence: 'machine',
    walCheckpointMs: 20,
    syncInBackground: background,
  });
  const q = w.participant('input');
  const small = makeBatches(4, 50).map((b) => packr.pack(b));
  const waiting: number[] = [];
  w.persisted$.subscribe(() => {
    const now = performance.now();
    for (const t of waiting) samples.push(now - t);
    waiting.length = 0;
  });
  let scheduled = false;
  const timer = policy === 'timer' ? setInterval(() => w.commit(), INTERVAL_MS) : undefined;
  const arrivals = SECONDS * 1000;
  for (let i = 0; i < arrivals; i++) {
    waiting.push(performance.now());
    q.enqueue('loader', i, [small[i % small.length] as Uint8Array]);
    if (policy === 'group' && !scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        w.commit();
      });
    }
    await sleep(1);
  }
  if (timer !== undefined) clearInterval(timer);
  w.close();
}

const dir = scratch('commit');
const all = {
  darq: [] as number[],
  checkpoints: [] as number[],
  loopDelayP99: [] as number[],
  bare: [] as number[],
  bareAuto: [] as number[],
  timer: [] as number[],
  group: [] as number[],
  background: [] as number[],
};
// Rounds interleave the variants so that a noisy minute on the shared disk hits all of them alike.
for (let r = 0; r < ROUNDS; r++) {
  await darq(dir, `darq-${r}`, all.darq, all.checkpoints, all.loopDelayP99);
  await bare(dir, `bare-${r}`, false, all.bare);
  await bare(dir, `bare-auto-${r}`, true, all.bareAuto);
  await committedLatency(dir, `timer-${r}`, all.timer, 'timer');
  await committedLatency(dir, `group-${r}`, all.group, 'group');
  await committedLatency(dir, `timer-bg-${r}`, all.background, 'timer', true);
}
const darqCommit = percentiles(all.darq);
const bareCommit = percentiles(all.bare);
const result = {
  benchmark: 'darq-core commit latency at 50 k records/s, machine persistence',
  ...machine(),
  recordsPerSec: (PER_COMMIT * 1000) / INTERVAL_MS,
  commitEveryMs: INTERVAL_MS,
  bytesPerCommit: pool[0]?.length,
  rounds: ROUNDS,
  darqCommit,
  baselineBareSqliteFsyncCommit: bareCommit,
  baselineBareSqliteAutoCheckpoint: percentiles(all.bareAuto),
  // What the WAL checkpoints add at the tail: darq's commit p99 minus the bare fsync commit's p99 (the disk's
  // own fsync tail is in both), and how long each checkpoint held the event loop (between versions).
  darqP99OverBareMs: Number((darqCommit.p99Ms - bareCommit.p99Ms).toFixed(4)),
  darqCheckpoints: percentiles(all.checkpoints),
  darqEventLoopDelayP99Ms: all.loopDelayP99.map((x) => Number(x.toFixed(3))),
  enqueueToDurableTimer5ms: percentiles(all.timer),
  enqueueToDurableGroupCommit: percentiles(all.group),
  enqueueToDurableTimer5msSyncInBackground: percentiles(all.background),
};
console.log(JSON.stringify(result, null, 2));
writeResult('commit', result);
