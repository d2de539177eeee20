import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import test from 'ava';
import { Packr } from 'msgpackr';
import {
  DarqError,
  encodeFrame,
  type Frame,
  FrameReader,
  type Lsn,
  StepBuilder,
  TcpTransport,
  Worker,
} from '../src/index.ts';
import { tempDir } from './helpers.ts';

const packr = new Packr({ useRecords: false });
const SECRET = 'test-cluster-secret-0123456789';

/** A sender worker 'wA' whose participant 'src' has `n` committed OUT entries addressed to 'sink'. */
function senderWith(path: string, n: number, from = 0): Worker {
  const w = Worker.open({ path, workerId: 'wA' });
  const src = w.participant('src');
  const inc = src.registerProcessor();
  for (let i = from; i < from + n; i++) {
    if (src.step(inc, new StepBuilder().send('sink', packr.pack(i)).build()) !== 'SUCCESS')
      throw new Error('step');
    if (i % 100 === 99) w.commit();
  }
  w.commit();
  return w;
}

/** Resolves once `done()` holds, re-checking after every commit of `w` (no timers). */
function whenCommitted(w: Worker, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const sub = w.persisted$.subscribe(() => {
      if (done()) {
        sub.unsubscribe();
        resolve();
      }
    });
  });
}

const delivered = (w: Worker) =>
  w
    .participant('sink')
    .pendingInputs(0 as Lsn, 1_000_000)
    .map((m) => packr.unpack(m.body) as number);

test('OUT entries reach another worker exactly once, across dropped connections', async (t) => {
  const dir = tempDir(t);
  const n = 2000;
  const a = senderWith(join(dir, 'a.sqlite'), n);
  const b = Worker.open({ path: join(dir, 'b.sqlite'), workerId: 'wB' });
  const tb = await TcpTransport.listen({ worker: b, secret: SECRET });
  // Drop every connection after every 97th message the receiver sees: resends must be deduplicated.
  let batches = 0;
  b.participant('sink').onAppend(() => {
    if (++batches % 97 === 0) setImmediate(() => tb.dropConnections());
  });
  const ta = await TcpTransport.listen({
    worker: a,
    secret: SECRET,
    peers: { wB: { host: '127.0.0.1', port: tb.port } },
    locate: (p) => (p === 'sink' ? 'wB' : undefined),
    batchSize: 64,
  });
  await whenCommitted(a, () => a.participant('src').pendingOutputs().length === 0);
  t.deepEqual(
    delivered(b),
    Array.from({ length: n }, (_, i) => i),
  );
  t.true(ta.stats.connects > 1, `reconnected ${ta.stats.connects} times`);
  t.true(tb.stats.duplicatesDropped > 0, 'some batches were resent and deduplicated');
  t.is(a.entryCount(), 0, 'acknowledged OUT entries are gone from the sender file');
  t.is(b.participant('sink').lastSeq('wA/src') > 0, true);

  // More work later flows without any nudge: committed OUT entries wake the outbox.
  const src = a.participant('src');
  src.step(src.incarnation, new StepBuilder().send('sink', packr.pack(n)).build());
  a.commit();
  await whenCommitted(b, () => delivered(b).length === n + 1);
  t.is(delivered(b).at(-1), n);
  await ta.close();
  await tb.close();
  a.close();
  b.close();
});

