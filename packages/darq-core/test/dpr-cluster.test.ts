import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  DprClient,
  Finder,
  type Incarnation,
  type Lsn,
  type RecoveryRecord,
  StepBuilder,
  TcpTransport,
  Worker,
} from '../src/index.ts';
import { tempDir } from './helpers.ts';

const packr = new Packr({ useRecords: false });
const SECRET = 'dpr-test-cluster-secret-0123456789';

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One worker "process": its file, its DPR client and its transport, restartable in place. */
class Node {
  worker!: Worker;
  client!: DprClient;
  transport!: TcpTransport;
  recovered = 0;
  rolledBackTo: number[] = [];

  constructor(
    readonly id: string,
    readonly path: string,
    readonly finderPort: () => number,
    readonly locate: (dest: string) => string | undefined,
    readonly autoCommit: boolean,
    private port = 0,
  ) {}

  async start(peers: Record<string, { host: string; port: number }>): Promise<void> {
    this.worker = Worker.open({ path: this.path, workerId: this.id, undo: true });
    this.client = new DprClient({
      worker: this.worker,
      finder: { host: '127.0.0.1', port: this.finderPort() },
      secret: SECRET,
      host: {
        freeze: () => this.worker.commit(),
        recover: (_wl, to) => {
          if (to !== undefined) {
            this.worker.rollbackTo(to as never);
            this.rolledBackTo.push(to);
          }
          this.transport.reset();
          this.client.resumed();
          this.recovered++;
          this.transport.flush();
        },
      },
    });
    this.transport = await TcpTransport.listen({
      worker: this.worker,
      secret: SECRET,
      port: this.port,
      peers,
      locate: this.locate,
      dpr: this.client,
      autoCommit: this.autoCommit,
    });
    this.port = this.transport.port;
  }

  /** As a SIGKILL leaves it: the open version is lost, connections drop. */
  async kill(): Promise<void> {
    this.client.close();
    await this.transport.close();
    this.worker.abandon();
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.transport.close();
    this.worker.close();
  }
}

/** Producer step on worker A: sends the next number to 'sink' (on B) and remembers it durably. */
function produce(w: Worker, inc: Incarnation): number {
  const src = w.participant('src');
  const next = (src.get('s', 'next') as number | undefined) ?? 0;
  const st = src.step(
    inc,
    new StepBuilder()
      .put('s', 'next', next + 1)
      .send('sink', packr.pack(next))
      .build(),
  );
  if (st !== 'SUCCESS') throw new Error(`step ${st}`);
  return next + 1;
}

