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
 *   node --import tsx bench/darq-core/commit-latency.ts [seconds]   → bench/results/darq-core-commit.json
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from '@darq/darq-core';
import { Database, machine, makeBatches, Packr, percentiles, scratch, writeResult } from './common.ts';

const SECONDS = Number(process.argv[2] ?? 5);
const INTERVAL_MS = 5;
const PER_COMMIT = 250; // 250 records every 5 ms = 50 k records/s
const packr = new Packr({ useRecords: true });
const pool = makeBatches(16, PER_COMMIT).map((b) => packr.pack(b));
const ticks = Math.round((SECONDS * 1000) / INTERVAL_MS);

async function darq(dir: string) {
  const w = Worker.open({ path: join(dir, 'darq.sqlite'), persistence: 'machine', walCheckpointMs: 20 });
  const q = w.participant('input');
  const samples: number[] = [];
  for (let i = 0; i < ticks; i++) {
    q.enqueue('loader', i, [pool[i % pool.length] as Uint8Array]);
    const t0 = performance.now();
    w.commit();
    samples.push(performance.now() - t0);
    await sleep(INTERVAL_MS);
  }
  w.close();
  return percentiles(samples);
}

async function bare(dir: string, name: string, autocheckpoint: boolean) {
  const db = new Database(join(dir, `${name}.sqlite`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  if (!autocheckpoint) db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE log (lsn INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const ins = db.prepare('INSERT INTO log (body) VALUES (?)');
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const samples: number[] = [];
  for (let i = 0; i < ticks; i++) {
    begin.run();
    ins.run(pool[i % pool.length]);
    const t0 = performance.now();
    commit.run();
    samples.push(performance.now() - t0);
    await sleep(INTERVAL_MS);
  }
  db.close();
  return percentiles(samples);
}

async function committedLatency(dir: string, policy: 'timer' | 'group', background = false) {
  const w = Worker.open({
    path: join(dir, `policy-${policy}-${background}.sqlite`),
    persistence: 'machine',
    walCheckpointMs: 20,
    syncInBackground: background,
  });
  const q = w.participant('input');
  const small = makeBatches(4, 50).map((b) => packr.pack(b));
  const waiting: number[] = [];
  const samples: number[] = [];
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
  return percentiles(samples);
}

const dir = scratch('commit');
const result = {
  benchmark: 'darq-core commit latency at 50 k records/s, machine persistence',
  ...machine(),
  recordsPerSec: (PER_COMMIT * 1000) / INTERVAL_MS,
  commitEveryMs: INTERVAL_MS,
  bytesPerCommit: pool[0]?.length,
  darqCommit: await darq(dir),
  baselineBareSqliteFsyncCommit: await bare(dir, 'bare', false),
  baselineBareSqliteAutoCheckpoint: await bare(dir, 'bare-auto', true),
  enqueueToDurableTimer5ms: await committedLatency(dir, 'timer'),
  enqueueToDurableGroupCommit: await committedLatency(dir, 'group'),
  enqueueToDurableTimer5msSyncInBackground: await committedLatency(dir, 'timer', true),
};
console.log(JSON.stringify(result, null, 2));
writeResult('commit', result);
