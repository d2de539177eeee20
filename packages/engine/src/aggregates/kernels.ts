import type { DataType } from '@darq/parser';
import { EngineError } from '../errors.ts';
import { msDelete, msEntries, msGet, msInsert } from './multiset.ts';
import {
  bitAnd,
  bitOr,
  bitsFromCounts,
  bitXor,
  countBits,
  isExactIntegerType,
  lessThan,
  numericCoercion,
  sameValue,
  valueKey,
} from './values.ts';

/**
 * The part of an aggregate function that works on argument values (the Aggregator around it evaluates the
 * argument functions, FILTER and DISTINCT). `x` and `y` are the first two arguments (`undefined` when
 * absent); functions of more arguments (UDAFs, COUNT(a, b, c)) receive all of them packed in `x`.
 * `merge` may mutate and return `a`; it never mutates `b` nor lets the result share mutable parts of `b`.
 */
export interface Kernel<A> {
  readonly retractable: boolean;
  readonly mergeable: boolean;
  init(): A;
  add(acc: A, x: unknown, y: unknown): A;
  retract(acc: A, x: unknown, y: unknown): A;
  merge(a: A, b: A): A;
  result(acc: A): unknown;
}

export interface KernelContext {
  /** Upper-case function name as written in the error messages. */
  readonly fn: string;
  readonly argTypes: readonly DataType[];
  readonly resultType: DataType;
  /** Keep the state needed to retract (multisets for MIN/MAX, value lists for FIRST/LAST_VALUE…). */
  readonly retractable: boolean;
  /** More than two arguments: they arrive packed in `x`. */
  readonly packed: boolean;
}

export type KernelFactory = (ctx: KernelContext) => Kernel<unknown>;

/** Arity bounds of each builtin, for the error an analyzer bug (or a hand-built plan) would get. */
export interface BuiltinInfo {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly create: KernelFactory;
  /** Evaluated with DISTINCT whatever the call says (APPROX_DISTINCT is an exact distinct count here). */
  readonly forceDistinct?: boolean;
}

