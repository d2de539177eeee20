import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import {
  ColocatedProcessorClient,
  DarqError,
  type DarqMessage,
  type DarqProcessor,
  EntryKind,
  type Incarnation,
  type Lsn,
  type ProcessorCapabilities,
  StepBuilder,
  type Version,
  Worker,
} from '../src/index.ts';
import { dec, enc, tempDir } from './helpers.ts';

function openTemp(t: Parameters<typeof tempDir>[0], opts: { undo?: boolean } = {}): Worker {
  const w = Worker.open({ path: join(tempDir(t), 'w.sqlite'), ...opts });
  t.teardown(() => w.close());
  return w;
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DarqError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

test('a fresh file gets the schema and reopens with everything committed', (t) => {
  const path = join(tempDir(t), 'nested', 'dir', 'w.sqlite');
  const w = Worker.open({ path, workerId: 'w7', persistence: 'machine' });
  t.is(w.id, 'w7');
  t.is(w.version, 1 as Version);
  const q = w.participant('q');
  t.true(q.enqueue('p', 0, [enc('a'), enc('b')]));
  w.setMeta('plan', 'fp-1');
  t.deepEqual(
    q.pendingInputs().map((m) => m.version),
    [1, 1],
    'entries carry the version that appended them',
  );
  t.is(w.commit(), 1 as Version);
  t.is(w.commit(), 1 as Version, 'a commit with nothing changed only reports the last durable version');
  t.is(w.version, 2 as Version);
  w.close();
  const again = Worker.open({ path });
  t.deepEqual(again.participantIds(), ['q']);
  t.is(again.getMeta('plan'), 'fp-1');
  t.deepEqual(
    again
      .participant('q')
      .pendingInputs()
      .map((m) => dec(m.body)),
    ['a', 'b'],
  );
  t.is(again.version, 2 as Version);
  again.close();
  const db = new Database(path, { readonly: true });
  t.is(db.pragma('user_version', { simple: true }), 1);
  db.close();
});

test('bad files and paths are refused with a code naming the file', (t) => {
  const dir = tempDir(t);
  const garbage = join(dir, 'garbage.sqlite');
  writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
  const corrupt = errorCode(() => Worker.open({ path: garbage }));
  t.regex(corrupt, /^DARQ_CORRUPT_FILE: .*garbage\.sqlite/);

  const foreign = join(dir, 'foreign.sqlite');
  const fdb = new Database(foreign);
  fdb.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
  fdb.close();
  t.regex(
    errorCode(() => Worker.open({ path: foreign })),
    /^DARQ_FOREIGN_FILE: .*foreign\.sqlite/,
  );

  const newer = join(dir, 'newer.sqlite');
  Worker.open({ path: newer }).close();
  const ndb = new Database(newer);
  ndb.pragma('user_version = 99');
  ndb.close();
  t.regex(
    errorCode(() => Worker.open({ path: newer })),
    /^DARQ_SCHEMA_TOO_NEW: .*newer\.sqlite.*schema 99/,
  );

  const blocker = join(dir, 'plain-file');
  writeFileSync(blocker, 'not a directory');
  t.regex(
    errorCode(() => Worker.open({ path: join(blocker, 'w.sqlite') })),
    /^DARQ_DIR_UNWRITABLE: .*plain-file/,
  );

  const busy = join(dir, 'busy.sqlite');
  const holder = Worker.open({ path: busy });
  t.regex(
    errorCode(() => Worker.open({ path: busy })),
    /^DARQ_FILE_IN_USE: .*busy\.sqlite/,
  );
  holder.close();
  Worker.open({ path: busy }).close();

  t.regex(
    errorCode(() => Worker.open({ path: dir })),
    /^DARQ_NOT_A_FILE/,
  );
  t.regex(
    errorCode(() => Worker.open({ path: join(dir, 'x.sqlite'), persistence: 'disk' as never })),
    /^DARQ_BAD_OPTIONS/,
  );
});

test('a step is all or nothing: consume, state, sends and STATE entries together', (t) => {
  const w = openTemp(t);
  const q = w.participant('q');
  const sink = w.participant('sink');
  q.enqueue('p', 0, [enc('m1'), enc('m2')]);
  const inc = q.registerProcessor();
  const [m1, m2] = q.pendingInputs();
  if (m1 === undefined || m2 === undefined) return t.fail('inputs missing');

  // A step that throws half-way (a value msgpack cannot encode) leaves nothing behind.
  const throwing = new StepBuilder()
    .consume(m1.lsn)
    .send('sink', enc('out'))
    .state(enc('snap'))
    .put('t', 'a', 1)
    .put('t', 'b', Symbol('not encodable'))
    .build();
  t.throws(() => q.step(inc, throwing), { message: /symbol/ });
  t.deepEqual(
    q.pendingInputs().map((m) => m.lsn),
    [m1.lsn, m2.lsn],
  );
  t.is(sink.pendingInputs().length, 0);
  t.is(q.stateEntries().length, 0);
  t.is(q.get('t', 'a'), undefined);

  // A step rejected as INVALID on its second consumption leaves nothing either.
  const invalid = new StepBuilder()
    .consume(m1.lsn)
    .consume(9999 as Lsn)
    .put('t', 'a', 1)
    .send('sink', enc('x'))
    .build();
  t.is(q.step(inc, invalid), 'INVALID');
  t.is(q.pendingInputs().length, 2);
  t.is(q.get('t', 'a'), undefined);
  t.is(sink.pendingInputs().length, 0);

  const ok = new StepBuilder()
    .consume(m1.lsn)
    .send('sink', enc('out'))
    .send('remote', enc('far'))
    .self(enc('again'))
    .state(enc('snap'))
    .put('t', 'a', { n: 1 })
    .build();
  t.is(q.step(inc, ok), 'SUCCESS');
  t.deepEqual(
    q.pendingInputs().map((m) => dec(m.body)),
    ['m2', 'again'],
  );
  t.deepEqual(
    sink.pendingInputs().map((m) => [m.kind, dec(m.body)]),
    [[EntryKind.IN, 'out']],
  );
  t.deepEqual(
    q.pendingOutputs().map((m) => [m.kind, m.dest, dec(m.body)]),
    [[EntryKind.OUT, 'remote', 'far']],
  );
  t.deepEqual(
    q.stateEntries().map((m) => [m.kind, dec(m.body)]),
    [[EntryKind.STATE, 'snap']],
  );
  t.deepEqual(q.get('t', 'a'), { n: 1 });
  const lsns = [...q.pendingInputs(), ...sink.pendingInputs(), ...q.pendingOutputs(), ...q.stateEntries()]
    .map((m) => m.lsn)
    .sort((a, b) => a - b);
  t.is(new Set(lsns).size, lsns.length, 'LSNs are unique across the worker');
});

test('INVALID for unknown, consumed, foreign, OUT and empty; REINCARNATED for a stale incarnation', (t) => {
  const w = openTemp(t);
  const a = w.participant('a');
  const b = w.participant('b');
  a.enqueue('p', 0, [enc('x')]);
  b.enqueue('p', 0, [enc('y')]);
  const inc = a.registerProcessor();
  const [x] = a.pendingInputs();
  const [y] = b.pendingInputs();
  if (x === undefined || y === undefined) return t.fail();
  t.is(a.step(inc, new StepBuilder().build()), 'INVALID', 'empty step');
  t.is(a.step(inc, new StepBuilder().consume(12345 as Lsn).build()), 'INVALID', 'unknown LSN');
  t.is(a.step(inc, new StepBuilder().consume(y.lsn).build()), 'INVALID', "another participant's entry");
  t.is(a.step(inc, new StepBuilder().consume(x.lsn).consume(x.lsn).build()), 'INVALID', 'twice in one step');
  t.is(a.pendingInputs().length, 1);
  t.is(a.step(inc, new StepBuilder().consume(x.lsn).send('elsewhere', enc('o')).build()), 'SUCCESS');
  t.is(a.step(inc, new StepBuilder().consume(x.lsn).build()), 'INVALID', 'already consumed');
  const [out] = a.pendingOutputs();
  if (out === undefined) return t.fail();
  t.is(a.step(inc, new StepBuilder().consume(out.lsn).build()), 'INVALID', 'OUT entries are not consumable');
  t.is(a.step(inc, new StepBuilder().put('t', 'k', 1).build()), 'SUCCESS', 'a state-only step is not empty');

  const newer = a.registerProcessor();
  t.true(newer > inc);
  t.is(a.step(inc, new StepBuilder().self(enc('zombie')).build()), 'REINCARNATED');
  t.is(a.step((newer + 1) as Incarnation, new StepBuilder().self(enc('future')).build()), 'REINCARNATED');
  t.is(a.step(newer, new StepBuilder().build()), 'INVALID');
  t.is(a.step(newer, new StepBuilder().self(enc('live')).build()), 'SUCCESS');
  t.deepEqual(
    a.pendingInputs().map((m) => dec(m.body)),
    ['live'],
  );
});

test('incarnations are durable and strictly increasing across reopen', (t) => {
  const path = join(tempDir(t), 'w.sqlite');
  const w = Worker.open({ path });
  const q = w.participant('q');
  t.is(q.incarnation, 0 as Incarnation);
  q.registerProcessor();
  const second = q.registerProcessor();
  t.is(second, 2 as Incarnation);
  // registerProcessor commits: the bump is durable without an explicit commit or close.
  t.is(w.persisted + 1, w.version);
  w.close();
  const again = Worker.open({ path });
  const q2 = again.participant('q');
  t.is(q2.incarnation, 2 as Incarnation);
  t.is(q2.step(second, new StepBuilder().self(enc('still me')).build()), 'SUCCESS');
  t.is(q2.registerProcessor(), 3 as Incarnation);
  t.is(q2.step(second, new StepBuilder().self(enc('zombie')).build()), 'REINCARNATED');
  again.close();
});

test('keyed state: get, put, delete and ordered prefix scans, rolled back with a failed step', (t) => {
  const w = openTemp(t);
  const q = w.participant('q');
  const other = w.participant('other');
  const inc = q.registerProcessor();
  const oinc = other.registerProcessor();
  const keys = ['b:2', 'a:1', 'b:1', 'b:10', 'c', 'b', 'bz', 'b:é', 'b:😀', 'b:\uffff'];
  const req = new StepBuilder();
  for (const k of keys) req.put('t', k, { k, n: k.length });
  req.put('u', 'b:1', 'other table');
  t.is(q.step(inc, req.build()), 'SUCCESS');
  t.is(other.step(oinc, new StepBuilder().put('t', 'b:1', 'other participant').build()), 'SUCCESS');
  t.deepEqual(q.get('t', 'b:1'), { k: 'b:1', n: 3 });
  t.is(q.get('u', 'b:1'), 'other table');
  t.is(other.get('t', 'b:1'), 'other participant');
  t.is(q.get('t', 'missing'), undefined);
  const utf8Order = (xs: string[]) => [...xs].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  t.deepEqual(
    [...q.scan('t', 'b:')].map(([k]) => k),
    utf8Order(keys.filter((k) => k.startsWith('b:'))),
  );
  t.deepEqual(
    [...q.scan('t', '')].map(([k]) => k),
    utf8Order(keys),
  );
  t.deepEqual([...q.scan('t', 'zz')], []);

  // A failed step (INVALID on its consumption) rolls its state changes back.
  const failing = new StepBuilder()
    .put('t', 'b:1', 'changed')
    .delete('t', 'c')
    .put('t', 'new', 1)
    .consume(777 as Lsn)
    .build();
  t.is(q.step(inc, failing), 'INVALID');
  t.deepEqual(q.get('t', 'b:1'), { k: 'b:1', n: 3 });
  t.not(q.get('t', 'c'), undefined);
  t.is(q.get('t', 'new'), undefined);

  t.is(q.step(inc, new StepBuilder().delete('t', 'c').delete('t', 'never-there').build()), 'SUCCESS');
  t.is(q.get('t', 'c'), undefined);

  // Scans longer than one internal chunk keep their order and see writes of the open version.
  const many = new StepBuilder();
  for (let i = 0; i < 700; i++) many.put('big', `k${String(i).padStart(4, '0')}`, i);
  t.is(q.step(inc, many.build()), 'SUCCESS');
  const seen = [...q.scan('big', 'k')].map(([, v]) => v);
  t.deepEqual(
    seen,
    Array.from({ length: 700 }, (_, i) => i),
  );
  t.is([...q.scan('big', 'k03')].length, 100);
});

test('enqueue deduplicates per producer, any number of producers, durably', (t) => {
  const path = join(tempDir(t), 'w.sqlite');
  const w = Worker.open({ path });
  const q = w.participant('q');
  for (let p = 0; p < 100; p++) {
    t.true(q.enqueue(`producer-${p}`, 0, [enc(`${p}:0`)]));
    t.true(q.enqueue(`producer-${p}`, 5, [enc(`${p}:5`)]));
  }
  t.false(q.enqueue('producer-7', 5, [enc('dup')]));
  t.false(q.enqueue('producer-7', 3, [enc('older')]));
  t.true(q.enqueue('producer-7', 6, []), 'an empty batch still advances the mark');
  t.false(q.enqueue('producer-7', 6, [enc('dup')]));
  t.is(q.lastSeq('producer-7'), 6);
  t.is(q.lastSeq('nobody'), -1);
  t.is(q.pendingInputs(0 as Lsn, 10_000).length, 200);
  t.regex(
    errorCode(() => q.enqueue('', 1, [])),
    /^DARQ_BAD_PRODUCER/,
  );
  t.regex(
    errorCode(() => q.enqueue('p', -1, [])),
    /^DARQ_BAD_SEQ/,
  );
  t.regex(
    errorCode(() => q.enqueue('p', 1.5, [])),
    /^DARQ_BAD_SEQ/,
  );
  t.regex(
    errorCode(() => q.enqueue('p', 1, ['text' as never])),
    /^DARQ_BAD_BODY/,
  );
  t.is(q.lastSeq('p'), -1, 'a refused enqueue does not advance the mark');
  const inc = q.registerProcessor();
  t.regex(
    errorCode(() =>
      q.step(
        inc,
        new StepBuilder()
          .self(enc('ok'))
          .send('x', 42 as never)
          .build(),
      ),
    ),
    /^DARQ_BAD_BODY/,
  );
  w.close();
  const again = Worker.open({ path });
  const q2 = again.participant('q');
  t.false(q2.enqueue('producer-42', 5, [enc('dup after reopen')]));
  t.true(q2.enqueue('producer-42', 6, [enc('42:6')]));
  t.is(q2.pendingInputs(0 as Lsn, 10_000).length, 201);
  again.close();
});

test('versions: steps go into the open version, commit makes them durable and is observed', (t) => {
  const path = join(tempDir(t), 'w.sqlite');
  const w = Worker.open({ path });
  const seen: Version[] = [];
  w.persisted$.subscribe((v) => seen.push(v));
  const q = w.participant('q');
  const v1 = w.commit();
  q.enqueue('p', 0, [enc('a')]);
  const v2 = w.commit();
  w.commit();
  q.enqueue('p', 1, [enc('b')]);
  t.deepEqual(seen, [v1, v2]);
  t.true(v2 > v1);
  t.is(w.version, (v2 + 1) as Version);
  w.close();
  t.deepEqual(seen, [v1, v2, (v2 + 1) as Version], 'close commits the open version');
  const again = Worker.open({ path });
  t.is(again.participant('q').pendingInputs().length, 2);
  again.close();
  t.regex(
    errorCode(() => w.commit()),
    /^DARQ_CLOSED/,
  );
});

test('onAppend fires synchronously for enqueues and local sends, not for OUT or STATE', (t) => {
  const w = openTemp(t);
  const a = w.participant('a');
  const b = w.participant('b');
  const seenA: Lsn[] = [];
  const seenB: Lsn[] = [];
  const offA = a.onAppend((lsn) => seenA.push(lsn));
  b.onAppend((lsn) => seenB.push(lsn));
  a.enqueue('p', 0, [enc('1'), enc('2')]);
  t.deepEqual(
    seenA,
    a.pendingInputs().map((m) => m.lsn),
  );
  const inc = a.registerProcessor();
  a.step(
    inc,
    new StepBuilder().send('b', enc('x')).send('far', enc('y')).state(enc('s')).self(enc('z')).build(),
  );
  t.deepEqual(
    seenB,
    b.pendingInputs().map((m) => m.lsn),
  );
  t.is(seenA.length, 3);
  offA();
  a.enqueue('p', 1, [enc('3')]);
  t.is(seenA.length, 3);
});

/** A processor that counts words durably and forwards each input to 'sink'. */
class Recorder implements DarqProcessor {
  caps: ProcessorCapabilities | undefined;
  log: string[] = [];
  restarts = 0;
  consume = true;
  onRestart(caps: ProcessorCapabilities): void {
    this.caps = caps;
    this.restarts++;
    this.log.push(`restart@${caps.incarnation}`);
  }
  process(m: DarqMessage): boolean {
    const text = dec(m.body);
    this.log.push(`${m.kind === EntryKind.STATE ? 'state' : 'in'}:${text}`);
    if (text === 'stop') return false;
    if (this.consume && m.kind === EntryKind.IN && this.caps !== undefined) {
      this.caps.step(new StepBuilder().consume(m.lsn).send('sink', m.body).build());
    }
    return true;
  }
}

test('the colocated client replays STATE, then unconsumed inputs in order, then the live tail', async (t) => {
  const w = openTemp(t);
  const q = w.participant('q');
  const sink = w.participant('sink');
  q.enqueue('p', 0, [enc('i1'), enc('i2'), enc('i3')]);
  const setup = q.registerProcessor();
  const [i1] = q.pendingInputs();
  if (i1 === undefined) return t.fail();
  q.step(setup, new StepBuilder().consume(i1.lsn).state(enc('s1')).build());
  q.step(setup, new StepBuilder().state(enc('s2')).build());
  q.step(setup, new StepBuilder().supersedeState().state(enc('s3')).build());
  w.commit();

  const p = new Recorder();
  const client = new ColocatedProcessorClient(q, p);
  client.start();
  t.true(client.incarnation > setup);
  t.deepEqual(p.log, [`restart@${client.incarnation}`, 'state:s3', 'in:i2', 'in:i3']);
  t.is(q.step(setup, new StepBuilder().self(enc('zombie')).build()), 'REINCARNATED');

  q.enqueue('p', 1, [enc('live1'), enc('live2')]);
  t.is(p.log.length, 4, 'live delivery happens on a microtask, not inside enqueue');
  await Promise.resolve();
  t.deepEqual(p.log.slice(4), ['in:live1', 'in:live2']);
  t.deepEqual(
    sink.pendingInputs().map((m) => dec(m.body)),
    ['i2', 'i3', 'live1', 'live2'],
  );
  t.is(q.pendingInputs().length, 0);

  // Someone else registers: the client notices its stale incarnation and restarts with a replay.
  p.consume = false;
  q.enqueue('p', 2, [enc('held')]);
  await Promise.resolve();
  const fencer = q.registerProcessor();
  q.enqueue('p', 3, [enc('after-fence')]);
  await Promise.resolve();
  t.true(client.incarnation > fencer);
  t.is(p.restarts, 2);
  t.deepEqual(p.log.slice(-4), [`restart@${client.incarnation}`, 'state:s3', 'in:held', 'in:after-fence']);

  // A step answered REINCARNATED makes the client restart as well.
  p.consume = true;
  q.registerProcessor();
  q.enqueue('p', 4, [enc('x')]);
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.is(p.restarts, 3);
  t.is(q.pendingInputs().length, 0);

  q.enqueue('p', 5, [enc('stop'), enc('never')]);
  await Promise.resolve();
  t.false(client.isRunning);
  t.is(p.log.at(-1), 'in:stop');
  client.stop();
});

test('live delivery from the append tail: in order, once, own bytes, and back to the log when it must', async (t) => {
  const w = openTemp(t);
  const q = w.participant('q');
  const seen: string[] = [];
  let caps: ProcessorCapabilities | undefined;
  let throwOn: string | undefined;
  const client = new ColocatedProcessorClient(q, {
    onRestart(c) {
      caps = c;
    },
    process(m) {
      const text = dec(m.body);
      seen.push(`${m.lsn}:${text}`);
      const step = new StepBuilder().consume(m.lsn);
      // Continuations sent to self during delivery arrive through the tail, after what is already queued.
      if (text.startsWith('hop')) {
        const n = Number(text.slice(3));
        if (n > 0) step.self(enc(`hop${n - 1}`));
      }
      t.is(caps?.step(step.build()), 'SUCCESS');
      if (text === throwOn) throw new Error('processor failure');
      return true;
    },
  });
  client.start();
  const buf = enc('abc');
  q.enqueue('p', 0, [buf, enc('hop3')]);
  buf.fill(120); // the appender reuses its buffer: the processor must still see what was appended
  await Promise.resolve();
  const texts = () => seen.map((s) => s.slice(s.indexOf(':') + 1));
  t.deepEqual(texts(), ['abc', 'hop3', 'hop2', 'hop1', 'hop0']);
  const lsns = seen.map((s) => Number(s.slice(0, s.indexOf(':'))));
  t.deepEqual(
    [...lsns].sort((a, b) => a - b),
    lsns,
    'LSN order',
  );

  // A processor that throws mid-batch: the rest of the batch is read back from the log, not lost.
  seen.length = 0;
  throwOn = 'b';
  q.enqueue('p', 1, [enc('a'), enc('b'), enc('c'), enc('d')]);
  t.throws(() => client.drain(), { message: 'processor failure' });
  throwOn = undefined;
  q.enqueue('p', 2, [enc('e')]);
  await Promise.resolve();
  t.deepEqual(texts(), ['a', 'b', 'c', 'd', 'e']);

  // A burst larger than the tail holds is read back from the log in batches, in order, once each.
  seen.length = 0;
  for (let i = 0; i < 3000; i++) q.enqueue('p', 3 + i, [enc(`m${i}`)]);
  while (seen.length < 3000) await new Promise<void>((resolve) => setImmediate(resolve));
  t.deepEqual(
    texts(),
    Array.from({ length: 3000 }, (_, i) => `m${i}`),
  );
  t.is(q.pendingInputs().length, 0);
  client.stop();
});

test('a loop that never leaves a gap between versions still gets its WAL checkpointed', async (t) => {
  const w = Worker.open({ path: join(tempDir(t), 'busy.sqlite'), walCheckpointMs: 1 });
  t.teardown(() => w.close());
  const q = w.participant('q');
  const checkpoint = w.checkpointWal.bind(w);
  let checkpoints = 0;
  w.checkpointWal = () => {
    const ran = checkpoint();
    if (ran) checkpoints++;
    return ran;
  };
  const body = new Uint8Array(64 * 1024).fill(3);
  let maxWal = 0;
  for (let i = 0; i < 400; i++) {
    // The version is open whenever the loop yields, and the next one opens in the same turn as each commit.
    q.enqueue('p', i, [body]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    w.commit();
    q.enqueue('p2', i, [body]);
    maxWal = Math.max(maxWal, statSync(`${w.path}-wal`).size);
  }
  t.true(checkpoints > 0, 'checkpointed between versions');
  // 400 iterations write 50 MiB; the forced checkpoint (every 2000 commits) alone would let the WAL hold it all.
  t.true(maxWal < 20 * 1024 * 1024, `WAL reached ${maxWal} bytes`);
});

/**
 * A processor loop that consumes its input, re-emits a continuation, keeps a counter in keyed state and
 * every 100 steps replaces its STATE snapshot; OUT entries to a remote peer are acknowledged as they go.
 * Returns the file size (pages in use) and live row counts at the half and at the end.
 */
function compactionRun(w: Worker, steps: number, lagCut: boolean) {
  const q = w.participant('loop');
  const inc = q.registerProcessor();
  q.enqueue('seed', 0, [enc('0')]);
  const body = new Uint8Array(2000).fill(7);
  let half = { rows: 0, bytes: 0 };
  for (let i = 1; i <= steps; i++) {
    const [m] = q.pendingInputs(0 as Lsn, 1);
    if (m === undefined) throw new Error(`step ${i}: no input`);
    const b = new StepBuilder().consume(m.lsn).self(body).put('s', 'n', i).send('remote', body);
    if (i % 100 === 0) b.supersedeState().state(enc(`snapshot ${i}`));
    if (q.step(inc, b.build()) !== 'SUCCESS') throw new Error(`step ${i} failed`);
    for (const out of q.pendingOutputs(0 as Lsn, 10)) q.acknowledge(out.lsn);
    if (i % 50 === 0) {
      const v = w.commit();
      if (lagCut && v > 3) w.markCommitted((v - 3) as Version);
    }
    if (i % 1000 === 0) w.checkpointWal();
    if (i === steps / 2) half = { rows: w.entryCount(), bytes: fileBytes() };
  }
  w.commit();
  w.checkpointWal();
  return {
    half,
    end: { rows: w.entryCount(), bytes: fileBytes(), walBytes: statSync(`${w.path}-wal`).size },
  };

  function fileBytes(): number {
    w.checkpointWal();
    return w.bytesInUse();
  }
}

for (const undo of [false, true]) {
  test(`compaction keeps the file bounded over a long run (undo=${undo})`, (t) => {
    const steps = process.env.DARQ_LONG === '1' ? 1_000_000 : 6_000;
    const w = Worker.open({ path: join(tempDir(t), 'compact.sqlite'), undo, walCheckpointMs: 0 });
    const { half, end } = compactionRun(w, steps, undo);
    // Live: one continuation, one STATE snapshot; with a lagging cut a few versions of consumed rows.
    t.true(end.rows <= (undo ? 3 * 50 * 3 + 10 : 3), `rows at end ${end.rows}`);
    t.true(end.bytes <= half.bytes * 1.1 + 64 * 1024, `bytes: ${half.bytes} at half, ${end.bytes} at end`);
    t.true(end.bytes < 2_000_000, `in-use bytes ${end.bytes} for ${steps} steps of 4 kB`);
    t.true(end.walBytes < 30_000_000, `WAL of ${end.walBytes} bytes: checkpoints must keep it bounded`);
    t.deepEqual(w.participant('loop').get('s', 'n'), steps);
    t.is(w.participant('loop').stateEntries().length, 1);
    w.close();
  });
}

test('rollback restores inputs a running processor had consumed and restarts it with a replay', async (t) => {
  const w = openTemp(t, { undo: true });
  const q = w.participant('q');
  w.participant('sink');
  q.enqueue('p', 0, [enc('a'), enc('b')]);
  const base = w.commit();
  w.markCommitted(base);
  const p = new Recorder();
  const client = new ColocatedProcessorClient(q, p);
  client.start();
  t.deepEqual(p.log.slice(1), ['in:a', 'in:b']);
  t.is(q.pendingInputs().length, 0);
  w.commit();
  const before = client.incarnation;
  w.rollbackTo(base);
  t.deepEqual(
    w
      .participant('sink')
      .pendingInputs()
      .map((m) => dec(m.body)),
    [],
    'the sends of the undone steps are gone',
  );
  await Promise.resolve();
  t.true(client.incarnation > before + 1, 'fenced by the rollback, then registered again');
  t.deepEqual(p.log.slice(-3), [`restart@${client.incarnation}`, 'in:a', 'in:b']);
  t.deepEqual(
    w
      .participant('sink')
      .pendingInputs()
      .map((m) => dec(m.body)),
    ['a', 'b'],
  );
  client.stop();

  t.regex(
    errorCode(() => w.rollbackTo((base - 1) as Version)),
    /^DARQ_BAD_ROLLBACK: .*cut/,
  );
  t.regex(
    errorCode(() => w.markCommitted((w.version + 5) as Version)),
    /^DARQ_COMMIT_AHEAD/,
  );
  const plain = openTemp(t);
  t.regex(
    errorCode(() => plain.rollbackTo(plain.persisted)),
    /^DARQ_NO_UNDO/,
  );
});

test('rollback removes participants and meta created after the target version', async (t) => {
  const path = join(tempDir(t), 'w.sqlite');
  const w = Worker.open({ path, undo: true });
  w.participant('a');
  w.setMeta('plan', 'one');
  const v = w.commit();
  const late = w.participant('late');
  const lateClient = new ColocatedProcessorClient(late, new Recorder());
  lateClient.start();
  late.enqueue('p', 0, [enc('x')]);
  w.setMeta('plan', 'two');
  w.commit();
  w.rollbackTo(v);
  await Promise.resolve();
  t.false(lateClient.isRunning, 'the client of a participant removed by the rollback stops');
  t.deepEqual(w.participantIds(), ['a']);
  t.is(w.getMeta('plan'), 'one');
  t.regex(
    errorCode(() => late.enqueue('p', 1, [])),
    /^DARQ_PARTICIPANT_DROPPED/,
  );
  t.is(late.step(late.incarnation, new StepBuilder().self(enc('z')).build()), 'REINCARNATED');
  const again = w.participant('late');
  t.is(again.pendingInputs().length, 0);
  t.true(again.registerProcessor() > 1, 'the incarnation of a re-created participant is not lowered');
  w.close();
  const reopened = Worker.open({ path, undo: true });
  t.deepEqual(reopened.participantIds().sort(), ['a', 'late']);
  t.is(reopened.getMeta('plan'), 'one');
  reopened.close();
});

test('reopening an undo file without undo treats every persisted version as committed', (t) => {
  const path = join(tempDir(t), 'w.sqlite');
  const w = Worker.open({ path, undo: true });
  const q = w.participant('q');
  q.enqueue('p', 0, [enc('a'), enc('b')]);
  const inc = q.registerProcessor();
  const [a] = q.pendingInputs();
  if (a === undefined) return t.fail();
  q.step(inc, new StepBuilder().consume(a.lsn).put('t', 'k', 1).build());
  w.commit();
  t.is(w.entryCount(), 2, 'with undo the consumed entry waits for the cut');
  w.close();
  const plain = Worker.open({ path });
  t.is(plain.entryCount(), 1);
  t.deepEqual(
    plain
      .participant('q')
      .pendingInputs()
      .map((m) => dec(m.body)),
    ['b'],
  );
  t.is(plain.participant('q').get('t', 'k'), 1);
  plain.close();
});

test('syncInBackground: commit returns at once, persisted$ follows the fsync, close makes all durable', async (t) => {
  const path = join(tempDir(t, true), 'bg.sqlite');
  const w = Worker.open({ path, persistence: 'machine', syncInBackground: true });
  const seen: Version[] = [];
  w.persisted$.subscribe((v) => seen.push(v));
  const q = w.participant('q');
  q.enqueue('p', 0, [enc('a')]);
  const v1 = w.commit();
  t.is(w.version, (v1 + 1) as Version, 'the next version opens at once');
  q.enqueue('p', 1, [enc('b')]);
  const v2 = w.commit();
  t.true(w.persisted < v2, 'not durable before the fsync completed');
  t.regex(
    errorCode(() => w.markCommitted(v2)),
    /^DARQ_COMMIT_AHEAD/,
  );
  await new Promise<void>((resolve) => {
    const sub = w.persisted$.subscribe((v) => {
      if (v >= v2) {
        sub.unsubscribe();
        resolve();
      }
    });
  });
  t.is(w.persisted, v2);
  t.deepEqual(seen.at(-1), v2);
  q.enqueue('p', 2, [enc('c')]);
  w.close();
  t.true((seen.at(-1) ?? 0) > v2, 'close commits and syncs the last version');
  const again = Worker.open({ path });
  t.deepEqual(
    again
      .participant('q')
      .pendingInputs()
      .map((m) => dec(m.body)),
    ['a', 'b', 'c'],
  );
  again.close();
});

test('persistDelayMs: versions are reported durable later, in order, and close reports the rest', async (t) => {
  const w = Worker.open({ path: join(tempDir(t), 'slow.sqlite'), persistDelayMs: 20 });
  const seen: Version[] = [];
  w.persisted$.subscribe((v) => seen.push(v));
  const q = w.participant('q');
  q.enqueue('p', 0, [enc('a')]);
  const v1 = w.commit();
  q.enqueue('p', 1, [enc('b')]);
  const v2 = w.commit();
  t.true(w.persisted < v1, 'not reported before the delay');
  t.deepEqual(seen, []);
  await new Promise<void>((resolve) => {
    const sub = w.persisted$.subscribe((v) => {
      if (v >= v2) {
        sub.unsubscribe();
        resolve();
      }
    });
  });
  t.deepEqual(seen, [v1, v2]);
  q.enqueue('p', 2, [enc('c')]);
  const v3 = w.commit();
  t.true(w.persisted < v3);
  w.close();
  t.deepEqual(seen, [v1, v2, v3], 'close reports what the delay still held back');
});