test('a failed worker rolls back exactly the workers that read its lost versions; others keep running', async (t) => {
  const dir = tempDir(t);
  const records: RecoveryRecord[] = [];
  const finder = await Finder.listen({
    statePath: join(dir, 'finder.json'),
    secret: SECRET,
    members: ['A', 'B', 'C'],
    onRecovery: (r) => records.push(r),
  });
  const locate = (d: string) => (d === 'sink' ? 'B' : undefined);
  const a = new Node('A', join(dir, 'a.sqlite'), () => finder.port, locate, false);
  const b = new Node('B', join(dir, 'b.sqlite'), () => finder.port, locate, true);
  const c = new Node('C', join(dir, 'c.sqlite'), () => finder.port, locate, true);
  await b.start({});
  await c.start({});
  await a.start({ B: { host: '127.0.0.1', port: b.transport.port } });
  // The first round moves every fresh worker into world-line 1.
  await waitFor('first world-line', () => a.recovered === 1 && b.recovered === 1 && c.recovered === 1);
  t.is(finder.worldLine, 1);

  // C works on its own, committing as it goes.
  const cq = c.worker.participant('local');
  const cInc = cq.registerProcessor();
  for (let i = 0; i < 20; i++) {
    cq.step(cInc, new StepBuilder().put('s', `k${i}`, i).build());
    c.worker.commit();
  }

  // A: 30 numbers committed, 10 more speculative (its open version), all taken in and committed by B.
  let inc = a.worker.participant('src').registerProcessor();
  for (let i = 0; i < 30; i++) {
    produce(a.worker, inc);
    if (i % 10 === 9) a.worker.commit();
  }
  const sinkCount = () => b.worker.participant('sink').pendingInputs(0 as Lsn, 10_000).length;
  await waitFor('B to take in the first 30', () => sinkCount() === 30 && !b.worker.hasOpenChanges);
  for (let i = 0; i < 10; i++) produce(a.worker, inc);
  await waitFor('B to take in all 40', () => sinkCount() === 40);
  await waitFor('B to persist them', () => !b.worker.hasOpenChanges);
  t.true(b.worker.cut < b.worker.persisted, 'B cannot commit what depends on A’s open version');
  const cPersisted = c.worker.persisted;
  const cRollbacks = c.rolledBackTo.length;
  const aPersisted = a.worker.persisted;

  // Kill A; its open version (numbers 30..39) is lost.
  await a.kill();
  await a.start({ B: { host: '127.0.0.1', port: b.transport.port } });
  await waitFor('recovery', () => records.length === 2);
  const r = records[1] as RecoveryRecord;
  t.is(r.failed.get('A'), aPersisted);
  t.true(r.rolledBack.has('B'), 'B read lost versions of A: it rolls back');
  t.deepEqual(r.untouched, ['C'], 'C read nothing of A: it keeps running without a rollback');
  await waitFor('C to move to the new world-line', () => c.recovered === 2);
  t.is(c.rolledBackTo.length, cRollbacks);
  t.true(c.worker.persisted >= cPersisted);
  t.is(sinkCount(), 30, 'B kept exactly what A still has');

  // A resumes from its durable state and finishes; B ends with every number exactly once, committed.
  inc = a.worker.participant('src').registerProcessor();
  let next = (a.worker.participant('src').get('s', 'next') as number) ?? 0;
  t.is(next, 30);
  while (next < 50) next = produce(a.worker, inc);
  a.worker.commit();
  await waitFor('B to commit all 50', () => {
    const msgs = b.worker.participant('sink').pendingInputs(0 as Lsn, 10_000);
    return msgs.length === 50 && msgs.every((m) => m.version <= b.worker.cut);
  });
  const got = b.worker
    .participant('sink')
    .pendingInputs(0 as Lsn, 10_000)
    .map((m) => packr.unpack(m.body) as number);
  t.deepEqual(
    got,
    Array.from({ length: 50 }, (_, i) => i),
  );
  await waitFor('A’s outbox to drain', () => a.worker.participant('src').pendingOutputs().length === 0);

  await a.stop();
  await b.stop();
  await c.stop();
  await finder.close();
});

test('the finder restarts from its file and the workers’ reports; the cut moves on', async (t) => {
  const dir = tempDir(t);
  const statePath = join(dir, 'finder.json');
  let finder = await Finder.listen({ statePath, secret: SECRET, members: ['A', 'B'] });
  const port = finder.port;
  const locate = (d: string) => (d === 'sink' ? 'B' : undefined);
  const a = new Node('A', join(dir, 'a.sqlite'), () => port, locate, false);
  const b = new Node('B', join(dir, 'b.sqlite'), () => port, locate, true);
  await b.start({});
  await a.start({ B: { host: '127.0.0.1', port: b.transport.port } });
  await waitFor('world-line 1', () => a.recovered === 1 && b.recovered === 1);
  const inc = a.worker.participant('src').registerProcessor();
  for (let i = 0; i < 10; i++) produce(a.worker, inc);
  a.worker.commit();
  await waitFor('cut to cover the first 10', () => b.worker.cut > 0 && b.worker.cut >= b.worker.persisted);

  await finder.close();
  for (let i = 0; i < 10; i++) produce(a.worker, inc);
  a.worker.commit();
  await waitFor(
    'B to take in 20',
    () => b.worker.participant('sink').pendingInputs(0 as Lsn, 100).length === 20,
  );
  const stalled = b.worker.cut;
  finder = await Finder.listen({ statePath, secret: SECRET, port });
  await waitFor(
    'cut to move after the restart',
    () => b.worker.cut > stalled && b.worker.cut >= b.worker.persisted,
  );
  t.is(finder.worldLine, 1, 'no failure happened: same world-line');
  t.is(
    a.rolledBackTo.length + b.rolledBackTo.length,
    2,
    'only the initial round rolled anything (to itself)',
  );
  await a.stop();
  await b.stop();
  await finder.close();
});

