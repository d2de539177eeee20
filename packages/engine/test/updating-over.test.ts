import type { AggCall, DataType, FrameBound, Span } from '@darq/parser';
import { fc, testProp } from '@fast-check/ava';
import { aggregatorList, createAggregator, type Row } from '../src/aggregates/index.ts';
import { UpdatingOverAggregateOperator } from '../src/operators/updating-over-aggregate.ts';
import { RowKind } from '../src/runtime/changelog.ts';
import type { OperatorContext } from '../src/runtime/operator.ts';

/**
 * OVER over an updating input: after any sequence of inserts and retractions, replaying the operator's output
 * changelog gives exactly the OVER of the live rows computed from scratch (rows sorted stably by the ORDER BY
 * column, i.e. arrival order among peers), for ROWS and RANGE frames, ascending and descending — also across
 * a restart from the checkpointed state.
 */
fc.configureGlobal({ numRuns: process.env.DARQ_LONG === '1' ? 5_000 : 150 });

const SPAN: Span = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
const BIGINT: DataType = { kind: 'BIGINT' };
const call = (fn: string): AggCall => ({
  kind: 'AggCall',
  fn,
  args: fn === 'COUNT' ? [] : [{ kind: 'ColumnRef', index: 2, name: 'v', type: BIGINT, span: SPAN }],
  distinct: false,
  type: BIGINT,
  name: fn,
  span: SPAN,
});
const list = () =>
  aggregatorList(
    ['SUM', 'COUNT', 'MAX'].map((fn) =>
      createAggregator(call(fn), fn === 'COUNT' ? [] : [(r: Row) => r[2]], undefined, undefined, {}),
    ),
  );

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

type Frame = { mode: 'ROWS' | 'RANGE'; lower: FrameBound };

/** The OVER of the live rows (partition, order value, value), from scratch. */
function reference(live: Row[], frame: Frame, desc: boolean): string[] {
  const out: string[] = [];
  for (const p of new Set(live.map((r) => r[0]))) {
    const rows = live.filter((r) => r[0] === p);
    const sign = desc ? -1 : 1;
    rows.sort((a, b) => sign * ((a[1] as number) - (b[1] as number)));
    rows.forEach((r, i) => {
      const inFrame = rows.filter((s, j) => {
        const d = Math.abs((s[1] as number) - (r[1] as number));
        const before = sign * ((s[1] as number) - (r[1] as number)) < 0;
        if (frame.mode === 'ROWS') {
          if (j > i) return false;
          return (
            frame.lower.kind === 'unbounded' ||
            i - j <= (frame.lower.kind === 'current' ? 0 : frame.lower.amount)
          );
        }
        if (!before && d !== 0) return false; // after the row and not a peer
        return (
          frame.lower.kind === 'unbounded' || d <= (frame.lower.kind === 'current' ? 0 : frame.lower.amount)
        );
      });
      const vs = inFrame.map((s) => s[2] as number);
      out.push(JSON.stringify([...r, vs.reduce((a, b) => a + b, 0), vs.length, Math.max(...vs)]));
    });
  }
  return out.sort();
}

function replay(lines: Row[]): string[] {
  const live = new Map<string, number>();
  for (const l of lines) {
    const kind = l.at(-1) as number;
    const k = JSON.stringify(l.slice(0, -1));
    if (kind === RowKind.INSERT || kind === RowKind.UPDATE_AFTER) live.set(k, (live.get(k) ?? 0) + 1);
    else {
      const n = live.get(k);
      if (!n) throw new Error(`retracts a row that is not live: ${k}`);
      if (n === 1) live.delete(k);
      else live.set(k, n - 1);
    }
  }
  return [...live].flatMap(([k, n]) => Array.from({ length: n }, () => k)).sort();
}

const frames = fc.oneof(
  fc.record({
    mode: fc.constantFrom<'ROWS' | 'RANGE'>('ROWS', 'RANGE'),
    lower: fc.oneof(
      fc.constant<FrameBound>({ kind: 'unbounded' }),
      fc.constant<FrameBound>({ kind: 'current' }),
      fc.integer({ min: 1, max: 4 }).map((amount): FrameBound => ({ kind: 'preceding', amount })),
    ),
  }),
);
// Each step inserts a new row or retracts one live row (by its index among the live rows).
const steps = fc.array(
  fc.oneof(
    fc.record({
      add: fc.tuple(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 50 }),
      ),
    }),
    fc.record({ drop: fc.nat() }),
  ),
  { maxLength: 40 },
);

testProp(
  'replaying the changelog gives the OVER of the live rows, across a restart',
  [frames, fc.boolean(), steps, fc.nat()],
  (t, frame, desc, ops, cut) => {
    const store = new Map<string, unknown>();
    const make = () => {
      const op = new UpdatingOverAggregateOperator('op', 'over', (r) => [r[0]], 3, 1, desc, frame, list());
      op.open(context(store));
      return op;
    };
    let op = make();
    const live: Row[] = [];
    const out: Row[] = [];
    const restartAt = ops.length > 0 ? cut % ops.length : -1;
    ops.forEach((s, i) => {
      if (i === restartAt) {
        op.checkpoint();
        op = make();
      }
      if ('add' in s) {
        live.push([...s.add]);
        op.process([[...s.add, RowKind.INSERT]], out);
      } else if (live.length > 0) {
        const [r] = live.splice(s.drop % live.length, 1);
        op.process([[...r!, i % 2 ? RowKind.DELETE : RowKind.UPDATE_BEFORE]], out);
      }
    });
    t.deepEqual(replay(out), reference(live, frame, desc));
  },
);