export function notRetractable(fn: string, why: string): EngineError {
  return new EngineError(
    'AGG_NOT_RETRACTABLE',
    'internal',
    `${fn} cannot retract a row: ${why}. An aggregate over an updating input (-U/-D rows) must be created ` +
      `with createAggregator(..., { retractable: true }).`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// COUNT

const countKernel: KernelFactory = (ctx) => {
  if (ctx.argTypes.length === 0) {
    return {
      retractable: true,
      mergeable: true,
      init: () => 0,
      add: (acc) => (acc as number) + 1,
      retract: (acc) => (acc as number) - 1,
      merge: (a, b) => (a as number) + (b as number),
      result: (acc) => acc,
    };
  }
  const present = ctx.packed
    ? (x: unknown) => (x as unknown[]).every((v) => v != null)
    : (x: unknown) => x != null;
  return {
    retractable: true,
    mergeable: true,
    init: () => 0,
    add: (acc, x) => (present(x) ? (acc as number) + 1 : acc),
    retract: (acc, x) => (present(x) ? (acc as number) - 1 : acc),
    merge: (a, b) => (a as number) + (b as number),
    result: (acc) => acc,
  };
};

// ---------------------------------------------------------------------------------------------------------
// SUM and AVG: exact inputs sum plainly (exact up to 2^53); DOUBLE/DECIMAL inputs use Neumaier's
// compensated summation, so long sums and add-then-retract sequences do not drift.

/** [sum, compensation, count of non-null values] */
type SumAcc = [number, number, number];

function neumaier(acc: SumAcc, x: number): void {
  const s = acc[0];
  const t = s + x;
  if (Number.isFinite(t)) {
    acc[1] += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
  }
  acc[0] = t;
}

function sumLike(avg: boolean): KernelFactory {
  return (ctx) => {
    const exact = ctx.argTypes[0] !== undefined && isExactIntegerType(ctx.argTypes[0]);
    const coerce = numericCoercion(ctx.resultType);
    const total = (acc: SumAcc) => (Number.isFinite(acc[0]) ? acc[0] + acc[1] : acc[0]);
    const result = (acc: SumAcc): unknown => {
      if (acc[2] === 0) return null;
      const v = avg ? total(acc) / acc[2] : total(acc);
      return coerce ? coerce(v) : v;
    };
    const kernel: Kernel<SumAcc> = exact
      ? {
          retractable: true,
          mergeable: true,
          init: () => [0, 0, 0],
          add(acc, x) {
            if (x == null) return acc;
            acc[0] += x as number;
            acc[2]++;
            return acc;
          },
          retract(acc, x) {
            if (x == null) return acc;
            acc[0] -= x as number;
            if (--acc[2] === 0) acc[0] = 0;
            return acc;
          },
          merge(a, b) {
            a[0] += b[0];
            a[2] += b[2];
            return a;
          },
          result,
        }
      : {
          retractable: true,
          mergeable: true,
          init: () => [0, 0, 0],
          add(acc, x) {
            if (x == null) return acc;
            neumaier(acc, x as number);
            acc[2]++;
            return acc;
          },
          retract(acc, x) {
            if (x == null) return acc;
            if (--acc[2] === 0) {
              acc[0] = 0;
              acc[1] = 0;
            } else {
              neumaier(acc, -(x as number));
            }
            return acc;
          },
          merge(a, b) {
            neumaier(a, b[0]);
            neumaier(a, b[1]);
            a[2] += b[2];
            return a;
          },
          result,
        };
    return kernel as Kernel<unknown>;
  };
}

// ---------------------------------------------------------------------------------------------------------
// MIN and MAX. Append-only form: the extreme value itself. Retractable form: a multiset value → count plus
// the cached extreme; only retracting the last copy of the extreme rescans the multiset.

interface ExtremeMultiset {
  /** valueKey(v) → [count, v] */
  m: Record<string, [number, unknown]>;
  /** the current extreme, or null */
  b: unknown;
}

function extreme(isMax: boolean): KernelFactory {
  const better = isMax ? (a: unknown, b: unknown) => lessThan(b, a) : lessThan;
  return (ctx) => {
    if (!ctx.retractable) {
      const kernel: Kernel<unknown> = {
        retractable: false,
        mergeable: true,
        init: () => null,
        // The comparison is written out (not `better`) so the hot path is one small inlinable function.
        add: isMax
          ? (acc, x) => (x == null ? acc : acc === null || (acc as number) < (x as number) ? x : acc)
          : (acc, x) => (x == null ? acc : acc === null || (x as number) < (acc as number) ? x : acc),
        retract() {
          throw notRetractable(ctx.fn, 'the append-only form keeps only the current extreme');
        },
        merge: (a, b) => (b === null ? a : a === null || better(b, a) ? b : a),
        result: copyOut,
      };
      return kernel;
    }
    const rescan = (acc: ExtremeMultiset) => {
      let best: unknown = null;
      for (const e of msEntries(acc.m)) {
        if (best === null || better(e[1], best)) best = e[1];
      }
      acc.b = best;
    };
    const kernel: Kernel<ExtremeMultiset> = {
      retractable: true,
      mergeable: true,
      init: () => ({ m: {}, b: null }),
      add(acc, x) {
        if (x == null) return acc;
        const e = msGet(acc.m, x);
        if (e) e[0]++;
        else msInsert<[number, unknown]>(acc.m, x, [1, x]);
        if (acc.b === null || better(x, acc.b)) acc.b = x;
        return acc;
      },
      retract(acc, x) {
        if (x == null) return acc;
        const e = msGet(acc.m, x);
        if (!e) return acc; // retracting a value never added: nothing to undo (an upstream bug; keep going)
        if (--e[0] === 0) {
          msDelete(acc.m, x);
          if (sameValue(acc.b, x)) rescan(acc);
        }
        return acc;
      },
      merge(a, b) {
        for (const eb of msEntries(b.m)) {
          const ea = msGet(a.m, eb[1]);
          if (ea) ea[0] += eb[0];
          else msInsert<[number, unknown]>(a.m, eb[1], [eb[0], eb[1]]);
        }
        if (b.b !== null && (a.b === null || better(b.b, a.b))) a.b = b.b;
        return a;
      },
      result: (acc) => copyOut(acc.b),
    };
    return kernel as Kernel<unknown>;
  };
}

// ---------------------------------------------------------------------------------------------------------
// FIRST_VALUE and LAST_VALUE (NULLs ignored, as Flink). Append-only form: one value; retractable form: the
// non-null values in arrival order (retract removes the oldest equal value).

function firstLast(last: boolean): KernelFactory {
  return (ctx) => {
    if (!ctx.retractable) {
      const kernel: Kernel<unknown> = {
        retractable: false,
        mergeable: true,
        init: () => null,
        add: last ? (acc, x) => (x == null ? acc : x) : (acc, x) => (acc === null && x != null ? x : acc),
        retract() {
          throw notRetractable(ctx.fn, 'the append-only form keeps only one value');
        },
        merge: last ? (a, b) => (b === null ? a : b) : (a, b) => (a === null ? b : a),
        result: copyOut,
      };
      return kernel;
    }
    const kernel: Kernel<unknown[]> = {
      retractable: true,
      mergeable: true,
      init: () => [],
      add(acc, x) {
        if (x != null) acc.push(x);
        return acc;
      },
      retract(acc, x) {
        if (x != null) removeFirst(acc, x);
        return acc;
      },
      merge: appendAll,
      result: last
        ? (acc) => (acc.length === 0 ? null : copyOut(acc[acc.length - 1]))
        : (acc) => copyOut(acc[0] ?? null),
    };
    return kernel as Kernel<unknown>;
  };
}

/** An ARRAY or ROW value leaves as a copy, so a caller changing a result cannot change the accumulator. */
function copyOut(v: unknown): unknown {
  return Array.isArray(v) ? structuredClone(v) : v;
}

function appendAll(a: unknown[], b: readonly unknown[]): unknown[] {
  for (const v of b) a.push(v);
  return a;
}

/** Removes the first element equal (as a SQL value) to `x`; returns whether one was found. */
function removeFirst(list: unknown[], x: unknown): boolean {
  let i = list.indexOf(x);
  if (i < 0 && (typeof x === 'object' || Number.isNaN(x))) {
    const k = valueKey(x);
    i = list.findIndex((v) => valueKey(v) === k);
  }
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Variance family (Welford's online algorithm; Chan et al. to merge; the inverse update to retract).

/** [count, mean, sum of squared deviations] */
type MomentAcc = [number, number, number];

function variance(kind: 'VAR_POP' | 'VAR_SAMP' | 'STDDEV_POP' | 'STDDEV_SAMP'): KernelFactory {
  return (ctx) => {
    const coerce = numericCoercion(ctx.resultType);
    const sample = kind === 'VAR_SAMP' || kind === 'STDDEV_SAMP';
    const root = kind === 'STDDEV_POP' || kind === 'STDDEV_SAMP';
    const kernel: Kernel<MomentAcc> = {
      retractable: true,
      mergeable: true,
      init: () => [0, 0, 0],
      add(acc, x) {
        if (x == null) return acc;
        const v = x as number;
        const n = ++acc[0];
        const d = v - acc[1];
        acc[1] += d / n;
        acc[2] += d * (v - acc[1]);
        return acc;
      },
      retract(acc, x) {
        if (x == null) return acc;
        const v = x as number;
        const n = --acc[0];
        if (n <= 0) {
          acc[0] = 0;
          acc[1] = 0;
          acc[2] = 0;
          return acc;
        }
        const mean = acc[1];
        const prev = mean - (v - mean) / n;
        acc[2] -= (v - prev) * (v - mean);
        acc[1] = prev;
        return acc;
      },
      merge(a, b) {
        if (b[0] === 0) return a;
        if (a[0] === 0) {
          a[0] = b[0];
          a[1] = b[1];
          a[2] = b[2];
          return a;
        }
        const n = a[0] + b[0];
        const d = b[1] - a[1];
        a[2] += b[2] + (d * d * a[0] * b[0]) / n;
        a[1] += (d * b[0]) / n;
        a[0] = n;
        return a;
      },
      result(acc) {
        const n = acc[0];
        if (n === 0 || (sample && n < 2)) return null;
        const m2 = Math.max(0, acc[2]);
        const v = sample ? m2 / (n - 1) : m2 / n;
        const r = root ? Math.sqrt(v) : v;
        return coerce ? coerce(r) : r;
      },
    };
    return kernel as Kernel<unknown>;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Covariance, correlation and the REGR_* family. Arguments are (y, x), as in the SQL standard; rows where
// either is NULL are skipped. Co-moments are kept Welford-style.

/** [count, mean x, mean y, Sxx, Syy, Sxy] */
type CoMomentAcc = [number, number, number, number, number, number];

type CoMomentResult =
  | 'CORR'
  | 'COVAR_POP'
  | 'COVAR_SAMP'
  | 'REGR_COUNT'
  | 'REGR_AVGX'
  | 'REGR_AVGY'
  | 'REGR_SXX'
  | 'REGR_SYY'
  | 'REGR_SXY'
  | 'REGR_SLOPE'
  | 'REGR_INTERCEPT'
  | 'REGR_R2';

function coMomentResult(kind: CoMomentResult, a: CoMomentAcc): number | null {
  const [n, mx, my, sxx, syy, sxy] = a;
  if (kind === 'REGR_COUNT') return n;
  if (n === 0) return null;
  switch (kind) {
    case 'COVAR_POP':
      return sxy / n;
    case 'COVAR_SAMP':
      return n < 2 ? null : sxy / (n - 1);
    case 'CORR':
      return sxx <= 0 || syy <= 0 ? null : sxy / Math.sqrt(sxx * syy);
    case 'REGR_AVGX':
      return mx;
    case 'REGR_AVGY':
      return my;
    case 'REGR_SXX':
      return Math.max(0, sxx);
    case 'REGR_SYY':
      return Math.max(0, syy);
    case 'REGR_SXY':
      return sxy;
    case 'REGR_SLOPE':
      return sxx <= 0 ? null : sxy / sxx;
    case 'REGR_INTERCEPT':
      return sxx <= 0 ? null : my - (mx * sxy) / sxx;
    case 'REGR_R2':
      return sxx <= 0 ? null : syy <= 0 ? 1 : (sxy * sxy) / (sxx * syy);
  }
}

function coMoment(kind: CoMomentResult): KernelFactory {
  return (ctx) => {
    const coerce = numericCoercion(ctx.resultType);
    const kernel: Kernel<CoMomentAcc> = {
      retractable: true,
      mergeable: true,
      init: () => [0, 0, 0, 0, 0, 0],
      add(acc, y, x) {
        if (x == null || y == null) return acc;
        const vx = x as number;
        const vy = y as number;
        const n = ++acc[0];
        const dx = vx - acc[1];
        const dy = vy - acc[2];
        acc[1] += dx / n;
        acc[2] += dy / n;
        acc[3] += dx * (vx - acc[1]);
        acc[4] += dy * (vy - acc[2]);
        acc[5] += dx * (vy - acc[2]);
        return acc;
      },
      retract(acc, y, x) {
        if (x == null || y == null) return acc;
        const vx = x as number;
        const vy = y as number;
        const n = --acc[0];
        if (n <= 0) {
          acc.fill(0);
          return acc;
        }
        const mx = acc[1];
        const my = acc[2];
        const px = mx - (vx - mx) / n;
        const py = my - (vy - my) / n;
        acc[3] -= (vx - px) * (vx - mx);
        acc[4] -= (vy - py) * (vy - my);
        acc[5] -= (vx - px) * (vy - my);
        acc[1] = px;
        acc[2] = py;
        return acc;
      },
      merge(a, b) {
        if (b[0] === 0) return a;
        if (a[0] === 0) {
          for (let i = 0; i < 6; i++) a[i] = b[i]!;
          return a;
        }
        const n = a[0] + b[0];
        const dx = b[1] - a[1];
        const dy = b[2] - a[2];
        const w = (a[0] * b[0]) / n;
        a[3] += b[3] + dx * dx * w;
        a[4] += b[4] + dy * dy * w;
        a[5] += b[5] + dx * dy * w;
        a[1] += (dx * b[0]) / n;
        a[2] += (dy * b[0]) / n;
        a[0] = n;
        return a;
      },
      result(acc) {
        const r = coMomentResult(kind, acc);
        return r === null || !coerce ? r : coerce(r);
      },
    };
    return kernel as Kernel<unknown>;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Collections: ARRAY_AGG (keeps NULLs, as the SQL standard), LISTAGG (skips NULLs), MEDIAN.

const arrayAggKernel: KernelFactory = () => {
  const kernel: Kernel<unknown[]> = {
    retractable: true,
    mergeable: true,
    init: () => [],
    add(acc, x) {
      acc.push(x ?? null);
      return acc;
    },
    retract(acc, x) {
      removeFirst(acc, x ?? null);
      return acc;
    },
    merge: appendAll,
    // A copy: the caller may keep or change the result without touching the accumulator.
    result: (acc) => (acc.length === 0 ? null : acc.map(copyOut)),
  };
  return kernel as Kernel<unknown>;
};

/** [values, separator of the latest row (null until one is seen)] */
type ListAggAcc = [string[], string | null];

const listAggKernel: KernelFactory = () => {
  const kernel: Kernel<ListAggAcc> = {
    retractable: true,
    mergeable: true,
    init: () => [[], null],
    add(acc, x, sep) {
      if (x == null) return acc;
      acc[0].push(String(x));
      if (sep != null) acc[1] = String(sep);
      return acc;
    },
    retract(acc, x) {
      if (x != null) removeFirst(acc[0], String(x));
      return acc;
    },
    merge(a, b) {
      appendAll(a[0], b[0]);
      if (b[1] !== null) a[1] = b[1];
      return a;
    },
    result: (acc) => (acc[0].length === 0 ? null : acc[0].join(acc[1] ?? ',')),
  };
  return kernel as Kernel<unknown>;
};

/**
 * APPROX_PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x) — arguments (p, x) — computed exactly: the continuous
 * percentile, interpolating linearly between the two nearest values.
 */
function percentileKernel(ctx: KernelContext): Kernel<unknown> {
  const kernel: Kernel<[number[], number | null]> = {
    retractable: true,
    mergeable: true,
    init: () => [[], null],
    add(acc, p, x) {
      if (p != null) acc[1] = p as number;
      if (x != null) acc[0].push(x as number);
      return acc;
    },
    retract(acc, _p, x) {
      if (x != null) removeFirst(acc[0], x);
      return acc;
    },
    merge(a, b) {
      appendAll(a[0], b[0]);
      if (b[1] !== null) a[1] = b[1];
      return a;
    },
    result(acc) {
      const v = acc[0];
      const p = acc[1];
      if (v.length === 0 || p === null) return null;
      v.sort((a, b) => a - b);
      const rank = p * (v.length - 1);
      const lo = Math.floor(rank);
      const hi = Math.ceil(rank);
      return v[lo]! + (v[hi]! - v[lo]!) * (rank - lo);
    },
  };
  void ctx;
  return kernel as Kernel<unknown>;
}

/**
 * APPROX_PERCENTILE_CONT_WITH_WEIGHT(w, p) WITHIN GROUP (ORDER BY x) — arguments packed (w, p, x) — computed
 * exactly: the smallest x whose cumulative weight reaches p of the total.
 */
function weightedPercentileKernel(ctx: KernelContext): Kernel<unknown> {
  const kernel: Kernel<[[number, number][], number | null]> = {
    retractable: true,
    mergeable: true,
    init: () => [[], null],
    add(acc, packed) {
      const [w, p, x] = packed as [number | null, number | null, number | null];
      if (p != null) acc[1] = p;
      if (x != null && w != null) acc[0].push([x, w]);
      return acc;
    },
    retract(acc, packed) {
      const [w, , x] = packed as [number | null, number | null, number | null];
      const i = acc[0].findIndex(([a, b]) => a === x && b === w);
      if (i >= 0) acc[0].splice(i, 1);
      return acc;
    },
    merge(a, b) {
      for (const e of b[0]) a[0].push(e);
      if (b[1] !== null) a[1] = b[1];
      return a;
    },
    result(acc) {
      const v = acc[0];
      const p = acc[1];
      if (v.length === 0 || p === null) return null;
      v.sort((a, b) => a[0] - b[0]);
      const total = v.reduce((s, [, w]) => s + w, 0);
      let cum = 0;
      for (const [x, w] of v) {
        cum += w;
        if (cum >= p * total) return x;
      }
      return v[v.length - 1]![0];
    },
  };
  void ctx;
  return kernel as Kernel<unknown>;
}

/** MEDIAN keeps every non-null value; `result` sorts them in place (the order inside is unspecified). */
function medianKernel(ctx: KernelContext): Kernel<unknown> {
  const coerce = numericCoercion(ctx.resultType);
  const kernel: Kernel<number[]> = {
    retractable: true,
    mergeable: true,
    init: () => [],
    add(acc, x) {
      if (x != null) acc.push(x as number);
      return acc;
    },
    retract(acc, x) {
      if (x != null) removeFirst(acc, x);
      return acc;
    },
    merge: (a, b) => appendAll(a, b) as number[],
    result(acc) {
      const n = acc.length;
      if (n === 0) return null;
      acc.sort((p, q) => p - q);
      const mid = n >> 1;
      const v = n % 2 === 1 ? acc[mid]! : (acc[mid - 1]! + acc[mid]!) / 2;
      return coerce ? coerce(v) : v;
    },
  };
  return kernel as Kernel<unknown>;
}

// ---------------------------------------------------------------------------------------------------------
// BOOL_AND / BOOL_OR: counts of TRUE and FALSE (NULLs skipped), so they retract and merge.

function boolKernel(isAnd: boolean): KernelFactory {
  return () => {
    const kernel: Kernel<[number, number]> = {
      retractable: true,
      mergeable: true,
      init: () => [0, 0],
      add(acc, x) {
        if (x === true) acc[0]++;
        else if (x === false) acc[1]++;
        return acc;
      },
      retract(acc, x) {
        if (x === true) acc[0]--;
        else if (x === false) acc[1]--;
        return acc;
      },
      merge(a, b) {
        a[0] += b[0];
        a[1] += b[1];
        return a;
      },
      result: (acc) => (acc[0] + acc[1] === 0 ? null : isAnd ? acc[1] === 0 : acc[0] > 0),
    };
    return kernel as Kernel<unknown>;
  };
}

// ---------------------------------------------------------------------------------------------------------
// BIT_AND / BIT_OR / BIT_XOR over 64-bit two's complement integers.

function bitAndOr(isAnd: boolean): KernelFactory {
  return (ctx) => {
    const op = isAnd ? bitAnd : bitOr;
    if (!ctx.retractable) {
      const kernel: Kernel<unknown> = {
        retractable: false,
        mergeable: true,
        init: () => null,
        add: (acc, x) =>
          x == null ? acc : acc === null ? Math.trunc(x as number) : op(acc as number, x as number),
        retract() {
          throw notRetractable(ctx.fn, 'the append-only form keeps only the combined bits');
        },
        merge: (a, b) => (b === null ? a : a === null ? b : op(a as number, b as number)),
        result: (acc) => acc,
      };
      return kernel;
    }
    // Retractable form: the number of values and, per bit, how many values have it set.
    const kernel: Kernel<{ n: number; c: number[] }> = {
      retractable: true,
      mergeable: true,
      init: () => ({ n: 0, c: [] }),
      add(acc, x) {
        if (x == null) return acc;
        acc.n++;
        countBits(acc.c, x as number, 1);
        return acc;
      },
      retract(acc, x) {
        if (x == null) return acc;
        acc.n--;
        countBits(acc.c, x as number, -1);
        return acc;
      },
      merge(a, b) {
        a.n += b.n;
        for (let i = 0; i < b.c.length; i++) a.c[i] = (a.c[i] ?? 0) + (b.c[i] ?? 0);
        return a;
      },
      result(acc) {
        if (acc.n === 0) return null;
        const n = acc.n;
        return bitsFromCounts(acc.c, isAnd ? (c) => c === n : (c) => c > 0);
      },
    };
    return kernel as Kernel<unknown>;
  };
}

const bitXorKernel: KernelFactory = () => {
  /** [xor of the values, count of non-null values] */
  const kernel: Kernel<[number, number]> = {
    retractable: true,
    mergeable: true,
    init: () => [0, 0],
    add(acc, x) {
      if (x == null) return acc;
      acc[0] = bitXor(acc[0], x as number);
      acc[1]++;
      return acc;
    },
    retract(acc, x) {
      if (x == null) return acc;
      acc[0] = bitXor(acc[0], x as number);
      acc[1]--;
      return acc;
    },
    merge(a, b) {
      a[0] = bitXor(a[0], b[0]);
      a[1] += b[1];
      return a;
    },
    result: (acc) => (acc[1] === 0 ? null : acc[0]),
  };
  return kernel as Kernel<unknown>;
};

// ---------------------------------------------------------------------------------------------------------

const one = (create: KernelFactory): BuiltinInfo => ({ minArgs: 1, maxArgs: 1, create });
const two = (create: KernelFactory): BuiltinInfo => ({ minArgs: 2, maxArgs: 2, create });

/** Builtin aggregate functions by upper-case name. */
export const BUILTINS: Readonly<Record<string, BuiltinInfo>> = {
  COUNT: { minArgs: 0, maxArgs: Number.POSITIVE_INFINITY, create: countKernel },
  SUM: one(sumLike(false)),
  AVG: one(sumLike(true)),
  MIN: one(extreme(false)),
  MAX: one(extreme(true)),
  FIRST_VALUE: one(firstLast(false)),
  LAST_VALUE: one(firstLast(true)),
  ANY_VALUE: one(firstLast(false)),
  STDDEV: one(variance('STDDEV_SAMP')),
  STDDEV_SAMP: one(variance('STDDEV_SAMP')),
  STDDEV_POP: one(variance('STDDEV_POP')),
  VARIANCE: one(variance('VAR_SAMP')),
  VAR: one(variance('VAR_SAMP')),
  VAR_SAMP: one(variance('VAR_SAMP')),
  VAR_POP: one(variance('VAR_POP')),
  ARRAY_AGG: one(arrayAggKernel),
  LISTAGG: { minArgs: 1, maxArgs: 2, create: listAggKernel },
  STRING_AGG: { minArgs: 1, maxArgs: 2, create: listAggKernel },
  BOOL_AND: one(boolKernel(true)),
  EVERY: one(boolKernel(true)),
  BOOL_OR: one(boolKernel(false)),
  BIT_AND: one(bitAndOr(true)),
  BIT_OR: one(bitAndOr(false)),
  BIT_XOR: one(bitXorKernel),
  MEDIAN: one(medianKernel),
  APPROX_MEDIAN: one(medianKernel),
  APPROX_PERCENTILE_CONT: two(percentileKernel),
  APPROX_PERCENTILE_CONT_WITH_WEIGHT: { minArgs: 3, maxArgs: 3, create: weightedPercentileKernel },
  APPROX_DISTINCT: { minArgs: 1, maxArgs: 1, create: countKernel, forceDistinct: true },
  CORR: two(coMoment('CORR')),
  COVAR_POP: two(coMoment('COVAR_POP')),
  COVAR_SAMP: two(coMoment('COVAR_SAMP')),
  REGR_COUNT: two(coMoment('REGR_COUNT')),
  REGR_AVGX: two(coMoment('REGR_AVGX')),
  REGR_AVGY: two(coMoment('REGR_AVGY')),
  REGR_SXX: two(coMoment('REGR_SXX')),
  REGR_SYY: two(coMoment('REGR_SYY')),
  REGR_SXY: two(coMoment('REGR_SXY')),
  REGR_SLOPE: two(coMoment('REGR_SLOPE')),
  REGR_INTERCEPT: two(coMoment('REGR_INTERCEPT')),
  REGR_R2: two(coMoment('REGR_R2')),
};
