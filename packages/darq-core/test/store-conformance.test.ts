// One conformance suite for the LogStore interface, run against the SQLite and the in-memory store.
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { EntryKind, type LogStore, MemoryLogStore, SqliteLogStore } from '../src/index.ts';
import { dec, enc, tempDir } from './helpers.ts';

interface Backend {
  readonly name: string;
  /** A fresh store and a function that "reopens" it (after close or abandon). */
  make(t: ExecutionContext, undo: boolean): { store: LogStore; reopen(): LogStore };
}

const sqlite: Backend = {
  name: 'sqlite',
  make(t, undo) {
    const path = join(tempDir(t), 'store.sqlite');
    const open = () => new SqliteLogStore({ path, undo, persistence: 'process' });
    const store = open();
    t.teardown(() => store.close());
    return { store, reopen: open };
  },
};

const memory: Backend = {
  name: 'memory',
  make(_t, undo) {
    const store = new MemoryLogStore({ undo });
    return { store, reopen: () => store };
  },
};

const bodies = (rows: ReturnType<LogStore['live']>) => rows.map((r) => dec(r.body));

const conformance = test.macro({
  exec(
    t,
    backend: Backend,
    undo: boolean,
    body: (t: ExecutionContext, s: LogStore, reopen: () => LogStore) => void,
  ) {
    const { store, reopen } = backend.make(t, undo);
    body(t, store, reopen);
  },
  title: (title = '', backend: Backend, undo: boolean) => `${backend.name} (undo=${undo}): ${title}`,
});

