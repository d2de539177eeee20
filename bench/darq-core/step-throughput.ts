/**
 * Co-located step throughput: each step consumes one IN entry of 1024 search events, decodes them, re-encodes
 * them (not a byte copy) and appends them as an OUT entry; machine persistence (fsync per commit), a version
 * closed every 5 ms. Side by side in the same run, rounds interleaved, medians reported:
 *   - darq with darq-core's columnar record codec (`encodeRecords`/`decodeRecords`): fsync inside commit(),
 *     and with `syncInBackground` (fsync in the thread pool while steps go on);
 *   - darq with msgpackr records (the codec of the first measurement), fsync inside commit();
 *   - codec only: the same decode + encode with no storage (the CPU floor of the loop), both codecs;
 *   - raw better-sqlite3: appending the same encoded batches, one row each, same pragmas and commit cadence.
 * Every storage variant is timed until its last version is durable. Neither darq nor raw SQLite checkpoints
 * the WAL inside the loop (darq's checkpoint waits for a gap between versions, which a saturated loop never
 * leaves); the `…WithCheckpoint` figures add the one checkpoint that moves the run's WAL into the database,
 * the steady-state cost of writing every byte twice.
 *
 *   node --import tsx bench/darq-core/step-throughput.ts [entries] [rounds]   → bench/results/darq-core-step.json
 */
import { join } from 'node:path';
import { decodeRecords, encodeRecords, type Lsn, StepBuilder, Worker } from '@darq/darq-core';
import { Database, machine, makeBatches, median, Packr, scratch, writeResult } from './common.ts';

const ENTRIES = Number(process.argv[2] ?? 600);
const ROUNDS = Number(process.argv[3] ?? 5);
const RECORDS = 1024;
const COMMIT_MS = 5;
const packr = new Packr({ useRecords: true });
const batches = makeBatches(32, RECORDS);

interface Codec {
  readonly name: string;
  encode(records: unknown[]): Uint8Array;
  decode(body: Uint8Array): unknown[];
}
const columnar: Codec = { name: 'columnar', encode: encodeRecords, decode: decodeRecords };
const msgpackr: Codec = {
  name: 'msgpackr',
  encode: (r) => packr.pack(r),
  decode: (b) => packr.unpack(b) as unknown[],
};
const pools = new Map<Codec, Uint8Array[]>(
  [columnar, msgpackr].map((c) => [c, batches.map((b) => c.encode(b))] as const),
);

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Timing {
  readonly recordsPerSec: number;
  readonly withCheckpoint: number;
}

async function darqRound(dir: string, name: string, codec: Codec, background: boolean): Promise<Timing> {
  const w = Worker.open({
    path: join(dir, `${name}.sqlite`),
    persistence: 'machine',
    syncInBackground: background,
    walCheckpointMs: 0, // checkpointed once below, timed, as raw SQLite is
  });
  const pool = pools.get(codec) as Uint8Array[];
  const q = w.participant('op');
  for (let i = 0; i < ENTRIES; i++) q.enqueue('gen', i, [pool[i % pool.length] as Uint8Array]);
  w.commit();
  w.checkpointWal();
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
      const out = codec.encode(codec.decode(m.body));
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
  const t1 = performance.now();
  w.checkpointWal();
  const t2 = performance.now();
  w.close();
  return {
    recordsPerSec: (steps * RECORDS) / ((t1 - t0) / 1000),
    withCheckpoint: (steps * RECORDS) / ((t2 - t0) / 1000),
  };
}

function codecRound(codec: Codec): number {
  const pool = pools.get(codec) as Uint8Array[];
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < ENTRIES; i++)
    bytes += codec.encode(codec.decode(pool[i % pool.length] as Uint8Array)).length;
  if (bytes === 0) throw new Error('nothing encoded');
  return (ENTRIES * RECORDS) / ((performance.now() - t0) / 1000);
}

function rawRound(dir: string, name: string): Timing {
  const pool = pools.get(columnar) as Uint8Array[];
  const db = new Database(join(dir, `${name}.sqlite`));
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
  const t1 = performance.now();
  db.pragma('wal_checkpoint(PASSIVE)');
  const t2 = performance.now();
  db.close();
  return {
    recordsPerSec: (ENTRIES * RECORDS) / ((t1 - t0) / 1000),
    withCheckpoint: (ENTRIES * RECORDS) / ((t2 - t0) / 1000),
  };
}

const dir = scratch('step');
// Warm the JIT on both codecs before anything is timed (a round is well under a second).
codecRound(columnar);
codecRound(msgpackr);
const runs = {
  darqStep: [] as Timing[],
  darqStepSyncInBackground: [] as Timing[],
  darqStepMsgpackr: [] as Timing[],
  baselineRawSqliteAppend: [] as Timing[],
  codecColumnar: [] as number[],
  codecMsgpackr: [] as number[],
};
for (let r = 0; r < ROUNDS; r++) {
  runs.codecColumnar.push(codecRound(columnar));
  runs.codecMsgpackr.push(codecRound(msgpackr));
  runs.darqStep.push(await darqRound(dir, `darq-${r}`, columnar, false));
  runs.baselineRawSqliteAppend.push(rawRound(dir, `raw-${r}`));
  runs.darqStepSyncInBackground.push(await darqRound(dir, `darq-bg-${r}`, columnar, true));
  runs.darqStepMsgpackr.push(await darqRound(dir, `darq-mp-${r}`, msgpackr, false));
}
const rate = (xs: number[]) => ({ recordsPerSec: Math.round(median(xs)), all: xs.map(Math.round) });
const timed = (ts: Timing[]) => ({
  ...rate(ts.map((t) => t.recordsPerSec)),
  withCheckpoint: Math.round(median(ts.map((t) => t.withCheckpoint))),
});
const darqStep = timed(runs.darqStep);
const raw = timed(runs.baselineRawSqliteAppend);
const result = {
  benchmark: 'darq-core co-located step: consume 1024-record IN entry, decode, re-encode, append OUT entry',
  ...machine(),
  persistence: 'machine (WAL, synchronous=FULL; background: fsync of the WAL in the thread pool)',
  commitEveryMs: COMMIT_MS,
  recordsPerEntry: RECORDS,
  entries: ENTRIES,
  bytesPerEntry: { columnar: pools.get(columnar)?.[0]?.length, msgpackr: pools.get(msgpackr)?.[0]?.length },
  rounds: ROUNDS,
  darqStep,
  darqStepSyncInBackground: timed(runs.darqStepSyncInBackground),
  darqStepMsgpackr: timed(runs.darqStepMsgpackr),
  baselineRawSqliteAppend: raw,
  baselineCodecOnlyColumnar: rate(runs.codecColumnar),
  baselineCodecOnlyMsgpackr: rate(runs.codecMsgpackr),
  darqStepOverRawAppend: Number((darqStep.recordsPerSec / raw.recordsPerSec).toFixed(2)),
  goalRecordsPerSec: 1_500_000,
};
console.log(JSON.stringify(result, null, 2));
writeResult('step', result);
