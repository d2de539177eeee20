import { readFileSync } from 'node:fs';
import type { AggCall, DataType, Expr, Span } from '@darq/parser';
import { fc, testProp } from '@fast-check/ava';
import test from 'ava';
import { pack, unpack } from 'msgpackr';
import {
  type Aggregator,
  aggregatorList,
  builtinAggregateNames,
  createAggregator,
  type Row,
  type UdafModule,
} from '../src/aggregates/index.ts';
import { EngineError } from '../src/errors.ts';

// The long form (`pnpm test:long`) runs every property 50 times as often.
fc.configureGlobal({ numRuns: process.env.DARQ_LONG === '1' ? 5_000 : 100 });

// ---------------------------------------------------------------------------------------------------------
// Building calls

const SPAN: Span = { start: { line: 3, column: 8, offset: 40 }, end: { line: 3, column: 20, offset: 52 } };
const BIGINT: DataType = { kind: 'BIGINT' };
const INT: DataType = { kind: 'INT' };
const DOUBLE: DataType = { kind: 'DOUBLE' };
const VARCHAR: DataType = { kind: 'VARCHAR' };
const BOOLEAN: DataType = { kind: 'BOOLEAN' };

function col(index: number, type: DataType): Expr {
  return { kind: 'ColumnRef', index, name: `c${index}`, type, span: SPAN };
}

function aggCall(fn: string, argTypes: readonly DataType[], type: DataType, distinct = false): AggCall {
  return {
    kind: 'AggCall',
    fn,
    args: argTypes.map((t, i) => col(i, t)),
    distinct,
    type,
    name: `${fn.toLowerCase()}_out`,
    span: SPAN,
  };
}

/** An aggregator over rows whose column i is argument i. */
function make(
  fn: string,
  argTypes: readonly DataType[],
  type: DataType,
  opts: { distinct?: boolean; retractable?: boolean; filter?: (r: Row) => boolean } = {},
  udafs?: Record<string, UdafModule>,
): Aggregator {
  const call = aggCall(fn, argTypes, type, opts.distinct);
  const args = argTypes.map((_, i) => (r: Row) => r[i]);
  return createAggregator(call, args, opts.filter, udafs, { retractable: opts.retractable ?? false });
}

function run(agg: Aggregator, rows: readonly Row[], acc = agg.init()): unknown {
  for (const r of rows) acc = agg.add(acc, r);
  return acc;
}

function resultOf(agg: Aggregator, rows: readonly Row[]): unknown {
  return agg.result(run(agg, rows));
}

/** Deep equality of SQL results; numbers within `tol` (relative to the size of the values) when approximate. */
function close(a: unknown, b: unknown, tol: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    if (a === b) return true;
    return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => close(v, b[i], tol));
  }
  return Object.is(a, b) || (a === 0 && b === 0);
}

// ---------------------------------------------------------------------------------------------------------
// Reference implementations, computed over the whole input at once.

const nonNull = (xs: readonly unknown[]) => xs.filter((x) => x !== null && x !== undefined);

function twoPass(ys: number[], xs: number[]) {
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  return { n, mx, my, sxx, syy, sxy };
}

function varianceRef(xs: number[], sample: boolean): number | null {
  if (xs.length === 0 || (sample && xs.length < 2)) return null;
  const { sxx } = twoPass(xs, xs);
  return sxx / (sample ? xs.length - 1 : xs.length);
}

function bigBits(xs: number[], op: (a: bigint, b: bigint) => bigint): number | null {
  if (xs.length === 0) return null;
  return Number(BigInt.asIntN(64, xs.map((x) => BigInt(x)).reduce(op)));
}

function coReference(kind: string, tuples: readonly Row[]): number | null {
  const pairs = tuples.filter((t) => t[0] != null && t[1] != null) as [number, number][];
  if (kind === 'REGR_COUNT') return pairs.length;
  if (pairs.length === 0) return null;
  const { n, mx, my, sxx, syy, sxy } = twoPass(
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]),
  );
  switch (kind) {
    case 'COVAR_POP':
      return sxy / n;
    case 'COVAR_SAMP':
      return n < 2 ? null : sxy / (n - 1);
    case 'CORR':
      return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
    case 'REGR_AVGX':
      return mx;
    case 'REGR_AVGY':
      return my;
    case 'REGR_SXX':
      return sxx;
    case 'REGR_SYY':
      return syy;
    case 'REGR_SXY':
      return sxy;
    case 'REGR_SLOPE':
      return sxx === 0 ? null : sxy / sxx;
    case 'REGR_INTERCEPT':
      return sxx === 0 ? null : my - (mx * sxy) / sxx;
    case 'REGR_R2':
      return sxx === 0 ? null : syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
    default:
      throw new Error(kind);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cases: every builtin, with an input generator and a reference.

const int = fc.option(fc.integer({ min: -1000, max: 1000 }), { freq: 5 });
const dbl = fc.option(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => v + 0),
  { freq: 5 },
);
const str = fc.option(fc.constantFrom('a', 'b', 'c', 'ab', '', 'é', '1'), { freq: 5 });
const bool = fc.option(fc.boolean(), { freq: 5 });
const bits = fc.option(
  fc.oneof(fc.integer({ min: -300, max: 300 }), fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 })),
  { freq: 5 },
);

