// Model-based property test: random enqueue / step / commit / crash / rollback / markCommitted sequences
// against a plain reference model, on the SQLite store and the in-memory store, with and without undo.
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import {
  type Darq,
  type Incarnation,
  type Lsn,
  MemoryLogStore,
  StepBuilder,
  type Version,
  Worker,
} from '../src/index.ts';
import { dec, enc, tempDir } from './helpers.ts';

interface MEntry {
  readonly body: string;
  readonly kind: 0 | 1 | 2;
  readonly dest: string | null;
  readonly owner: string;
}

interface MState {
  participants: string[];
  entries: MEntry[];
  kv: Map<string, number>;
  dedup: Map<string, number>;
  /** LSNs consumed in this state (consuming one again must be INVALID). */
  gone: number[];
}

const clone = (s: MState): MState => ({
  participants: [...s.participants],
  entries: [...s.entries],
  kv: new Map(s.kv),
  dedup: new Map(s.dedup),
  gone: [...s.gone],
});

const NAMES = ['a', 'b', 'c', 'far'];

type Op =
  | { op: 'enqueue'; p: number; producer: number; delta: number; n: number }
  | {
      op: 'step';
      p: number;
      picks: number[];
      bogus: number;
      stale: boolean;
      sends: number[];
      self: boolean;
      state: boolean;
      supersede: boolean;
      puts: Array<{ key: number; del: boolean; val: number }>;
    }
  | { op: 'commit' }
  | { op: 'crash' }
  | { op: 'rollback'; pick: number }
  | { op: 'markCommitted'; pick: number }
  | { op: 'register'; p: number }
  | { op: 'create' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('enqueue' as const),
      p: fc.nat(2),
      producer: fc.nat(2),
      delta: fc.integer({ min: -1, max: 2 }),
      n: fc.nat(2),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('step' as const),
      p: fc.nat(2),
      picks: fc.array(fc.nat(20), { minLength: 1, maxLength: 2 }),
      bogus: fc.nat(20),
      stale: fc.nat(9).map((n) => n === 0),
      sends: fc.array(fc.nat(3), { maxLength: 2 }),
      self: fc.boolean(),
      state: fc.boolean(),
      supersede: fc.boolean(),
      puts: fc.array(fc.record({ key: fc.nat(4), del: fc.boolean(), val: fc.nat(1000) }), { maxLength: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ op: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'crash' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rollback' as const), pick: fc.nat(10) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('markCommitted' as const), pick: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('register' as const), p: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'create' as const }) },
);

interface Backend {
  readonly undo: boolean;
  open(): Worker;
}

function sqliteBackend(dir: string, run: number, undo: boolean): Backend {
  const path = join(dir, `run-${run}.sqlite`);
  return { undo, open: () => Worker.open({ path, undo, walCheckpointMs: 0 }) };
}

function memoryBackend(undo: boolean): Backend {
  const store = new MemoryLogStore({ undo });
  return { undo, open: () => Worker.withStore(store, { walCheckpointMs: 0 }) };
}

/** Runs one op sequence against the backend and the model; throws on the first disagreement. */
function runScenario(backend: Backend, ops: readonly Op[]): void {
  let w = backend.open();
  const S0: MState = { participants: ['a', 'b'], entries: [], kv: new Map(), dedup: new Map(), gone: [] };
  w.participant('a');
  w.participant('b');
  const incs = new Map<string, number>();
  incs.set('a', w.participant('a').registerProcessor());
  incs.set('b', w.participant('b').registerProcessor());
  let S = clone(S0);
  let persisted: number = w.persisted;
  w.markCommitted(persisted as Version);
  let cut = persisted;
  let durableCut = cut;
  const snaps = new Map<number, MState>([[persisted, clone(S)]]);
  let bodySeq = 0;

  const commitModel = (v: number) => {
    if (v !== persisted) {
      persisted = v;
      snaps.set(v, clone(S));
      durableCut = cut;
      if (!backend.undo) cut = v;
    }
  };
  const darq = (name: string): Darq => w.participant(name);
  const lsnOf = (d: Darq, body: string): Lsn => {
    const all = [...d.pendingInputs(0 as Lsn, 100_000), ...d.stateEntries()];
    const m = all.find((x) => dec(x.body) === body);
    if (m === undefined) throw new Error(`entry ${body} missing in the system`);
    return m.lsn;
  };

  const check = (where: string) => {
    const ids = w.participantIds().sort();
    const expectIds = [...S.participants].sort();
    if (ids.join() !== expectIds.join()) throw new Error(`${where}: participants ${ids} != ${expectIds}`);
    if (w.version !== persisted + 1) throw new Error(`${where}: version ${w.version} != ${persisted + 1}`);
    let live = 0;
    for (const p of S.participants) {
      const d = darq(p);
      const mine = S.entries.filter((e) => e.owner === p);
      live += mine.length;
      const got = [
        ...d.pendingInputs(0 as Lsn, 100_000).map((m) => `IN:${dec(m.body)}`),
        ...d.stateEntries().map((m) => `STATE:${dec(m.body)}`),
        ...d.pendingOutputs(0 as Lsn, 100_000).map((m) => `OUT:${m.dest}:${dec(m.body)}`),
      ];
      const want = [
        ...mine.filter((e) => e.kind === 0).map((e) => `IN:${e.body}`),
        ...mine.filter((e) => e.kind === 2).map((e) => `STATE:${e.body}`),
        ...mine.filter((e) => e.kind === 1).map((e) => `OUT:${e.dest}:${e.body}`),
      ];
      if (got.join() !== want.join()) throw new Error(`${where}: ${p} entries\n got ${got}\nwant ${want}`);
      const kvGot = [...d.scan('t', '')].map(([k, v]) => `${k}=${v}`).join();
      const kvWant = [...S.kv]
        .filter(([k]) => k.startsWith(`${p}/`))
        .map(([k, v]) => [k.slice(p.length + 1), v] as const)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join();
      if (kvGot !== kvWant) throw new Error(`${where}: ${p} state ${kvGot} != ${kvWant}`);
      for (let prod = 0; prod < 3; prod++) {
        const want = S.dedup.get(`${p}/${prod}`) ?? -1;
        if (d.lastSeq(`prod${prod}`) !== want) throw new Error(`${where}: ${p} dedup prod${prod}`);
      }
      if (d.incarnation !== (incs.get(p) ?? 0))
        throw new Error(`${where}: ${p} incarnation ${d.incarnation}`);
    }
    const count = w.entryCount();
    if (!backend.undo && count !== live) throw new Error(`${where}: ${count} rows but ${live} live entries`);
    if (count < live) throw new Error(`${where}: ${count} rows < ${live} live entries`);
  };

  check('start');
  for (const [i, o] of ops.entries()) {
    const where = `op ${i} ${JSON.stringify(o)}`;
    switch (o.op) {
      case 'enqueue': {
        const p = S.participants[o.p % S.participants.length] as string;
        const key = `${p}/${o.producer}`;
        const last = S.dedup.get(key) ?? -1;
        const seq = Math.max(0, last + o.delta);
        const bodies = Array.from({ length: o.n }, () => `e${bodySeq++}`);
        const accepted = darq(p).enqueue(`prod${o.producer}`, seq, bodies.map(enc));
        if (accepted !== seq > last) throw new Error(`${where}: accepted=${accepted}, last=${last}`);
        if (accepted) {
          S.dedup.set(key, seq);
          for (const b of bodies) S.entries.push({ body: b, kind: 0, dest: null, owner: p });
        }
        break;
      }
      case 'step': {
        const p = S.participants[o.p % S.participants.length] as string;
        const d = darq(p);
        const inc = (incs.get(p) ?? 0) as Incarnation;
        const consumable = S.entries.filter((e) => e.owner === p && e.kind !== 1);
        const picked =
          consumable.length === 0 ? [] : o.picks.map((k) => consumable[k % consumable.length] as MEntry);
        const b = new StepBuilder();
        for (const e of picked) b.consume(lsnOf(d, e.body));
        let bogus = false;
        if (o.bogus === 0) {
          b.consume(1_000_000_000 as Lsn);
          bogus = true;
        } else if (o.bogus === 1 && S.gone.length > 0) {
          b.consume(S.gone[S.gone.length - 1] as Lsn);
          bogus = true;
        }
        if (o.supersede) b.supersedeState();
        for (const x of o.puts) {
          if (x.del) b.delete('t', `k${x.key}`);
          else b.put('t', `k${x.key}`, x.val);
        }
        const appends: MEntry[] = [];
        for (const s of o.sends) {
          const dest = NAMES[s] as string;
          const body = `m${bodySeq++}`;
          b.send(dest, enc(body));
          appends.push(
            S.participants.includes(dest)
              ? { body, kind: 0, dest: null, owner: dest }
              : { body, kind: 1, dest, owner: p },
          );
        }
        if (o.self) {
          const body = `s${bodySeq++}`;
          b.self(enc(body));
          appends.push({ body, kind: 0, dest: null, owner: p });
        }
        if (o.state) {
          const body = `x${bodySeq++}`;
          b.state(enc(body));
          appends.push({ body, kind: 2, dest: null, owner: p });
        }
        const req = b.build();
        const lsns = req.consumed.slice();
        const status = d.step(o.stale ? ((inc - 1) as Incarnation) : inc, req);
        const empty =
          req.consumed.length === 0 && req.appends.length === 0 && req.writes.length === 0 && !o.supersede;
        const dupPick = new Set(picked).size !== picked.length;
        const expected = o.stale ? 'REINCARNATED' : empty || bogus || dupPick ? 'INVALID' : 'SUCCESS';
        if (status !== expected) throw new Error(`${where}: status ${status}, expected ${expected}`);
        if (status === 'SUCCESS') {
          const drop = new Set<MEntry>(picked);
          if (o.supersede) for (const e of S.entries) if (e.owner === p && e.kind === 2) drop.add(e);
          S.entries = S.entries.filter((e) => !drop.has(e));
          for (const x of o.puts) {
            if (x.del) S.kv.delete(`${p}/k${x.key}`);
            else S.kv.set(`${p}/k${x.key}`, x.val);
          }
          S.entries.push(...appends);
          S.gone.push(...lsns);
        }
        break;
      }
      case 'commit':
        commitModel(w.commit());
        break;
      case 'crash': {
        w.abandon();
        w = backend.open();
        S = clone(snaps.get(persisted) as MState);
        cut = backend.undo ? durableCut : persisted;
        break;
      }
      case 'rollback': {
        if (!backend.undo) break;
        const span = persisted + 1 - cut + 1;
        const v = cut + (o.pick % span);
        const before = w.participantIds();
        w.rollbackTo(v as Version);
        if (v <= persisted) S = clone(snaps.get(v) as MState);
        for (let k = v + 1; k <= persisted; k++) snaps.set(k, clone(S));
        for (const p of before) incs.set(p, (incs.get(p) ?? 0) + 1);
        commitModel(w.persisted);
        break;
      }
      case 'markCommitted': {
        const span = persisted - cut + 1;
        const v = cut + (o.pick % span);
        w.markCommitted(v as Version);
        if (backend.undo) cut = Math.max(cut, v);
        break;
      }
      case 'register': {
        const p = S.participants[o.p % S.participants.length] as string;
        incs.set(p, darq(p).registerProcessor());
        commitModel(w.persisted);
        break;
      }
      case 'create': {
        if (!S.participants.includes('c')) {
          w.participant('c');
          S.participants.push('c');
        }
        break;
      }
    }
    check(where);
  }
  w.close();
}

const RUNS = process.env.DARQ_LONG === '1' ? 1000 : 40;
const opsArb = fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' });

for (const undo of [true, false]) {
  test(`model: SQLite store, undo=${undo}`, (t) => {
    const dir = tempDir(t);
    let run = 0;
    const out = fc.check(
      fc.property(opsArb, (ops) => {
        runScenario(sqliteBackend(dir, run++, undo), ops);
      }),
      { numRuns: RUNS, seed: undo ? 1 : 2 },
    );
    t.false(out.failed, `${fc.defaultReportMessage(out)}\n${String(out.errorInstance)}`);
  });

  test(`model: in-memory store, undo=${undo}`, (t) => {
    const out = fc.check(
      fc.property(opsArb, (ops) => {
        runScenario(memoryBackend(undo), ops);
      }),
      { numRuns: RUNS * 3, seed: undo ? 3 : 4 },
    );
    t.false(out.failed, `${fc.defaultReportMessage(out)}\n${String(out.errorInstance)}`);
  });
}