test('an unauthenticated finder connection is refused', async (t) => {
  const dir = tempDir(t);
  const finder = await Finder.listen({ statePath: join(dir, 'f.json'), secret: SECRET, members: ['A'] });
  const w = Worker.open({ path: join(dir, 'a.sqlite'), workerId: 'A', undo: true });
  let recovered = false;
  const client = new DprClient({
    worker: w,
    finder: { host: '127.0.0.1', port: finder.port },
    secret: 'the-wrong-secret-0123456789',
    host: { freeze: () => w.commit(), recover: () => void (recovered = true) },
  });
  await new Promise((r) => setTimeout(r, 300));
  t.false(recovered);
  t.is(finder.worldLine, 0);
  client.close();
  w.close();
  await finder.close();
});

test('versions that ride on one background fsync are each reported with their dependencies', async (t) => {
  const dir = tempDir(t, true);
  const finder = await Finder.listen({ statePath: join(dir, 'f.json'), secret: SECRET, members: ['A', 'B'] });
  const open = (id: string, opts: { persistence?: 'machine'; syncInBackground?: boolean }) => {
    const worker = Worker.open({ path: join(dir, `${id}.sqlite`), workerId: id, undo: true, ...opts });
    const client: DprClient = new DprClient({
      worker,
      finder: { host: '127.0.0.1', port: finder.port },
      secret: SECRET,
      host: {
        freeze: () => worker.commit(),
        recover: (_wl, to) => {
          if (to !== undefined) worker.rollbackTo(to as never);
          client.resumed();
        },
      },
    });
    return { worker, client };
  };
  const a = open('A', { persistence: 'machine', syncInBackground: true });
  const b = open('B', {});
  await waitFor('world-line 1', () => a.client.running && b.client.running);
  const q = a.worker.participant('q');
  q.enqueue('p', 0, [packr.pack(0)]);
  a.worker.commit(); // its fsync is now in flight: the next two versions ride on the following one
  a.client.dependOn('B', 1000); // B never gets there
  q.enqueue('p', 1, [packr.pack(1)]);
  const dependent = a.worker.commit();
  q.enqueue('p', 2, [packr.pack(2)]);
  const last = a.worker.commit();
  t.is(Number(dependent), 1000);
  await waitFor(
    'the finder to hear of the last version',
    () => finder.graph.workers.get('A')?.persisted === last,
  );
  t.true(
    (finder.graph.workers.get('A')?.cut ?? 0) < dependent,
    'A’s cut stays below the version that read from B’s uncommitted version 1000',
  );
  a.client.close();
  b.client.close();
  a.worker.close();
  b.worker.close();
  await finder.close();
});

test('a corrupt finder state file or a short secret is refused with a clear error, and the file is kept', async (t) => {
  const dir = tempDir(t);
  const statePath = join(dir, 'finder.json');
  writeFileSync(statePath, '{"not": "a finder file"');
  const err = await t.throwsAsync(Finder.listen({ statePath, secret: SECRET, members: ['A'] }));
  t.is((err as { code?: string }).code, 'DARQ_CORRUPT_FILE');
  t.true(err?.message.includes(statePath));
  t.is(readFileSync(statePath, 'utf8'), '{"not": "a finder file"', 'never silently replaced');
  const weak = await t.throwsAsync(
    Finder.listen({ statePath: join(dir, 'f2.json'), secret: 'short', members: [] }),
  );
  t.is((weak as { code?: string }).code, 'DARQ_WEAK_SECRET');
  t.regex(weak?.message ?? '', /at least 16 bytes/);
});

// ── The commit-ordering rule ─────────────────────────────────────────────────────────────────────────────

