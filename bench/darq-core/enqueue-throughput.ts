/**
 * Enqueue throughput: external input in batches of 1024 search events (pre-encoded with darq-core's columnar codec, one
 * IN entry per batch), deduplicated per producer, a version closed every 5 ms, for both persistence
 * levels, and for machine persistence also with `syncInBackground` (commit writes the WAL, the fsync runs in
 * the thread pool; timed until the last version is durable). Baseline in the same run: raw better-sqlite3
 * appends of the same bodies with the same pragmas. Rounds interleaved, medians reported. Neither side
 * checkpoints the WAL inside the loop; `withCheckpoint` adds the one checkpoint that moves the run's WAL
 * into the database (in steady state every byte is written twice, and the checkpoint fsyncs the database).
 *
 *   node --import tsx bench/darq-core/enqueue-throughput.ts [batches]   → bench/results/darq-core-enqueue.json
 */
import { join } from 'node:path';
import { encodeRecords, Worker } from '@darq/darq-core';
import { Database, machine, makeBatches, median, scratch, writeResult } from './common.ts';

const BATCHES = Number(process.argv[2] ?? 2000);
const RECORDS = 1024;
const COMMIT_MS = 5;
const ROUNDS = Number(process.argv[3] ?? 5);
const pool = makeBatches(32, RECORDS).map((b) => encodeRecords(b));

interface Timing {
  readonly recordsPerSec: number;
  readonly withCheckpoint: number;
}

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

async function darqRound(
  dir: string,
  name: string,
  persistence: 'process' | 'machine',
  syncInBackground = false,
): Promise<Timing> {
  const w = Worker.open({
    path: join(dir, `${name}.sqlite`),
    persistence,
    syncInBackground,
    walCheckpointMs: 0, // checkpointed once below, timed, as raw SQLite is
  });
  const q = w.participant('input');
  const t0 = performance.now();
  let lastCommit = t0;
  for (let i = 0; i < BATCHES; i++) {
    q.enqueue('loader', i, [pool[i % pool.length] as Uint8Array]);
    // A producer yields now and then (reading its input); it also lets a background fsync report back.
    if (i % 16 === 15) await yieldNow();
    const now = performance.now();
    if (now - lastCommit >= COMMIT_MS) {
      w.commit();
      lastCommit = performance.now();
    }
  }
  const last = w.commit();
  while (w.persisted < last) await yieldNow();
  const t1 = performance.now();
  w.checkpointWal();
  const t2 = performance.now();
  w.close();
  return {
    recordsPerSec: (BATCHES * RECORDS) / ((t1 - t0) / 1000),
    withCheckpoint: (BATCHES * RECORDS) / ((t2 - t0) / 1000),
  };
}

async function rawRound(dir: string, name: string, sync: 'NORMAL' | 'FULL'): Promise<Timing> {
  const db = new Database(join(dir, `${name}.sqlite`));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE log (lsn INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const ins = db.prepare('INSERT INTO log (body) VALUES (?)');
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const t0 = performance.now();
  let lastCommit = t0;
  begin.run();
  for (let i = 0; i < BATCHES; i++) {
    ins.run(pool[i % pool.length]);
    if (i % 16 === 15) await yieldNow();
    const now = performance.now();
    if (now - lastCommit >= COMMIT_MS) {
      commit.run();
      begin.run();
      lastCommit = performance.now();
    }
  }
  commit.run();
  const t1 = performance.now();
  db.pragma('wal_checkpoint(PASSIVE)');
  const t2 = performance.now();
  db.close();
  return {
    recordsPerSec: (BATCHES * RECORDS) / ((t1 - t0) / 1000),
    withCheckpoint: (BATCHES * RECORDS) / ((t2 - t0) / 1000),
  };
}

const dir = scratch('enqueue');
const runs = {
  darqMachine: [] as Timing[],
  darqMachineSyncInBackground: [] as Timing[],
  darqProcess: [] as Timing[],
  rawFull: [] as Timing[],
  rawNormal: [] as Timing[],
};
for (let r = 0; r < ROUNDS; r++) {
  runs.darqMachine.push(await darqRound(dir, `dm${r}`, 'machine'));
  runs.rawFull.push(await rawRound(dir, `rf${r}`, 'FULL'));
  runs.darqMachineSyncInBackground.push(await darqRound(dir, `db${r}`, 'machine', true));
  runs.darqProcess.push(await darqRound(dir, `dp${r}`, 'process'));
  runs.rawNormal.push(await rawRound(dir, `rn${r}`, 'NORMAL'));
}
const summary = (ts: Timing[]) => ({
  recordsPerSec: Math.round(median(ts.map((t) => t.recordsPerSec))),
  all: ts.map((t) => Math.round(t.recordsPerSec)),
  withCheckpoint: Math.round(median(ts.map((t) => t.withCheckpoint))),
});
const result = {
  benchmark: 'darq-core enqueue: batches of 1024 pre-encoded records, dedup per producer, commit every 5 ms',
  ...machine(),
  recordsPerBatch: RECORDS,
  batches: BATCHES,
  bytesPerBatch: pool[0]?.length,
  commitEveryMs: COMMIT_MS,
  rounds: ROUNDS,
  darqMachine: summary(runs.darqMachine),
  baselineRawSqliteFull: summary(runs.rawFull),
  darqMachineSyncInBackground: summary(runs.darqMachineSyncInBackground),
  darqProcess: summary(runs.darqProcess),
  baselineRawSqliteNormal: summary(runs.rawNormal),
  goalRecordsPerSec: 2_000_000,
};
console.log(JSON.stringify(result, null, 2));
writeResult('enqueue', result);