for (const backend of [sqlite, memory]) {
  for (const undo of [false, true]) {
    test(
      'live entries come back per participant and kind, in LSN order, after a cursor',
      conformance,
      backend,
      undo,
      (t, s) => {
        s.begin();
        s.append(1, 1, EntryKind.IN, null, enc('a'), 1);
        s.append(2, 2, EntryKind.IN, null, enc('other'), 1);
        s.append(3, 1, EntryKind.STATE, null, enc('st'), 1);
        s.append(4, 1, EntryKind.OUT, 'far', enc('o'), 1);
        s.append(5, 1, EntryKind.IN, null, enc('b'), 1);
        s.commit();
        t.deepEqual(bodies(s.live(1, EntryKind.IN, 0, 10)), ['a', 'b']);
        t.deepEqual(bodies(s.live(1, EntryKind.IN, 1, 10)), ['b']);
        t.deepEqual(bodies(s.live(1, EntryKind.IN, 0, 1)), ['a']);
        t.deepEqual(bodies(s.live(1, EntryKind.STATE, 0, 10)), ['st']);
        t.deepEqual(
          s.live(1, EntryKind.OUT, 0, 10).map((r) => [r.lsn, r.dest, r.version]),
          [[4, 'far', 1]],
        );
        t.deepEqual(bodies(s.live(2, EntryKind.IN, 0, 10)), ['other']);
        t.is(s.maxLsn(), 5);
        t.is(s.entryCount(), 5);
      },
    );

    test(
      'consume, acknowledge and consumeStates accept each entry once and only of its kind',
      conformance,
      backend,
      undo,
      (t, s) => {
        s.begin();
        s.append(1, 1, EntryKind.IN, null, enc('i'), 1);
        s.append(2, 1, EntryKind.STATE, null, enc('s1'), 1);
        s.append(3, 1, EntryKind.STATE, null, enc('s2'), 1);
        s.append(4, 1, EntryKind.OUT, 'x', enc('o'), 1);
        s.append(5, 2, EntryKind.IN, null, enc('j'), 1);
        t.false(s.consume(1, 4, 1), 'OUT is not consumable');
        t.false(s.consume(1, 5, 1), "another participant's entry");
        t.false(s.consume(1, 99, 1), 'unknown');
        t.true(s.consume(1, 1, 1));
        t.false(s.consume(1, 1, 1), 'twice');
        t.true(s.consume(1, 2, 1), 'STATE is consumable');
        t.is(s.consumeStates(1, 1), 1);
        t.is(s.consumeStates(1, 1), 0);
        t.false(s.acknowledge(1, 5, 1));
        t.true(s.acknowledge(1, 4, 1));
        t.false(s.acknowledge(1, 4, 1));
        s.commit();
        t.is(s.live(1, EntryKind.IN, 0, 10).length + s.live(1, EntryKind.STATE, 0, 10).length, 0);
        t.is(s.live(1, EntryKind.OUT, 0, 10).length, 0);
        t.is(s.entryCount(), undo ? 5 : 1, 'without undo, gone entries leave at once');
        s.truncate(1);
        s.commit();
        t.is(s.entryCount(), 1, 'truncation drops what versions ≤ cut consumed');
      },
    );

    test(
      'atomically undoes every write of a throwing function, nested too',
      conformance,
      backend,
      undo,
      (t, s) => {
        s.begin();
        s.kvPut('n', 'keep', enc('1'), 1);
        t.throws(
          () =>
            s.atomically(() => {
              s.append(1, 1, EntryKind.IN, null, enc('x'), 1);
              s.kvPut('n', 'keep', enc('2'), 1);
              s.kvPut('n', 'new', enc('3'), 1);
              s.setCounter('c', 5);
              s.atomically(() => s.kvDelete('n', 'keep', 1));
              throw new Error('boom');
            }),
          { message: 'boom' },
        );
        t.is(s.entryCount(), 0);
        t.is(dec(s.kvGet('n', 'keep') as Uint8Array), '1');
        t.is(s.kvGet('n', 'new'), undefined);
        t.is(s.getCounter('c'), undefined);
        s.atomically(() => {
          s.append(1, 1, EntryKind.IN, null, enc('x'), 1);
          t.throws(() =>
            s.atomically(() => {
              s.kvPut('n', 'inner', enc('i'), 1);
              throw new Error('inner');
            }),
          );
          s.kvPut('n', 'outer', enc('o'), 1);
        });
        s.commit();
        t.is(s.entryCount(), 1);
        t.is(s.kvGet('n', 'inner'), undefined);
        t.is(dec(s.kvGet('n', 'outer') as Uint8Array), 'o');
      },
    );

    test(
      'keyed rows: put, overwrite, delete and prefix scans in UTF-8 byte order',
      conformance,
      backend,
      undo,
      (t, s) => {
        s.begin();
        const keys = ['b', 'a', 'ab', 'a\uffff', 'a😀', 'aé', 'a\u0000', 'abc', 'b0', ''];
        for (const k of keys) s.kvPut('t', k, enc(k), 1);
        s.kvPut('u', 'a', enc('other ns'), 1);
        s.kvPut('t', 'ab', enc('ab2'), 1);
        t.true(s.kvDelete('t', 'b0', 1));
        t.false(s.kvDelete('t', 'b0', 1));
        s.commit();
        const order = (xs: string[]) =>
          [...xs].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        const live = keys.filter((k) => k !== 'b0');
        t.deepEqual(
          s.kvScan('t', '', undefined, 100).map(([k]) => k),
          order(live),
        );
        t.deepEqual(
          s.kvScan('t', 'a', undefined, 100).map(([k]) => k),
          order(live.filter((k) => k.startsWith('a'))),
        );
        const [first, second] = order(live.filter((k) => k.startsWith('a')));
        t.deepEqual(
          s.kvScan('t', 'a', first, 1).map(([k]) => k),
          [second],
        );
        t.is(dec(s.kvGet('t', 'ab') as Uint8Array), 'ab2');
        t.is(dec(s.kvGet('u', 'a') as Uint8Array), 'other ns');
        t.deepEqual(s.kvScan('t', 'zz', undefined, 10), []);
      },
    );

    test(
      'abandon drops the open transaction; committed work survives reopening',
      conformance,
      backend,
      undo,
      (t, s, reopen) => {
        s.begin();
        s.append(1, 1, EntryKind.IN, null, enc('kept'), 1);
        s.kvPut('n', 'k', enc('kept'), 1);
        s.setCounter('c', 1);
        s.commit();
        s.begin();
        s.append(2, 1, EntryKind.IN, null, enc('lost'), 2);
        s.kvPut('n', 'k', enc('lost'), 2);
        s.setCounter('c', 2);
        t.true(s.consume(1, 1, 2));
        s.abandon();
        const again = reopen();
        t.deepEqual(bodies(again.live(1, EntryKind.IN, 0, 10)), ['kept']);
        t.is(dec(again.kvGet('n', 'k') as Uint8Array), 'kept');
        t.is(again.getCounter('c'), 1);
        if (again !== s) again.close();
      },
    );

    if (undo) {
      test(
        'rollbackTo restores the end of a version; counters stay; truncate forgets undo',
        conformance,
        backend,
        undo,
        (t, s) => {
          s.begin();
          s.append(1, 1, EntryKind.IN, null, enc('v1'), 1);
          s.kvPut('n', 'k', enc('v1'), 1);
          s.commit();
          s.begin();
          s.append(2, 1, EntryKind.IN, null, enc('v2'), 2);
          t.true(s.consume(1, 1, 2));
          s.kvPut('n', 'k', enc('v2'), 2);
          s.kvPut('n', 'new', enc('v2'), 2);
          s.setCounter('inc', 7);
          s.commit();
          s.begin();
          s.kvDelete('n', 'k', 3);
          s.append(3, 1, EntryKind.OUT, 'x', enc('v3'), 3);
          t.true(s.acknowledge(1, 3, 3));
          s.rollbackTo(2);
          s.commit();
          t.deepEqual(bodies(s.live(1, EntryKind.IN, 0, 10)), ['v2']);
          t.is(dec(s.kvGet('n', 'k') as Uint8Array), 'v2');
          t.is(s.live(1, EntryKind.OUT, 0, 10).length, 0);
          s.rollbackTo(1);
          s.commit();
          t.deepEqual(bodies(s.live(1, EntryKind.IN, 0, 10)), ['v1']);
          t.is(dec(s.kvGet('n', 'k') as Uint8Array), 'v1');
          t.is(s.kvGet('n', 'new'), undefined);
          t.is(s.getCounter('inc'), 7, 'counters are never rolled back');
          s.begin();
          t.true(s.consume(1, 1, 4));
          s.truncate(4);
          s.commit();
          t.is(s.entryCount(), 0);
          s.rollbackTo(4);
          t.is(s.entryCount(), 0, 'nothing left to undo at or below the cut');
        },
      );
    } else {
      test('rollbackTo is refused without undo records', conformance, backend, undo, (t, s) => {
        t.throws(() => s.rollbackTo(0), { message: /undo/ });
      });
    }
  }
}