type Side = 'A' | 'B';
type Op =
  /** `times` local versions on one worker, each with a change, committed one by one. */
  | { readonly kind: 'commit'; readonly who: Side; readonly times: number }
  /** `count` messages to the other worker, sent speculatively; the sender commits after them or not. */
  | { readonly kind: 'send'; readonly from: Side; readonly count: number; readonly commit: boolean };

interface Delivery {
  readonly from: Side;
  readonly n: number;
  readonly sentIn: number;
  /** The receiver's open version when the message was sent. */
  readonly receiverWas: number;
  readonly takenIn: number;
}

interface OrderingRun {
  readonly deliveries: Delivery[];
  /** Every violation of the rule or of the monotonic versions, as a sentence. */
  readonly violations: string[];
}

/**
 * Runs `ops` on a fresh cluster where A and B send to each other speculatively (each message carries the
 * version it was sent in), then commits both and waits for the cut to cover everything. Checks on every
 * message that the receiver took it in within a version numbered at least the sender's, and that each
 * worker's versions only grew: IN entries in LSN order, persisted versions, the versions commit returned.
 */
async function runOrdering(dir: string, ops: readonly Op[]): Promise<OrderingRun> {
  const finder = await Finder.listen({ statePath: join(dir, 'f.json'), secret: SECRET, members: ['A', 'B'] });
  const inbox = (s: Side) => `in${s}`;
  const locate = (d: string) => (d === 'inA' ? 'A' : d === 'inB' ? 'B' : undefined);
  const nodes: Record<Side, Node> = {
    A: new Node('A', join(dir, 'a.sqlite'), () => finder.port, locate, false),
    B: new Node('B', join(dir, 'b.sqlite'), () => finder.port, locate, false),
  };
  const violations: string[] = [];
  const deliveries: Delivery[] = [];
  try {
    await nodes.B.start({});
    await nodes.A.start({ B: { host: '127.0.0.1', port: nodes.B.transport.port } });
    nodes.B.transport.setPeer('A', { host: '127.0.0.1', port: nodes.A.transport.port });
    await waitFor('world-line 1', () => nodes.A.recovered === 1 && nodes.B.recovered === 1);

    const other = (s: Side): Side => (s === 'A' ? 'B' : 'A');
    const incs = {} as Record<Side, Incarnation>;
    const sent: Record<Side, Map<number, { sentIn: number; receiverWas: number }>> = {
      A: new Map(),
      B: new Map(),
    };
    const versions: Record<Side, number[]> = { A: [], B: [] };
    const note = (s: Side, v: number, what: string) => {
      const seen = versions[s];
      const last = seen[seen.length - 1];
      if (last !== undefined && v <= last) violations.push(`${s}: ${what} ${v} after ${last}`);
      seen.push(v);
    };
    const persisted: Record<Side, number[]> = { A: [], B: [] };
    for (const s of ['A', 'B'] as const) {
      const w = nodes[s].worker;
      incs[s] = w.participant('out').registerProcessor();
      w.participant(inbox(s));
      w.commit();
      nodes[s].worker.persisted$.subscribe((v) => persisted[s].push(v));
    }
    const commit = (s: Side) => {
      const w = nodes[s].worker;
      if (w.hasOpenChanges) note(s, w.commit(), 'committed version');
    };
    let next = 0;
    for (const op of ops) {
      if (op.kind === 'commit') {
        const w = nodes[op.who].worker;
        for (let i = 0; i < op.times; i++) {
          w.setMeta('test.tick', String(i));
          commit(op.who);
        }
        continue;
      }
      const from = nodes[op.from].worker;
      const to = other(op.from);
      const receiver = nodes[to].worker;
      for (let i = 0; i < op.count; i++) {
        const n = next++;
        const sentIn = from.version;
        const st = from.participant('out').step(
          incs[op.from],
          new StepBuilder()
            .put('s', 'n', n)
            .send(inbox(to), packr.pack([n, sentIn]))
            .build(),
        );
        if (st !== 'SUCCESS') throw new Error(`step ${st}`);
        sent[op.from].set(n, { sentIn, receiverWas: receiver.version });
      }
      if (op.commit) commit(op.from);
      const expected = sent[op.from].size;
      await waitFor(
        `${to} to take in ${expected} messages from ${op.from}`,
        () => receiver.participant(inbox(to)).pendingInputs(0 as Lsn, 100_000).length === expected,
      );
    }
    commit('A');
    commit('B');
    const wa = nodes.A.worker;
    const wb = nodes.B.worker;
    await waitFor('every version to commit', () => wa.cut >= wa.persisted && wb.cut >= wb.persisted);

    for (const s of ['A', 'B'] as const) {
      const from = other(s);
      let lastVersion = 0;
      for (const m of nodes[s].worker.participant(inbox(s)).pendingInputs(0 as Lsn, 100_000)) {
        const [n, sentIn] = packr.unpack(m.body) as [number, number];
        const at = sent[from].get(n);
        if (at === undefined || at.sentIn !== sentIn) violations.push(`${s}: message ${n} unknown`);
        else deliveries.push({ from, n, sentIn, receiverWas: at.receiverWas, takenIn: m.version });
        if (m.version < sentIn) {
          violations.push(
            `${s} took in message ${n} (sent in ${from}'s version ${sentIn}) in its version ${m.version}`,
          );
        }
        if (m.version < lastVersion)
          violations.push(`${s}: message ${n} in version ${m.version} after ${lastVersion}`);
        lastVersion = m.version;
      }
      const p = persisted[s];
      for (let i = 1; i < p.length; i++) {
        if ((p[i] as number) <= (p[i - 1] as number))
          violations.push(`${s}: persisted ${p[i]} after ${p[i - 1]}`);
      }
    }
    const total = sent.A.size + sent.B.size;
    if (deliveries.length !== total) violations.push(`${deliveries.length} of ${total} messages arrived`);
  } finally {
    await nodes.A.stop();
    await nodes.B.stop();
    await finder.close();
  }
  return { deliveries, violations };
}

