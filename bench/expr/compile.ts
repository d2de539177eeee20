/**
 * Expression compiler benchmark: a filter + projection over 1 M rows, run by the compiled functions
 * (predicate + projection, and the fused compileCalc) and, as
 * the baseline in the same run, by a naive AST interpreter (one tree walk per row, as an engine without code
 * generation would do). Both share the run-time helpers, so the difference is code generation alone.
 *
 *   node --import tsx bench/expr/compile.ts [rows]      → bench/results/expr.json
 *
 * The query, over rows [term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3), amount DOUBLE]:
 *   SELECT UPPER(term), user_id / 7, FLOOR(ts TO MINUTE),
 *          CASE WHEN amount > 50 THEN 'high' WHEN amount > 20 THEN 'mid' ELSE 'low' END,
 *          CONCAT(ip, '/', CAST(user_id AS VARCHAR)), ROUND(amount * 1.1, 2), COALESCE(term, 'none')
 *   WHERE term LIKE 'fever%' AND user_id % 10 <> 3 AND amount BETWEEN 5 AND 95 AND ip IS NOT NULL
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { DataType, Expr, Span } from '@darq/parser';
import { castFunction } from '../../packages/engine/src/expr/cast.ts';
import * as fns from '../../packages/engine/src/expr/functions.ts';
import {
  compileCalc,
  compilePredicate,
  compileProjection,
  type Row,
} from '../../packages/engine/src/expr/index.ts';
import { floorTime } from '../../packages/engine/src/expr/time.ts';
import { call, cast, columnRef, literal } from '../../packages/parser/src/plan/expr.ts';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 5;

const SPAN: Span = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
const BOOL: DataType = { kind: 'BOOLEAN' };
const BIGINT: DataType = { kind: 'BIGINT' };
const DOUBLE: DataType = { kind: 'DOUBLE' };
const STR: DataType = { kind: 'VARCHAR' };
const TS: DataType = { kind: 'TIMESTAMP', precision: 3, ltz: false };
const lit = (v: number | string, t: DataType) => literal(v, t, SPAN);
const fn = (name: string, t: DataType, ...args: Expr[]) => call(name, args, t, SPAN);

const term = columnRef(0, 'term', STR, SPAN);
const userId = columnRef(1, 'user_id', BIGINT, SPAN);
const ip = columnRef(2, 'ip', STR, SPAN);
const ts = columnRef(3, 'ts', TS, SPAN);
const amount = columnRef(4, 'amount', DOUBLE, SPAN);

const where = fn(
  'AND',
  BOOL,
  fn(
    'AND',
    BOOL,
    fn(
      'AND',
      BOOL,
      fn('LIKE', BOOL, term, lit('fever%', STR)),
      fn('<>', BOOL, fn('%', BIGINT, userId, lit(10, BIGINT)), lit(3, BIGINT)),
    ),
    fn('BETWEEN', BOOL, amount, lit(5, DOUBLE), lit(95, DOUBLE)),
  ),
  fn('IS_NOT_NULL', BOOL, ip),
);
const select: Expr[] = [
  fn('UPPER', STR, term),
  fn('/', BIGINT, userId, lit(7, BIGINT)),
  fn('FLOOR_TIME', TS, ts, lit('MINUTE', STR)),
  {
    kind: 'Case',
    whens: [
      { when: fn('>', BOOL, amount, lit(50, DOUBLE)), result: lit('high', STR) },
      { when: fn('>', BOOL, amount, lit(20, DOUBLE)), result: lit('mid', STR) },
    ],
    else: lit('low', STR),
    type: STR,
    span: SPAN,
  },
  fn('CONCAT', STR, ip, lit('/', STR), cast(userId, STR)),
  fn('ROUND', DOUBLE, fn('*', DOUBLE, amount, lit(1.1, DOUBLE)), lit(2, BIGINT)),
  fn('COALESCE', STR, term, lit('none', STR)),
];

// ---------------------------------------------------------------------------------------------------------
// The baseline: a straightforward interpreter, walking the tree for every row

const casts = new WeakMap<Expr, ((v: unknown) => unknown) | null>();
const floors = new Map<string, (ms: number) => number | null>();
function floorOf(unit: 'MINUTE'): (ms: number) => number | null {
  let f = floors.get(unit);
  if (f === undefined) floors.set(unit, (f = floorTime(unit)));
  return f;
}

function evaluate(e: Expr, row: Row): unknown {
  switch (e.kind) {
    case 'ColumnRef':
      return row[e.index] ?? null;
    case 'Literal':
      return e.value;
    case 'Cast': {
      const v = evaluate(e.expr, row);
      let f = casts.get(e);
      if (f === undefined) casts.set(e, (f = castFunction(e.expr.type, e.to)));
      return v === null ? null : f === null ? v : f(v);
    }
    case 'Case': {
      for (const w of e.whens) if (evaluate(w.when, row) === true) return evaluate(w.result, row);
      return e.else === undefined ? null : evaluate(e.else, row);
    }
    case 'Call': {
      if (e.fn === 'AND') {
        const a = evaluate(e.args[0]!, row);
        if (a === false) return false;
        const b = evaluate(e.args[1]!, row);
        return b === false ? false : a === null || b === null ? null : true;
      }
      if (e.fn === 'COALESCE') {
        for (const x of e.args) {
          const v = evaluate(x, row);
          if (v !== null) return v;
        }
        return null;
      }
      const args = e.args.map((x) => evaluate(x, row));
      if (e.fn === 'IS_NOT_NULL') return args[0] !== null;
      if (args.some((v) => v === null)) return null;
      const [a, b, c] = args as [never, never, never];
      switch (e.fn) {
        case 'LIKE':
          return fns.like(a, b);
        case '%':
          return (a % b) + 0;
        case '/':
          return Math.trunc(a / b) + 0;
        case '*':
          return a * b;
        case '<>':
          return a !== b;
        case '>':
          return a > b;
        case 'BETWEEN':
          return a >= b && a <= c;
        case 'UPPER':
          return (a as string).toUpperCase();
        case 'FLOOR_TIME':
          return floorOf(b)(a);
        case 'CONCAT':
          return args.join('');
        case 'ROUND':
          return fns.round(a, b);
        default:
          throw new Error(`interpreter: no ${e.fn}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

function makeRows(n: number): Row[] {
  const terms = ['fever', 'fever blister', 'flu', 'feverfew', 'cough', null];
  const rows: Row[] = new Array(n);
  let seed = 12345;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    return (seed >>> 8) / 16777216;
  };
  for (let i = 0; i < n; i++) {
    rows[i] = [
      terms[Math.floor(next() * terms.length)]!,
      Math.floor(next() * 1_000_000),
      next() < 0.02 ? null : `10.${i % 256}.${(i >> 8) % 256}.1`,
      1_700_000_000_000 + i * 7,
      Math.round(next() * 10000) / 100,
    ];
  }
  return rows;
}

function runCompiled(rows: Row[], pred: (r: Row) => boolean, proj: (r: Row) => Row): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (pred(r)) out.push(proj(r));
  }
  return out;
}

function runFused(rows: Row[], calc: (r: Row) => Row | null): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < rows.length; i++) {
    const o = calc(rows[i]!);
    if (o !== null) out.push(o);
  }
  return out;
}

function runInterpreted(rows: Row[]): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (evaluate(where, r) === true) out.push(select.map((e) => evaluate(e, r)));
  }
  return out;
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const rows = makeRows(ROWS);
const [[pred, proj], compileMs] = time(() => [compilePredicate(where), compileProjection(select)] as const);
const calc = compileCalc(where, select);

const check = JSON.stringify(runCompiled(rows.slice(0, 50_000), pred, proj));
if (
  check !== JSON.stringify(runInterpreted(rows.slice(0, 50_000))) ||
  check !== JSON.stringify(runFused(rows.slice(0, 50_000), calc))
) {
  throw new Error('compiled and interpreted results differ: fix before measuring');
}

const fusedMs: number[] = [];
const compiledMs: number[] = [];
const interpretedMs: number[] = [];
let selected = 0;
for (let run = 0; run < RUNS; run++) {
  // Alternate the order so that neither side always runs on a warmer (or more fragmented) heap.
  const first = run % 2 === 0;
  const b = first ? null : time(() => runInterpreted(rows));
  const a = time(() => runCompiled(rows, pred, proj));
  const f = time(() => runFused(rows, calc));
  const c = b ?? time(() => runInterpreted(rows));
  selected = a[0].length;
  compiledMs.push(a[1]);
  fusedMs.push(f[1]);
  interpretedMs.push(c[1]);
}

const rate = (ms: number) => Math.round(ROWS / (ms / 1000));
const result = {
  benchmark: 'expr/compile: filter + projection, compiled vs AST interpreter (same helpers)',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  // Other work on the machine skews absolute figures; the ratio is measured in the same run.
  loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  rows: ROWS,
  selectedRows: selected,
  runs: RUNS,
  compileMs: Math.round(compileMs * 1000) / 1000,
  compiled: {
    medianMs: Math.round(median(compiledMs)),
    rowsPerSec: rate(median(compiledMs)),
    allMs: compiledMs.map(Math.round),
  },
  compiledFusedCalc: {
    medianMs: Math.round(median(fusedMs)),
    rowsPerSec: rate(median(fusedMs)),
    allMs: fusedMs.map(Math.round),
  },
  baselineInterpreter: {
    medianMs: Math.round(median(interpretedMs)),
    rowsPerSec: rate(median(interpretedMs)),
    allMs: interpretedMs.map(Math.round),
  },
  speedup: Math.round((median(interpretedMs) / median(compiledMs)) * 100) / 100,
  speedupFused: Math.round((median(interpretedMs) / median(fusedMs)) * 100) / 100,
};
writeFileSync(new URL('../results/expr.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
