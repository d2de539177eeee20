/**
 * Co-located step throughput: each step consumes one IN entry of 1024 search events, decodes them with
 * msgpackr, re-encodes them (not a byte copy) and appends them as an OUT entry; machine persistence
 * (fsync per commit), a version closed every 5 ms. Side by side in the same run:
 *   - codec only: the same decode + encode with no storage (the CPU floor of this loop);
 *   - raw better-sqlite3: appending the same encoded batches, one row each, same pragmas and commit cadence.
 * The darq loop runs twice: fsync inside commit(), and `syncInBackground` (fsync in the thread pool).
 *
 *   node --import tsx bench/darq-core/step-throughput.ts [entries]   → bench/results/darq-core-step.json
 */
import { join } from 'node:path';
import { type Lsn, StepBuilder, Worker } from '@darq/darq-core';
import { Database, machine, makeBatches, median, Packr, scratch, writeResult } from './common.ts';

const ENTRIES = Number(process.argv[2] ?? 400);
const RECORDS = 1024;
const COMMIT_MS = 5;
const ROUNDS = 3;
const packr = new Packr({ useRecords: true });
const pool = makeBatches(32, RECORDS).map((b) => packr.pack(b));

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

async function darqRound(dir: string, round: number, background: boolean): Promise<number> {
  const w = Worker.open({
    path: join(dir, `step-${round}-${background}.sqlite`),
    persistence: 'machine',
    syncInBackground: background,
  });
  const q = w.participant('op');
  for (let i = 0; i < ENTRIES; i++) q.enqueue('gen', i, [pool[i % pool.length] as Uint8Array]);
  w.commit();
  const inc = q.registerProcessor();
  const t0 = performance.now();
  let lastCommit = t0;
  let cursor = 0 as Lsn;
  let steps = 0;
  for (;;) {
    const batch = q.pendingInputs(cursor, 16);
    if (batch.length === 0) break;
    for (const m of batch) {
      cursor = m.lsn;
      const records = packr.unpack(m.body) as unknown[];
      const out = packr.pack(records);
      if (q.step(inc, new StepBuilder().consume(m.lsn).send('downstream', out).build()) !== 'SUCCESS') {
        throw new Error('step failed');
      }
      steps++;
      if (steps % 16 === 0) await yieldNow();
      const now = performance.now();
      if (now - lastCommit >= COMMIT_MS) {
        w.commit();
        lastCommit = performance.now();
      }
    }
  }
  const last = w.commit();
  // Timed until the last version is durable (with background sync, when persisted$ reaches it).
  while (w.persisted < last) await yieldNow();
  const secs = (performance.now() - t0) / 1000;
  w.close();
  return (steps * RECORDS) / secs;
}

function codecRound(): number {
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < ENTRIES; i++) {
    const records = packr.unpack(pool[i % pool.length] as Uint8Array) as unknown[];
    bytes += packr.pack(records).length;
  }
  if (bytes === 0) throw new Error('nothing encoded');
  return (ENTRIES * RECORDS) / ((performance.now() - t0) / 1000);
}

function rawRound(dir: string, round: number): number {
  const db = new Database(join(dir, `raw-${round}.sqlite`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE log (lsn INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const ins = db.prepare('INSERT INTO log (body) VALUES (?)');
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const t0 = performance.now();
  let lastCommit = t0;
  begin.run();
  for (let i = 0; i < ENTRIES; i++) {
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
  return (ENTRIES * RECORDS) / secs;
}

const dir = scratch('step');
const darq: number[] = [];
const darqBg: number[] = [];
const codec: number[] = [];
const raw: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  codec.push(codecRound());
  darq.push(await darqRound(dir, r, false));
  darqBg.push(await darqRound(dir, r, true));
  raw.push(rawRound(dir, r));
}
const result = {
  benchmark: 'darq-core co-located step: consume 1024-record IN entry, decode, re-encode, append OUT entry',
  ...machine(),
  persistence: 'machine (WAL, synchronous=FULL)',
  commitEveryMs: COMMIT_MS,
  recordsPerEntry: RECORDS,
  entries: ENTRIES,
  bytesPerEntry: pool[0]?.length,
  rounds: ROUNDS,
  darqStep: { recordsPerSec: Math.round(median(darq)), all: darq.map(Math.round) },
  darqStepSyncInBackground: { recordsPerSec: Math.round(median(darqBg)), all: darqBg.map(Math.round) },
  baselineCodecOnly: { recordsPerSec: Math.round(median(codec)), all: codec.map(Math.round) },
  baselineRawSqliteAppend: { recordsPerSec: Math.round(median(raw)), all: raw.map(Math.round) },
  goalRecordsPerSec: 1_500_000,
};
console.log(JSON.stringify(result, null, 2));
writeResult('step', result);
