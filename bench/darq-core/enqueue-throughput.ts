/**
 * Enqueue throughput: external input in batches of 1024 search events (pre-encoded with msgpackr, one
 * IN entry per batch), deduplicated per producer, a version closed every 5 ms, for both persistence
 * levels. Baseline in the same run: raw better-sqlite3 appends of the same bodies with the same pragmas.
 *
 *   node --import tsx bench/darq-core/enqueue-throughput.ts [batches]   → bench/results/darq-core-enqueue.json
 */
import { join } from 'node:path';
import { Worker } from '@darq/darq-core';
import { Database, machine, makeBatches, median, Packr, scratch, writeResult } from './common.ts';

const BATCHES = Number(process.argv[2] ?? 2000);
const RECORDS = 1024;
const COMMIT_MS = 5;
const ROUNDS = 3;
const packr = new Packr({ useRecords: true });
const pool = makeBatches(32, RECORDS).map((b) => packr.pack(b));

function darqRound(dir: string, name: string, persistence: 'process' | 'machine'): number {
  const w = Worker.open({ path: join(dir, `${name}.sqlite`), persistence });
  const q = w.participant('input');
  const t0 = performance.now();
  let lastCommit = t0;
  for (let i = 0; i < BATCHES; i++) {
    q.enqueue('loader', i, [pool[i % pool.length] as Uint8Array]);
    const now = performance.now();
    if (now - lastCommit >= COMMIT_MS) {
      w.commit();
      lastCommit = performance.now();
    }
  }
  w.commit();
  const secs = (performance.now() - t0) / 1000;
  w.close();
  return (BATCHES * RECORDS) / secs;
}

function rawRound(dir: string, name: string, sync: 'NORMAL' | 'FULL'): number {
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
    const now = performance.now();
    if (now - lastCommit >= COMMIT_MS) {
      commit.run();
      begin.run();
      lastCommit = performance.now();
    }
  }
  commit.run();
  const secs = (performance.now() - t0) / 1000;
  db.close();
  return (BATCHES * RECORDS) / secs;
}

const dir = scratch('enqueue');
const runs = {
  darqMachine: [] as number[],
  darqProcess: [] as number[],
  rawFull: [] as number[],
  rawNormal: [] as number[],
};
for (let r = 0; r < ROUNDS; r++) {
  runs.darqMachine.push(darqRound(dir, `dm${r}`, 'machine'));
  runs.rawFull.push(rawRound(dir, `rf${r}`, 'FULL'));
  runs.darqProcess.push(darqRound(dir, `dp${r}`, 'process'));
  runs.rawNormal.push(rawRound(dir, `rn${r}`, 'NORMAL'));
}
const summary = (xs: number[]) => ({ recordsPerSec: Math.round(median(xs)), all: xs.map(Math.round) });
const result = {
  benchmark: 'darq-core enqueue: batches of 1024 pre-encoded records, dedup per producer, commit every 5 ms',
  ...machine(),
  recordsPerBatch: RECORDS,
  batches: BATCHES,
  bytesPerBatch: pool[0]?.length,
  commitEveryMs: COMMIT_MS,
  darqMachine: summary(runs.darqMachine),
  baselineRawSqliteFull: summary(runs.rawFull),
  darqProcess: summary(runs.darqProcess),
  baselineRawSqliteNormal: summary(runs.rawNormal),
  goalRecordsPerSec: 2_000_000,
};
console.log(JSON.stringify(result, null, 2));
writeResult('enqueue', result);