test('commit ordering: a worker takes in a message only in a version numbered at least the sender’s, both ways', async (t) => {
  const { deliveries, violations } = await runOrdering(tempDir(t), [
    { kind: 'commit', who: 'A', times: 25 },
    { kind: 'send', from: 'A', count: 3, commit: false },
    { kind: 'commit', who: 'B', times: 2 },
    { kind: 'send', from: 'A', count: 2, commit: true },
    { kind: 'commit', who: 'B', times: 40 },
    { kind: 'send', from: 'B', count: 3, commit: false },
    { kind: 'commit', who: 'A', times: 5 },
    { kind: 'send', from: 'B', count: 2, commit: true },
    { kind: 'send', from: 'A', count: 2, commit: false },
  ]);
  t.deepEqual(violations, []);
  t.is(deliveries.length, 12);
  // The scenario exercises the rule: the receiver was far behind the sender, in each direction.
  for (const from of ['A', 'B'] as const) {
    t.true(
      deliveries.some((d) => d.from === from && d.sentIn > d.receiverWas + 10 && d.takenIn >= d.sentIn),
      `a message from ${from} moved its receiver forward`,
    );
  }
});

test('commit ordering holds over random interleavings of local commits and sends', async (t) => {
  const dir = tempDir(t);
  let run = 0;
  const side = fc.constantFrom<Side>('A', 'B');
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('commit' as const), who: side, times: fc.integer({ min: 1, max: 30 }) }),
    fc.record({
      kind: fc.constant('send' as const),
      from: side,
      count: fc.integer({ min: 1, max: 3 }),
      commit: fc.boolean(),
    }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
      const { violations } = await runOrdering(join(dir, `run${run++}`), ops);
      if (violations.length > 0) throw new Error(violations.join('; '));
    }),
    { numRuns: 8 },
  );
  t.pass();
});

// ── Durable membership ───────────────────────────────────────────────────────────────────────────────────

const membersIn = (statePath: string): string[] =>
  [...(JSON.parse(readFileSync(statePath, 'utf8')) as { members: string[] }).members].sort();

