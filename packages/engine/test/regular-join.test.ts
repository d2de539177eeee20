import test from 'ava';
import { RegularJoinOperator } from '../src/operators/join.ts';
import type { Row } from '../src/runtime/batch.ts';
import type { OperatorContext } from '../src/runtime/operator.ts';

/**
 * The regular join's durable state: the rows kept during a version are one chunk; a restart rebuilds the same
 * per-key lists (in arrival order); under a TTL, chunks are rewritten without their expired rows, and a restart
 * does not bring expired rows back.
 */
function context(store: Map<string, unknown>): OperatorContext {
  return {
    id: 'op',
    state: {
      get: (k) => store.get(k),
      put: (k, v) => store.set(k, structuredClone(v)),
      delete: (k) => store.delete(k),
      *scan(prefix) {
        for (const [k, v] of store) if (k.startsWith(prefix)) yield [k, structuredClone(v)];
      },
    },
    metrics: { lateRows: 0, badRecords: 0, rowsOut: 0 },
    sideOutput: () => {},
  };
}

const spec = {
  kind: 'inner' as const,
  leftWidth: 2,
  rightWidth: 2,
  leftKey: (r: Row) => [r[0]],
  rightKey: (r: Row) => [r[0]],
  keyed: true,
};

test('kept rows survive a restart, one state entry per version, in arrival order', (t) => {
  const store = new Map<string, unknown>();
  let op = new RegularJoinOperator('op', 'join', spec);
  op.open(context(store));
  const out: Row[] = [];
  op.process(
    [
      [1, 'a'],
      [1, 'b'],
      [2, 'c'],
    ],
    out,
    0,
  );
  op.checkpoint();
  op.process([[1, 'd']], out, 0);
  op.checkpoint();
  t.deepEqual([...store.keys()].filter((k) => k.startsWith('c')).length, 2);
  op = new RegularJoinOperator('op', 'join', spec);
  op.open(context(store));
  op.process([[1, 'x']], out, 1);
  t.deepEqual(out, [
    [1, 'a', 1, 'x'],
    [1, 'b', 1, 'x'],
    [1, 'd', 1, 'x'],
  ]);
});

test('under a TTL, expired rows leave the state and do not come back after a restart', (t) => {
  const store = new Map<string, unknown>();
  let now = 1000;
  const clock = () => now;
  let op = new RegularJoinOperator('op', 'join', spec, 100, clock);
  op.open(context(store));
  const out: Row[] = [];
  op.process([[1, 'old']], out, 0);
  now = 1050;
  op.process([[1, 'new']], out, 0);
  op.checkpoint(); // one chunk holding both
  now = 1120; // 'old' is past the TTL, 'new' is not
  op.onTimer(now);
  op.checkpoint();
  op = new RegularJoinOperator('op', 'join', spec, 100, clock);
  op.open(context(store));
  op.process([[1, 'x']], out, 1);
  t.deepEqual(out, [[1, 'new', 1, 'x']]);
  now = 1300;
  op.onTimer(now);
  op.checkpoint();
  t.deepEqual(
    [...store.keys()].filter((k) => k.startsWith('c')),
    [],
    'every chunk deleted once all its rows expired',
  );
});