interface Case {
  readonly label: string;
  readonly fn: string;
  readonly argTypes: readonly DataType[];
  readonly type: DataType;
  readonly gen: fc.Arbitrary<Row>;
  readonly ref: (rows: readonly Row[]) => unknown;
  /** Tolerance of numeric comparisons (0 = exact). */
  readonly tol: number;
  /** Result depends on arrival order (FIRST/LAST_VALUE, ARRAY_AGG, LISTAGG). */
  readonly ordered?: boolean;
  /** A ratio that a retraction's rounding can turn from NULL into a huge number (CORR, REGR_SLOPE…). */
  readonly ratio?: boolean;
  readonly distinct?: boolean;
  /**
   * Absolute error allowed after retractions: the inverse Welford update cancels terms of the size of the
   * squared inputs, so a variance keeps an error of about n · eps · max|x|² (inherent to floating point).
   */
  readonly retractTol?: (rows: readonly Row[]) => number;
}

const first = (rows: readonly Row[]) => rows.map((r) => r[0]);
const nums = (rows: readonly Row[]) => nonNull(first(rows)) as number[];

function sortNum(xs: number[]) {
  return xs.slice().sort((a, b) => a - b);
}

function medianRef(xs: number[], trunc: boolean): number | null {
  if (xs.length === 0) return null;
  const s = sortNum(xs);
  const m = s.length >> 1;
  const v = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  return trunc ? Math.trunc(v) + 0 : v;
}

const one = (gen: fc.Arbitrary<unknown>) => gen.map((v) => [v] as Row);