test('unauthenticated or wrongly authenticated peers are refused before anything is read', async (t) => {
  const dir = tempDir(t);
  const b = Worker.open({ path: join(dir, 'b.sqlite'), workerId: 'wB' });
  const tb = await TcpTransport.listen({ worker: b, secret: SECRET });

  // 1. A raw client that skips authentication and sends a batch straight away.
  const frames = await rawSession(tb.port, () => [
    { t: 'batch', id: 1, msgs: [['intruder/x', 1, 'sink', new Uint8Array([1])]] },
  ]);
  t.deepEqual(frames, ['hello'], 'the server only said hello, then closed');
  // 2. A raw client with a made-up MAC.
  const frames2 = await rawSession(tb.port, () => [
    { t: 'auth', worker: 'mallory', nonce: new Uint8Array(32), mac: new Uint8Array(32) },
    { t: 'batch', id: 1, msgs: [['mallory/x', 1, 'sink', new Uint8Array([1])]] },
  ]);
  t.deepEqual(frames2, ['hello']);
  t.is(tb.stats.authFailures, 2);
  // 3. A client that connects and says nothing is closed after the authentication timeout.
  const c = Worker.open({ path: join(dir, 'c.sqlite'), workerId: 'wC' });
  const tc = await TcpTransport.listen({ worker: c, secret: SECRET, authTimeoutMs: 50 });
  t.deepEqual(await rawSession(tc.port, () => []), ['hello']);
  t.is(tc.stats.authFailures, 1);
  await tc.close();
  c.close();

  // 4. A real transport with the wrong secret delivers nothing.
  const a = senderWith(join(dir, 'a.sqlite'), 3);
  const ta = await TcpTransport.listen({
    worker: a,
    secret: 'another-secret-of-enough-length',
    peers: { wB: { host: '127.0.0.1', port: tb.port } },
    locate: () => 'wB',
    backoff: { minMs: 1, maxMs: 1 },
  });
  await new Promise<void>((resolve) => {
    const check = () => (tb.stats.authFailures >= 5 ? resolve() : setImmediate(check));
    check();
  });
  t.false(b.participantIds().includes('sink'), 'nothing was enqueued');
  t.is(a.participant('src').pendingOutputs().length, 3, 'the sender keeps its entries');
  t.is(ta.stats.connects, 0);
  await ta.close();

  const err = await TcpTransport.listen({ worker: b, secret: 'short' }).catch((e: unknown) => e);
  t.true(err instanceof DarqError && err.code === 'DARQ_WEAK_SECRET');
  await tb.close();
  a.close();
  b.close();
});

/** Connects, sends `frames` after the server's hello, and returns the types of frames received before close. */
function rawSession(port: number, frames: () => Frame[]): Promise<string[]> {
  return new Promise((resolve) => {
    const seen: string[] = [];
    const reader = new FrameReader(1 << 20);
    const s = connect({ host: '127.0.0.1', port });
    s.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        seen.push(f.t);
        if (f.t === 'hello') for (const out of frames()) s.write(encodeFrame(out));
      }
    });
    s.on('error', () => {});
    s.on('close', () => resolve(seen));
  });
}

const CHILD = join(import.meta.dirname, 'fixtures', 'receiver-child.ts');

function startReceiver(path: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, SECRET], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const [tag, port] = line.split(' ');
      if (tag === 'PORT') resolve({ child, port: Number(port) });
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`receiver exited: ${code} ${signal}`));
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('a receiver process killed with SIGKILL mid-stream still ends with every message exactly once', async (t) => {
  const dir = tempDir(t, true);
  const n = 3000;
  const kills = process.env.DARQ_LONG === '1' ? 20 : 3;
  t.timeout(10 * 60_000);
  const a = senderWith(join(dir, 'a.sqlite'), n);
  const bPath = join(dir, 'b.sqlite');
  let rx = await startReceiver(bPath);
  const ta = await TcpTransport.listen({
    worker: a,
    secret: SECRET,
    peers: { wB: { host: '127.0.0.1', port: rx.port } },
    locate: () => 'wB',
    batchSize: 50,
    backoff: { minMs: 1, maxMs: 20 },
  });
  const src = a.participant('src');
  for (let k = 1; k <= kills; k++) {
    // Kill once the sender has seen a further share of acknowledgements.
    await whenCommitted(a, () => ta.stats.messagesAcked >= (k * n) / (kills + 1));
    await kill(rx.child);
    rx = await startReceiver(bPath);
    ta.setPeer('wB', { host: '127.0.0.1', port: rx.port });
  }
  await whenCommitted(a, () => src.pendingOutputs().length === 0);
  await kill(rx.child);
  await ta.close();
  const b = Worker.open({ path: bPath });
  t.deepEqual(
    delivered(b),
    Array.from({ length: n }, (_, i) => i),
  );
  b.close();
  a.close();
});