test('a worker that joined by connecting stays a member across a finder restart: recovery waits for it', async (t) => {
  const dir = tempDir(t);
  const statePath = join(dir, 'finder.json');
  let finder = await Finder.listen({ statePath, secret: SECRET, members: ['A', 'B'] });
  const port = finder.port;
  const locate = (d: string) => (d === 'sink' ? 'C' : undefined);
  const a = new Node('A', join(dir, 'a.sqlite'), () => port, locate, false);
  const b = new Node('B', join(dir, 'b.sqlite'), () => port, locate, true);
  const c = new Node('C', join(dir, 'c.sqlite'), () => port, locate, true);
  t.teardown(async () => {
    for (const n of [a, b, c]) await n.stop().catch(() => {});
    await finder.close();
  });
  await b.start({});
  await c.start({});
  const toC = { C: { host: '127.0.0.1', port: c.transport.port } };
  await a.start(toC);
  await waitFor('world-line 1', () => a.recovered === 1 && b.recovered === 1 && c.recovered === 1);
  t.deepEqual(membersIn(statePath), ['A', 'B', 'C'], 'C joined by connecting');

  // C reads from A and its versions commit: the cut moves with C in it.
  const sink = () => c.worker.participant('sink').pendingInputs(0 as Lsn, 100);
  let inc = a.worker.participant('src').registerProcessor();
  for (let i = 0; i < 10; i++) produce(a.worker, inc);
  a.worker.commit();
  await waitFor(
    'C’s cut to cover the first 10',
    () => sink().length === 10 && c.worker.cut > 0 && c.worker.cut >= c.worker.persisted,
  );
  // 10 more in A's open version: C persists them but cannot commit them.
  for (let i = 0; i < 10; i++) produce(a.worker, inc);
  await waitFor('C to persist all 20', () => sink().length === 20 && !c.worker.hasOpenChanges);
  t.true(c.worker.cut < c.worker.persisted);

  // The finder dies; C stops while it is away; A dies and loses its open version, which C read from.
  await finder.close();
  await c.stop();
  const aPersisted = a.worker.persisted;
  await a.kill();
  const records: RecoveryRecord[] = [];
  finder = await Finder.listen({
    statePath,
    secret: SECRET,
    members: ['A', 'B'],
    port,
    onRecovery: (r) => records.push(r),
  });

  // A's restart opens a recovery round; B answers it. Without C the round must not finish: C read A's lost
  // version and has to roll back. (The round's own bookkeeping is the only place that tells both answered.)
  await a.start(toC);
  const finderRound = () =>
    (finder as unknown as { round?: { answered: ReadonlySet<string> } }).round?.answered ?? new Set<string>();
  await waitFor(
    'A and B to answer the recovery round',
    () => records.length > 0 || (finderRound().has('A') && finderRound().has('B')),
  );
  t.is(records.length, 0, 'the round waits for C, which joined before the restart');
  t.false(b.client.running);
  t.true(finder.graph.workers.has('C'), 'the restarted finder counts C before C reports');

  await c.start({});
  await waitFor('the recovery round to finish', () => records.length === 1);
  const r = records[0] as RecoveryRecord;
  t.is(r.failed.get('A'), aPersisted);
  t.true(r.failed.has('C'));
  t.true(r.rolledBack.has('C'), 'C read A’s lost version: it rolls back');
  t.deepEqual(r.untouched, ['B']);
  await waitFor('C to run again', () => c.client.running);
  t.is(sink().length, 10, 'C kept exactly what A still has');

  // A goes on from its durable state; C ends with every number once, committed.
  inc = a.worker.participant('src').registerProcessor();
  let next = a.worker.participant('src').get('s', 'next') as number;
  t.is(next, 10);
  while (next < 20) next = produce(a.worker, inc);
  a.worker.commit();
  await waitFor('C to commit all 20', () => {
    const msgs = sink();
    return msgs.length === 20 && msgs.every((m) => m.version <= c.worker.cut);
  });
  t.deepEqual(
    sink().map((m) => packr.unpack(m.body) as number),
    Array.from({ length: 20 }, (_, i) => i),
  );
  t.deepEqual(membersIn(statePath), ['A', 'B', 'C'], 'the state file still names C');
});