const CASES: Case[] = [
  {
    label: 'COUNT(*)',
    fn: 'COUNT',
    argTypes: [],
    type: BIGINT,
    gen: fc.constant([]),
    ref: (r) => r.length,
    tol: 0,
  },
  {
    label: 'COUNT(x)',
    fn: 'COUNT',
    argTypes: [VARCHAR],
    type: BIGINT,
    gen: one(str),
    ref: (r) => nums(r).length,
    tol: 0,
  },
  {
    label: 'COUNT(a, b, c)',
    fn: 'COUNT',
    argTypes: [INT, INT, INT],
    type: BIGINT,
    gen: fc.tuple(int, int, int),
    ref: (r) => r.filter((t) => t.every((v) => v !== null)).length,
    tol: 0,
  },
  {
    label: 'SUM(BIGINT)',
    fn: 'SUM',
    argTypes: [BIGINT],
    type: BIGINT,
    gen: one(int),
    ref: (r) => (nums(r).length ? nums(r).reduce((a, b) => a + b, 0) : null),
    tol: 0,
  },
  {
    label: 'SUM(DOUBLE)',
    fn: 'SUM',
    argTypes: [DOUBLE],
    type: DOUBLE,
    gen: one(dbl),
    ref: (r) => (nums(r).length ? nums(r).reduce((a, b) => a + b, 0) : null),
    tol: 1e-9,
  },
  {
    label: 'AVG(BIGINT)',
    fn: 'AVG',
    argTypes: [BIGINT],
    type: BIGINT,
    gen: one(int),
    ref: (r) => (nums(r).length ? Math.trunc(nums(r).reduce((a, b) => a + b, 0) / nums(r).length) + 0 : null),
    tol: 0,
  },
  {
    label: 'AVG(DOUBLE)',
    fn: 'AVG',
    argTypes: [DOUBLE],
    type: DOUBLE,
    gen: one(dbl),
    ref: (r) => (nums(r).length ? nums(r).reduce((a, b) => a + b, 0) / nums(r).length : null),
    tol: 1e-9,
  },
  ...(['MIN', 'MAX'] as const).flatMap((fn): Case[] => {
    const pick = (xs: unknown[]) => {
      const sorted = [...xs].sort((a, b) =>
        (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0,
      );
      return (fn === 'MIN' ? sorted[0] : sorted.at(-1)) ?? null;
    };
    return [
      {
        label: `${fn}(BIGINT)`,
        fn,
        argTypes: [BIGINT],
        type: BIGINT,
        gen: one(int),
        ref: (r) => pick(nums(r)),
        tol: 0,
      },
      {
        label: `${fn}(DOUBLE)`,
        fn,
        argTypes: [DOUBLE],
        type: DOUBLE,
        gen: one(dbl),
        ref: (r) => pick(nums(r)),
        tol: 0,
      },
      {
        label: `${fn}(VARCHAR)`,
        fn,
        argTypes: [VARCHAR],
        type: VARCHAR,
        gen: one(str),
        ref: (r) => pick(nonNull(first(r))),
        tol: 0,
      },
      {
        label: `${fn}(BOOLEAN)`,
        fn,
        argTypes: [BOOLEAN],
        type: BOOLEAN,
        gen: one(bool),
        ref: (r) => pick(nonNull(first(r))),
        tol: 0,
      },
    ];
  }),
  {
    label: 'FIRST_VALUE',
    fn: 'FIRST_VALUE',
    argTypes: [VARCHAR],
    type: VARCHAR,
    gen: one(str),
    ref: (r) => nonNull(first(r))[0] ?? null,
    tol: 0,
    ordered: true,
  },
  {
    label: 'LAST_VALUE',
    fn: 'LAST_VALUE',
    argTypes: [BIGINT],
    type: BIGINT,
    gen: one(int),
    ref: (r) => nonNull(first(r)).at(-1) ?? null,
    tol: 0,
    ordered: true,
  },
  ...(
    [
      ['STDDEV', true, true],
      ['STDDEV_SAMP', true, true],
      ['STDDEV_POP', false, true],
      ['VARIANCE', true, false],
      ['VAR_SAMP', true, false],
      ['VAR_POP', false, false],
    ] as const
  ).map(
    ([fn, sample, root]): Case => ({
      label: `${fn}(DOUBLE)`,
      fn,
      argTypes: [DOUBLE],
      type: DOUBLE,
      gen: one(dbl),
      ref: (r) => {
        const v = varianceRef(nums(r), sample);
        return v === null ? null : root ? Math.sqrt(v) : v;
      },
      tol: root ? 1e-6 : 1e-9,
      retractTol: (rows) => {
        const m = Math.max(1, ...nums(rows).map(Math.abs));
        return root ? Math.sqrt(1e-13) * m : 1e-13 * m * m;
      },
    }),
  ),
  {
    label: 'ARRAY_AGG',
    fn: 'ARRAY_AGG',
    argTypes: [VARCHAR],
    type: { kind: 'ARRAY', element: VARCHAR },
    gen: one(str),
    ref: (r) => (r.length ? first(r) : null),
    tol: 0,
    ordered: true,
  },
  {
    label: 'LISTAGG(x, sep)',
    fn: 'LISTAGG',
    argTypes: [VARCHAR, VARCHAR],
    type: VARCHAR,
    gen: str.map((v) => [v, '|'] as Row),
    ref: (r) => (nums(r).length ? nonNull(first(r)).join('|') : null),
    tol: 0,
    ordered: true,
  },
  {
    label: 'LISTAGG(x)',
    fn: 'LISTAGG',
    argTypes: [INT],
    type: VARCHAR,
    gen: one(int),
    ref: (r) => (nums(r).length ? nonNull(first(r)).join(',') : null),
    tol: 0,
    ordered: true,
  },
  {
    label: 'BOOL_AND',
    fn: 'BOOL_AND',
    argTypes: [BOOLEAN],
    type: BOOLEAN,
    gen: one(bool),
    ref: (r) => (nonNull(first(r)).length ? nonNull(first(r)).every((v) => v) : null),
    tol: 0,
  },
  {
    label: 'BOOL_OR',
    fn: 'BOOL_OR',
    argTypes: [BOOLEAN],
    type: BOOLEAN,
    gen: one(bool),
    ref: (r) => (nonNull(first(r)).length ? nonNull(first(r)).some((v) => v) : null),
    tol: 0,
  },
  {
    label: 'BIT_AND',
    fn: 'BIT_AND',
    argTypes: [BIGINT],
    type: BIGINT,
    gen: one(bits),
    ref: (r) => bigBits(nums(r), (a, b) => a & b),
    tol: 0,
  },
  {
    label: 'BIT_OR',
    fn: 'BIT_OR',
    argTypes: [BIGINT],
    type: BIGINT,
    gen: one(bits),
    ref: (r) => bigBits(nums(r), (a, b) => a | b),
    tol: 0,
  },
  {
    label: 'BIT_XOR',
    fn: 'BIT_XOR',
    argTypes: [BIGINT],
    type: BIGINT,
    gen: one(bits),
    ref: (r) => bigBits(nums(r), (a, b) => a ^ b),
    tol: 0,
  },
  {
    label: 'MEDIAN(BIGINT)',
    fn: 'MEDIAN',
    argTypes: [BIGINT],
    type: BIGINT,
    gen: one(int),
    ref: (r) => medianRef(nums(r), true),
    tol: 0,
  },
  {
    label: 'MEDIAN(DOUBLE)',
    fn: 'MEDIAN',
    argTypes: [DOUBLE],
    type: DOUBLE,
    gen: one(dbl),
    ref: (r) => medianRef(nums(r), false),
    tol: 0,
  },
  {
    label: 'APPROX_PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY x)',
    fn: 'APPROX_PERCENTILE_CONT',
    argTypes: [DOUBLE, BIGINT],
    type: DOUBLE,
    gen: int.map((x) => [0.25, x] as Row),
    ref: (r) => {
      const v = r.map((row) => row[1]).filter((x): x is number => x !== null && x !== undefined);
      if (v.length === 0) return null;
      v.sort((a, b) => a - b);
      const rank = 0.25 * (v.length - 1);
      const lo = Math.floor(rank);
      return v[lo]! + (v[Math.ceil(rank)]! - v[lo]!) * (rank - lo);
    },
    tol: 1e-9,
  },
  {
    label: 'APPROX_PERCENTILE_CONT_WITH_WEIGHT(w, 0.5) WITHIN GROUP (ORDER BY x)',
    fn: 'APPROX_PERCENTILE_CONT_WITH_WEIGHT',
    argTypes: [BIGINT, DOUBLE, BIGINT],
    type: DOUBLE,
    gen: fc.tuple(fc.integer({ min: 1, max: 5 }), int).map(([w, x]) => [w, 0.5, x] as Row),
    ref: (r) => {
      const v = r
        .filter((row) => row[2] !== null && row[2] !== undefined)
        .map((row) => [row[2] as number, row[0] as number] as const)
        .sort((a, b) => a[0] - b[0]);
      if (v.length === 0) return null;
      const total = v.reduce((s, [, w]) => s + w, 0);
      let cum = 0;
      for (const [x, w] of v) {
        cum += w;
        if (cum >= 0.5 * total) return x;
      }
      return v[v.length - 1]![0];
    },
    tol: 0,
  },
  ...[
    'CORR',
    'COVAR_POP',
    'COVAR_SAMP',
    'REGR_COUNT',
    'REGR_AVGX',
    'REGR_AVGY',
    'REGR_SXX',
    'REGR_SYY',
    'REGR_SXY',
    'REGR_SLOPE',
    'REGR_INTERCEPT',
    'REGR_R2',
  ].map(
    (fn): Case => ({
      label: fn,
      fn,
      argTypes: [BIGINT, BIGINT],
      type: fn === 'REGR_COUNT' ? BIGINT : DOUBLE,
      gen: fc.tuple(int, int),
      ref: (r) => coReference(fn, r),
      tol: 1e-6,
      ratio: ['CORR', 'REGR_SLOPE', 'REGR_INTERCEPT', 'REGR_R2'].includes(fn),
    }),
  ),
];

/** DISTINCT variants: the reference sees each distinct tuple once, in order of first appearance. */
const DISTINCT_CASES: Case[] = [
  'COUNT(x)',
  'SUM(BIGINT)',
  'AVG(DOUBLE)',
  'MIN(VARCHAR)',
  'LISTAGG(x, sep)',
  'MEDIAN(BIGINT)',
  'CORR',
].map((label) => {
  const c = CASES.find((k) => k.label === label)!;
  return {
    ...c,
    label: `${c.label} DISTINCT`,
    distinct: true,
    ref: (rows) => {
      const seen = new Set<string>();
      const unique: Row[] = [];
      for (const r of rows) {
        const k = JSON.stringify(r);
        if (!seen.has(k)) unique.push(r);
        seen.add(k);
      }
      return c.ref(unique);
    },
  };
});

const ALL = [...CASES, ...DISTINCT_CASES];

test('every builtin has a property case', (t) => {
  const covered = new Set(ALL.map((c) => c.fn));
  const aliases = new Set(['ANY_VALUE', 'VAR', 'EVERY', 'STRING_AGG', 'APPROX_MEDIAN', 'APPROX_DISTINCT']);
  t.deepEqual(
    builtinAggregateNames().filter((n) => !covered.has(n) && !aliases.has(n)),
    [],
  );
});

const rowsOf = (c: Case, max = 40) => fc.array(c.gen, { maxLength: max });

for (const c of ALL) {
  const opts = { distinct: c.distinct ?? false };

  testProp(`${c.label}: add matches the reference`, [rowsOf(c)], (t, rows) => {
    const agg = make(c.fn, c.argTypes, c.type, opts);
    const got = resultOf(agg, rows);
    t.true(close(got, c.ref(rows), c.tol), `got ${JSON.stringify(got)}, want ${JSON.stringify(c.ref(rows))}`);
  });

  testProp(
    `${c.label}: merge(add(a), add(b)) = add(a ++ b), b untouched`,
    [rowsOf(c), rowsOf(c)],
    (t, a, b) => {
      for (const retractable of [false, true]) {
        const agg = make(c.fn, c.argTypes, c.type, { ...opts, retractable });
        const accB = run(agg, b);
        const before = JSON.stringify(accB);
        const merged = agg.merge(run(agg, a), accB);
        t.is(JSON.stringify(accB), before, 'merge changed its second argument');
        const whole = agg.result(run(agg, [...a, ...b]));
        t.true(
          close(agg.result(merged), whole, c.tol),
          `merged ${JSON.stringify(agg.result(merged))} vs ${JSON.stringify(whole)}`,
        );
        // The merged accumulator keeps working and shares nothing with b.
        const more = run(agg, b, merged);
        t.is(JSON.stringify(accB), before);
        t.true(close(agg.result(more), agg.result(run(agg, [...a, ...b, ...b])), c.tol));
      }
    },
  );

  testProp(
    `${c.label}: add then retract returns to init's result`,
    [rowsOf(c), rowsOf(c), fc.nat()],
    (t, keep, drop, seed) => {
      const agg = make(c.fn, c.argTypes, c.type, { ...opts, retractable: true });
      t.true(agg.retractable);
      const empty = agg.result(agg.init());
      let acc = run(agg, drop);
      const order = drop.map((r, i) => [r, (i * 7919 + seed) % 104729] as const).sort((x, y) => x[1] - y[1]);
      for (const [r] of order) acc = agg.retract(acc, r);
      t.deepEqual(agg.result(acc), empty);
      // Retracting part of the input leaves the result of the rest (as a multiset for ordered functions).
      if (c.ratio) return;
      acc = run(agg, [...keep, ...drop]);
      for (const [r] of order) acc = agg.retract(acc, r);
      const got = agg.result(acc);
      const want = agg.result(run(agg, keep));
      if (c.ordered) {
        const sep = c.argTypes.length === 2 ? '|' : ',';
        const norm = (v: unknown) =>
          v === null ? null : (Array.isArray(v) ? v : String(v).split(sep)).map(String).sort();
        if (c.fn === 'ARRAY_AGG' || c.fn === 'LISTAGG') {
          t.deepEqual(norm(got), norm(want));
        } else {
          t.true(got === null ? want === null : keep.some((r) => r[0] === got));
        }
      } else {
        const abs = c.retractTol?.([...keep, ...drop]) ?? 0;
        const ok =
          close(got, want, c.tol) ||
          (typeof got === 'number' && typeof want === 'number' && Math.abs(got - want) <= abs);
        t.true(ok, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
    },
  );

  testProp(`${c.label}: accumulators survive a msgpackr round trip`, [rowsOf(c), rowsOf(c)], (t, a, b) => {
    for (const retractable of [false, true]) {
      const agg = make(c.fn, c.argTypes, c.type, { ...opts, retractable });
      const acc = run(agg, a);
      const copy = unpack(pack(acc));
      t.deepEqual(copy, acc);
      t.true(close(agg.result(run(agg, b, copy)), agg.result(run(agg, [...a, ...b])), c.tol));
      if (retractable) {
        // A restored accumulator retracts and merges like the original (its soft index is rebuilt).
        let back = unpack(pack(acc));
        for (const r of a) back = agg.retract(back, r);
        t.deepEqual(agg.result(back), agg.result(agg.init()));
        const merged = agg.merge(unpack(pack(run(agg, b))), unpack(pack(acc)));
        t.true(close(agg.result(merged), agg.result(run(agg, [...b, ...a])), c.tol));
      }
    }
  });
}

testProp('FILTER: only rows whose predicate is TRUE count', [fc.array(fc.tuple(int, bool))], (t, rows) => {
  const keep = (r: Row) => r[1] as boolean;
  for (const c of CASES.filter((k) => k.argTypes.length === 1 && k.argTypes[0] === BIGINT)) {
    const agg = make(c.fn, [BIGINT], c.type, { filter: keep, retractable: true });
    const want = resultOf(
      make(c.fn, [BIGINT], c.type),
      rows.filter((r) => r[1] === true),
    );
    t.true(close(resultOf(agg, rows), want, c.tol), c.label);
    let acc = run(agg, rows);
    for (const r of rows) acc = agg.retract(acc, r);
    t.deepEqual(agg.result(acc), agg.result(agg.init()), c.label);
  }
});

// ---------------------------------------------------------------------------------------------------------
// Examples

test('SQL NULL semantics over no non-null values', (t) => {
  const rows: Row[] = [[null], [null]];
  t.is(resultOf(make('COUNT', [], BIGINT), rows), 2);
  t.is(resultOf(make('COUNT', [BIGINT], BIGINT), rows), 0);
  for (const fn of [
    'SUM',
    'AVG',
    'MIN',
    'MAX',
    'STDDEV_POP',
    'BIT_AND',
    'BOOL_OR',
    'MEDIAN',
    'LISTAGG',
    'FIRST_VALUE',
  ]) {
    t.is(resultOf(make(fn, [BIGINT], BIGINT), rows), null, fn);
    t.is(resultOf(make(fn, [BIGINT], BIGINT), []), null, fn);
  }
  t.deepEqual(resultOf(make('ARRAY_AGG', [BIGINT], BIGINT), rows), [null, null]);
  t.is(resultOf(make('ARRAY_AGG', [BIGINT], BIGINT), []), null);
});

test('AVG of an exact integer type truncates toward zero; of DOUBLE it does not', (t) => {
  t.is(resultOf(make('AVG', [BIGINT], BIGINT), [[-7], [0]]), -3);
  t.is(resultOf(make('AVG', [BIGINT], BIGINT), [[7], [0]]), 3);
  t.is(resultOf(make('AVG', [INT], INT), [[-1], [0]]), 0);
  t.is(resultOf(make('AVG', [DOUBLE], DOUBLE), [[-7], [0]]), -3.5);
  t.is(resultOf(make('AVG', [BIGINT], DOUBLE), [[0], [1]]), 0.5);
});

test('DECIMAL results are rounded to their scale', (t) => {
  const dec: DataType = { kind: 'DECIMAL', precision: 38, scale: 2 };
  t.is(resultOf(make('SUM', [dec], dec), [[0.1], [0.2]]), 0.3);
  const avg: DataType = { kind: 'DECIMAL', precision: 38, scale: 6 };
  t.is(resultOf(make('AVG', [dec], avg), [[1], [0], [0]]), 0.333333);
});

test('compensated sums do not lose small terms', (t) => {
  const rows: Row[] = [[1e16], [1], [1], [1], [1], [-1e16]];
  t.is(resultOf(make('SUM', [DOUBLE], DOUBLE), rows), 4);
  const agg = make('SUM', [DOUBLE], DOUBLE);
  let acc = run(agg, [[0.1], [0.2], [0.3]]);
  acc = agg.retract(acc, [0.1]);
  acc = agg.retract(acc, [0.2]);
  t.is(agg.result(acc), 0.3);
});

test('variance stays accurate with a large mean (no catastrophic cancellation)', (t) => {
  const rows: Row[] = [4, 7, 13, 16].map((v) => [1e9 + v]);
  t.is(resultOf(make('VAR_SAMP', [DOUBLE], DOUBLE), rows), 30);
  t.is(resultOf(make('VAR_POP', [DOUBLE], DOUBLE), rows), 22.5);
  t.is(resultOf(make('STDDEV_POP', [DOUBLE], DOUBLE), [[2], [4], [4], [4], [5], [5], [7], [9]]), 2);
  t.is(resultOf(make('VAR_SAMP', [DOUBLE], DOUBLE), [[5]]), null);
  t.is(resultOf(make('VAR_POP', [DOUBLE], DOUBLE), [[5]]), 0);
});

test('MEDIAN: odd, even, and an exact type truncates the mean of the middle two', (t) => {
  t.is(resultOf(make('MEDIAN', [DOUBLE], DOUBLE), [[3], [1], [2]]), 2);
  t.is(resultOf(make('MEDIAN', [DOUBLE], DOUBLE), [[4], [1], [2], [3]]), 2.5);
  t.is(resultOf(make('MEDIAN', [BIGINT], BIGINT), [[4], [1], [2], [3]]), 2);
});

test('BIT_AND / BIT_OR / BIT_XOR work on 64-bit values and negatives', (t) => {
  const big = 2 ** 40 + 5;
  t.is(resultOf(make('BIT_AND', [BIGINT], BIGINT), [[big], [2 ** 40 + 4]]), 2 ** 40 + 4);
  t.is(resultOf(make('BIT_OR', [BIGINT], BIGINT), [[big], [2 ** 41]]), 2 ** 41 + 2 ** 40 + 5);
  t.is(resultOf(make('BIT_XOR', [BIGINT], BIGINT), [[big], [big], [3]]), 3);
  t.is(resultOf(make('BIT_AND', [BIGINT], BIGINT), [[-1], [-(2 ** 40)]]), -(2 ** 40));
  t.is(resultOf(make('BIT_OR', [BIGINT], BIGINT), [[-(2 ** 40)], [1]]), -(2 ** 40) + 1);
  const agg = make('BIT_AND', [BIGINT], BIGINT, { retractable: true });
  let acc = run(agg, [[12], [10], [7]]);
  t.is(agg.result(acc), 0);
  acc = agg.retract(acc, [7]);
  t.is(agg.result(acc), 8);
});

test('LISTAGG defaults to a comma; ARRAY_AGG results are copies', (t) => {
  t.is(resultOf(make('LISTAGG', [VARCHAR], VARCHAR), [['a'], [null], ['b']]), 'a,b');
  t.is(
    resultOf(make('LISTAGG', [VARCHAR, VARCHAR], VARCHAR), [
      ['a', '; '],
      ['b', '; '],
    ]),
    'a; b',
  );
  const agg = make('ARRAY_AGG', [BIGINT], { kind: 'ARRAY', element: BIGINT });
  const acc = run(agg, [[1], [2]]);
  (agg.result(acc) as unknown[]).push(3);
  t.deepEqual(agg.result(acc), [1, 2]);
  const firstRow = make('FIRST_VALUE', [BIGINT], BIGINT);
  const rowAcc = run(firstRow, [[[1, 2]]]);
  (firstRow.result(rowAcc) as unknown[]).push(3);
  t.deepEqual(firstRow.result(rowAcc), [1, 2]);
});

test('retractable MIN/MAX recompute the extreme when it is retracted', (t) => {
  const min = make('MIN', [BIGINT], BIGINT, { retractable: true });
  let acc = run(min, [[5], [3], [3], [8]]);
  t.is(min.result(acc), 3);
  acc = min.retract(acc, [3]);
  t.is(min.result(acc), 3);
  acc = min.retract(acc, [3]);
  t.is(min.result(acc), 5);
  acc = min.retract(acc, [5]);
  acc = min.retract(acc, [8]);
  t.is(min.result(acc), null);
});

test('COUNT(DISTINCT) retracts through its multiset', (t) => {
  const agg = make('COUNT', [BIGINT], BIGINT, { distinct: true, retractable: true });
  let acc = run(agg, [[1], [1], [2], [null]]);
  t.is(agg.result(acc), 2);
  acc = agg.retract(acc, [1]);
  t.is(agg.result(acc), 2);
  acc = agg.retract(acc, [1]);
  t.is(agg.result(acc), 1);
  t.is(resultOf(make('APPROX_DISTINCT', [BIGINT], BIGINT), [[1], [1], [2]]), 2);
  // DISTINCT keeps 1 and '1' apart, and 0 and -0 together.
  t.is(resultOf(make('COUNT', [VARCHAR], BIGINT, { distinct: true }), [[1], ['1'], [0], [-0]]), 3);
});

test('DISTINCT over a function that cannot retract rebuilds it from the multiset', (t) => {
  const agg = make('FIRST_VALUE', [VARCHAR], VARCHAR, { distinct: true });
  t.true(agg.retractable);
  let acc = run(agg, [['x'], ['y'], ['x']]);
  acc = agg.retract(acc, ['x']);
  t.is(agg.result(acc), 'x');
  acc = agg.retract(acc, ['x']);
  t.is(agg.result(acc), 'y');
});

test('append-only forms refuse to retract with a clear error', (t) => {
  for (const fn of ['MIN', 'MAX', 'FIRST_VALUE', 'LAST_VALUE', 'BIT_AND', 'BIT_OR']) {
    const agg = make(fn, [BIGINT], BIGINT);
    t.false(agg.retractable, fn);
    const e = t.throws(() => agg.retract(agg.add(agg.init(), [1]), [1]), { instanceOf: EngineError });
    t.is((e as EngineError).code, 'AGG_NOT_RETRACTABLE');
    t.regex(e!.message, /retractable: true/);
  }
  for (const fn of ['COUNT', 'SUM', 'AVG', 'BIT_XOR', 'MEDIAN', 'VAR_POP', 'ARRAY_AGG', 'BOOL_AND']) {
    t.true(make(fn, [BIGINT], BIGINT).retractable, fn);
  }
});

test('bad calls get coded errors that say where and how to fix them', (t) => {
  const unknown = t.throws(() => make('MEDAIN', [BIGINT], BIGINT), { instanceOf: EngineError });
  t.is((unknown as EngineError).code, 'AGG_UNKNOWN_FUNCTION');
  t.regex(unknown!.message, /^3:8: unknown aggregate function MEDAIN; did you mean MEDIAN/);
  t.regex(unknown!.message, /CREATE FUNCTION/);
  const rank = t.throws(() => make('RANK', [], BIGINT));
  t.regex(rank!.message, /OVER/);
  const arity = t.throws(() => make('SUM', [BIGINT, BIGINT], BIGINT), { instanceOf: EngineError });
  t.is((arity as EngineError).code, 'AGG_ARITY');
  t.regex(arity!.message, /SUM takes 1 argument/);
  t.is((t.throws(() => make('CORR', [BIGINT], DOUBLE)) as EngineError).code, 'AGG_ARITY');
  t.is((t.throws(() => make('COUNT', [], BIGINT, { distinct: true })) as EngineError).code, 'AGG_ARITY');
  const mismatch = t.throws(() => createAggregator(aggCall('SUM', [BIGINT], BIGINT), []));
  t.is((mismatch as EngineError).code, 'AGG_ARGS_MISMATCH');
  t.is(make('sum', [BIGINT], BIGINT).fn, 'SUM');
});

// ---------------------------------------------------------------------------------------------------------
// UDAFs: the three of Arroyo's `udaf` case (README: my_median, none_udf, max_product).

const myMedian: UdafModule = {
  create: () => [],
  add: (acc, x) => {
    if (x !== null) (acc as number[]).push(x as number);
    return acc;
  },
  result: (acc) => {
    const s = (acc as number[]).slice().sort((a, b) => a - b);
    if (s.length === 0) return null;
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
  },
  merge: (a, b) => [...(a as number[]), ...(b as number[])],
  retract: (acc, x) => {
    const list = acc as number[];
    const i = list.indexOf(x as number);
    if (i >= 0) list.splice(i, 1);
  },
};
const noneUdf: UdafModule = { create: () => 0, add: () => 0, result: () => null };
const maxProduct: UdafModule = {
  create: () => null,
  add: (acc, a, b) => {
    const p = (a as number) * (b as number);
    return acc === null || p > (acc as number) ? p : acc;
  },
  result: (acc) => acc,
};

test('UDAFs of the Arroyo udaf case give its golden row', (t) => {
  const udafs = { my_median: myMedian, none_udf: noneUdf, max_product: maxProduct };
  const rows: Row[] = Array.from({ length: 100 }, (_, i) => [i, 0]);
  const median = make('my_median', [BIGINT], DOUBLE, {}, udafs);
  const none = make('none_udf', [BIGINT], DOUBLE, {}, udafs);
  const product = make('max_product', [BIGINT, BIGINT], BIGINT, {}, udafs);
  t.is(Math.trunc(resultOf(median, rows) as number), 49);
  t.is(resultOf(none, rows), null);
  t.is(resultOf(product, rows), 0);
  t.true(median.mergeable && median.retractable);
  t.false(product.mergeable || product.retractable);
  // DISTINCT, FILTER and retraction work for UDAFs too; a UDAF name matches case-insensitively.
  const distinct = make(
    'MY_MEDIAN',
    [BIGINT],
    DOUBLE,
    { distinct: true, filter: (r) => (r[0] as number) < 4 },
    udafs,
  );
  t.is(resultOf(distinct, [[1], [1], [1], [3], [9]]), 2);
  let acc = run(median, [[1], [2], [10]]);
  acc = median.retract(acc, [10]);
  t.is(median.result(acc), 1.5);
  t.deepEqual(median.result(median.merge(run(median, [[1]]), run(median, [[5]]))), 3);
});

test('UDAF problems get coded errors', (t) => {
  const udafs = {
    max_product: maxProduct,
    broken: { create: () => 0, result: () => 0 } as unknown as UdafModule,
  };
  const product = make('max_product', [BIGINT, BIGINT], BIGINT, {}, udafs);
  const merge = t.throws(() => product.merge(product.init(), product.init()), { instanceOf: EngineError });
  t.is((merge as EngineError).code, 'AGG_NOT_MERGEABLE');
  const retract = t.throws(() => product.retract(product.init(), [1, 2]), { instanceOf: EngineError });
  t.is((retract as EngineError).code, 'AGG_NOT_RETRACTABLE');
  const planRetract = t.throws(() =>
    make('max_product', [BIGINT, BIGINT], BIGINT, { retractable: true }, udafs),
  );
  t.is((planRetract as EngineError).code, 'AGG_NOT_RETRACTABLE');
  const bad = t.throws(() => make('broken', [BIGINT], BIGINT, {}, udafs));
  t.is((bad as EngineError).code, 'AGG_BAD_UDAF');
  t.regex(bad!.message, /no add\(\)/);
  const throwing = make(
    'oops',
    [BIGINT],
    BIGINT,
    {},
    {
      oops: {
        create: () => 0,
        add: () => {
          throw new Error('boom');
        },
        result: () => 0,
      },
    },
  );
  const failed = t.throws(() => throwing.add(throwing.init(), [1]), { instanceOf: EngineError });
  t.is((failed as EngineError).code, 'UDAF_FAILED');
  t.regex(failed!.message, /oops: add\(\) threw: boom/);
});

// ---------------------------------------------------------------------------------------------------------
// Conformance: Arroyo's every_aggregate over cars.json, grouped by event_type, against its golden final rows.

test('every_aggregate: the final rows of the Arroyo golden', (t) => {
  const dir = '/work/shared/conformance/arroyo/every_aggregate';
  const cars = readFileSync(`${dir}/cars.json`, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { timestamp: string; driver_id: number; event_type: string });
  const golden = new Map<string, Record<string, unknown>>();
  for (const line of readFileSync(`${dir}/golden.json`, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const change = JSON.parse(line) as { after: Record<string, unknown> | null };
    if (change.after) golden.set(change.after.event_type as string, change.after);
  }
  const columns: [string, string, number, DataType][] = [
    ['avg_driver', 'AVG', 1, DOUBLE],
    ['bit_and_driver', 'BIT_AND', 1, BIGINT],
    ['bit_or_driver', 'BIT_OR', 1, BIGINT],
    ['bit_xor_driver', 'BIT_XOR', 1, BIGINT],
    ['cnt', 'COUNT', 0, BIGINT],
    ['max_driver', 'MAX', 1, BIGINT],
    ['median_driver', 'MEDIAN', 1, BIGINT],
    ['min_driver', 'MIN', 1, BIGINT],
    ['sum_driver', 'SUM', 1, BIGINT],
    ['corr_driver_ts', 'CORR', 2, DOUBLE],
    ['covar_pop_driver_ts', 'COVAR_POP', 2, DOUBLE],
    ['covar_samp_driver_ts', 'COVAR_SAMP', 2, DOUBLE],
    ['stddev_driver', 'STDDEV', 1, DOUBLE],
    ['stddev_pop_driver', 'STDDEV_POP', 1, DOUBLE],
    ['var_driver', 'VAR', 1, DOUBLE],
    ['var_pop_driver', 'VAR_POP', 1, DOUBLE],
    ['regr_slope', 'REGR_SLOPE', 2, DOUBLE],
    ['regr_avgx', 'REGR_AVGX', 2, DOUBLE],
    ['regr_avgy', 'REGR_AVGY', 2, DOUBLE],
    ['regr_count', 'REGR_COUNT', 2, DOUBLE],
    ['regr_intercept', 'REGR_INTERCEPT', 2, DOUBLE],
    ['regr_r2', 'REGR_R2', 2, DOUBLE],
    ['regr_sxx', 'REGR_SXX', 2, DOUBLE],
    ['regr_syy', 'REGR_SYY', 2, DOUBLE],
    ['regr_sxy', 'REGR_SXY', 2, DOUBLE],
    ['approx_distinct_driver', 'APPROX_DISTINCT', 1, BIGINT],
    ['approx_median_driver', 'APPROX_MEDIAN', 1, DOUBLE],
  ];
  // Row: [driver_id, extract(epoch FROM timestamp), driver_id > 0]
  const argTypesOf = (n: number) => [BIGINT, DOUBLE].slice(0, n);
  const aggs = columns.map(([, fn, n, type]) => make(fn, argTypesOf(n), type));
  const bools = ['BOOL_AND', 'BOOL_OR'].map((fn) =>
    createAggregator(aggCall(fn, [BOOLEAN], BOOLEAN), [(r) => (r[0] as number) > 0]),
  );
  const groups = new Map<string, unknown[]>();
  for (const car of cars) {
    const row: Row = [car.driver_id, Date.parse(car.timestamp) / 1000];
    let accs = groups.get(car.event_type);
    if (!accs) groups.set(car.event_type, (accs = [...aggs, ...bools].map((a) => a.init())));
    [...aggs, ...bools].forEach((a, i) => {
      accs[i] = a.add(accs[i], row);
    });
  }
  t.deepEqual([...groups.keys()].sort(), [...golden.keys()].sort());
  const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
  for (const [key, accs] of groups) {
    const want = golden.get(key)!;
    columns.forEach(([name], i) => {
      const got = aggs[i]!.result(accs[i]);
      const expected = want[name] as number;
      const value = typeof got === 'number' && columns[i]![3] === DOUBLE ? round4(got) : got;
      // Large sums of squares carry float noise in their last digits (see the conformance README).
      t.true(
        close(value, expected, 1e-9) || close(value, expected, 1e-11 * 1e4),
        `${key}.${name}: ${value} vs ${expected}`,
      );
    });
    t.is(bools[0]!.result(accs[columns.length]), want.bool_and_driver);
    t.is(bools[1]!.result(accs[columns.length + 1]), want.bool_or_driver);
  }
});

test('null_aggregates and aggregates: the Arroyo goldens over impulse counters 0..99', (t) => {
  const value = (c: number) => (c % 3 === 0 ? null : c % 3 === 1 && c % 2 === 0 ? null : c);
  const fns: [string, DataType[], DataType][] = [
    ['COUNT', [], BIGINT],
    ['COUNT', [BIGINT], BIGINT],
    ['MIN', [BIGINT], BIGINT],
    ['MAX', [BIGINT], BIGINT],
    ['SUM', [BIGINT], BIGINT],
    ['AVG', [BIGINT], DOUBLE],
  ];
  const byBucket = [0, 1, 2].map((b) => {
    const rows: Row[] = [];
    for (let c = 0; c < 100; c++) if (c % 3 === b) rows.push([value(c)]);
    return fns.map(([fn, args, type]) => resultOf(make(fn, args, type), rows));
  });
  t.deepEqual(byBucket, [
    [34, 0, null, null, null, null],
    [33, 17, 1, 97, 833, 49],
    [33, 33, 2, 98, 1650, 50],
  ]);
  const all: Row[] = Array.from({ length: 100 }, (_, c) => [c]);
  t.deepEqual(
    fns.slice(2).map(([fn, args, type]) => resultOf(make(fn, args, type), all)),
    [0, 99, 4950, 49.5],
  );
});

testProp(
  'aggregatorList updates every aggregate of a group like the aggregators one by one',
  [fc.array(fc.tuple(int, dbl, str)), fc.array(fc.tuple(int, dbl, str))],
  (t, a, b) => {
    const aggs = [
      make('COUNT', [], BIGINT, { retractable: true }),
      make('SUM', [BIGINT], BIGINT, { retractable: true }),
      createAggregator(aggCall('MAX', [DOUBLE], DOUBLE), [(r) => r[1]], undefined, undefined, {
        retractable: true,
      }),
      createAggregator(
        aggCall('LISTAGG', [VARCHAR], VARCHAR, true),
        [(r) => r[2]],
        (r) => r[0] !== null,
        undefined,
        {
          retractable: true,
        },
      ),
    ];
    const list = aggregatorList(aggs);
    t.is(list.aggregators, aggs);
    const one = (rows: readonly Row[]) => {
      const accs = list.init();
      for (const r of rows) list.add(accs, r);
      return accs;
    };
    const separately = (rows: readonly Row[]) => aggs.map((g) => resultOf(g, rows));
    t.deepEqual(list.results(one([...a, ...b])), separately([...a, ...b]));
    const merged = one(a);
    const accsB = one(b);
    const before = JSON.stringify(accsB);
    list.merge(merged, accsB);
    t.is(JSON.stringify(accsB), before);
    t.deepEqual(list.results(merged), separately([...a, ...b]));
    for (const r of b) list.retract(merged, r);
    t.deepEqual(list.results(merged), separately(a));
    t.deepEqual(aggregatorList([]).results(aggregatorList([]).init()), []);
  },
);
