import type { AggCall, Span } from '@darq/parser';
import { EngineError, PlanError } from '../errors.ts';
import { BUILTINS, type Kernel, type KernelContext } from './kernels.ts';
import { type MultisetRecord, msDelete, msEntries, msGet, msInsert } from './multiset.ts';

export { tupleKey, valueKey } from './values.ts';

export type Row = unknown[];

/**
 * One aggregate call of a GROUP BY, window or OVER aggregate, bound to its compiled arguments.
 *
 * Accumulators are plain data (numbers, strings, booleans, null, arrays, plain objects whose keys start with
 * a letter) that survive a msgpackr `pack`/`unpack` round trip unchanged, so the engine can persist them in
 * state after every step. `add`, `retract` and `merge` may mutate their first argument and return it (always
 * use the returned value); `merge` never mutates its second argument nor shares its mutable parts.
 *
 * ```ts
 * const agg = createAggregator(sumCall, [(row) => row[1]]);   // SUM(amount)
 * let acc = agg.init();
 * for (const row of rows) acc = agg.add(acc, row);
 * agg.result(acc);                                             // 42, or null when no amount was non-null
 * ```
 */
export interface Aggregator<Acc = unknown> {
  /** The output column name (`AggCall.name`). */
  readonly name: string;
  /** The function, upper-case for builtins (`COUNT`), as declared for UDAFs. */
  readonly fn: string;
  /** False when `retract` throws (append-only form, or a UDAF without `retract`). */
  readonly retractable: boolean;
  /** False when `merge` throws (a UDAF without `merge`). */
  readonly mergeable: boolean;
  init(): Acc;
  /** Adds one input row; applies FILTER and DISTINCT itself. */
  add(acc: Acc, row: Row): Acc;
  /** Removes one input row added before (a -U or -D row of an updating input). */
  retract(acc: Acc, row: Row): Acc;
  /** Combines the accumulators of two disjoint parts of the input, `a` covering the earlier rows. */
  merge(a: Acc, b: Acc): Acc;
  /** The SQL value, in the runtime representation of `AggCall.type`; never shares state with `acc`. */
  result(acc: Acc): unknown;
}

/**
 * A user-defined aggregate function (UDAF), as exported by a module named in `CREATE FUNCTION`.
 * `create` returns an empty accumulator; `add(acc, ...args)` returns the new accumulator (or `undefined`
 * after mutating `acc`); `result` returns the SQL value. `merge` enables HOP/CUMULATE and session windows,
 * `retract` enables updating inputs. The accumulator must be plain data (see README.md).
 */
export interface UdafModule {
  create(): unknown;
  add(acc: unknown, ...args: unknown[]): unknown;
  result(acc: unknown): unknown;
  merge?(a: unknown, b: unknown): unknown;
  retract?(acc: unknown, ...args: unknown[]): unknown;
}

export interface AggregatorOptions {
  /**
   * Keep what `retract` needs (default false). Needed only when the input is updating. MIN, MAX,
   * FIRST_VALUE, LAST_VALUE, BIT_AND and BIT_OR then keep a multiset or list of their inputs instead of a
   * single value, so their state grows with the distinct inputs; every other builtin is always retractable.
   */
  readonly retractable?: boolean;
}

/**
 * The aggregates of one group (all AggCalls of a GROUP BY or window aggregate), updated together: one
 * accumulator array per group, changed in place. The per-row functions are generated for this list, so each
 * aggregator's `add` is called from a call site of its own and V8 can inline it; looping over the aggregators
 * from one call site instead costs an indirect, non-inlined call per aggregate and row.
 *
 * ```ts
 * const list = aggregatorList(aggs);
 * const accs = list.init();
 * for (const row of rows) list.add(accs, row);
 * list.results(accs);                          // [count, sum, …] in aggs order
 * ```
 */
export interface AggregatorList {
  readonly aggregators: readonly Aggregator[];
  init(): unknown[];
  add(accs: unknown[], row: Row): void;
  retract(accs: unknown[], row: Row): void;
  /** Merges `b` into `a` (a covers the earlier rows); `b` is not changed. */
  merge(a: unknown[], b: readonly unknown[]): void;
  results(accs: readonly unknown[]): unknown[];
}

export function aggregatorList(aggregators: readonly Aggregator[]): AggregatorList {
  const n = aggregators.length;
  const each = (f: (i: number) => string) => aggregators.map((_, i) => f(i)).join(' ');
  const make = new Function(
    'aggs',
    `'use strict';
    ${each((i) => `const a${i} = aggs[${i}].add, r${i} = aggs[${i}].retract, m${i} = aggs[${i}].merge;`)}
    return {
      add(accs, row) { ${each((i) => `accs[${i}] = a${i}(accs[${i}], row);`)} },
      retract(accs, row) { ${each((i) => `accs[${i}] = r${i}(accs[${i}], row);`)} },
      merge(a, b) { ${each((i) => `a[${i}] = m${i}(a[${i}], b[${i}]);`)} },
    };`,
  ) as (aggs: readonly Aggregator[]) => Pick<AggregatorList, 'add' | 'retract' | 'merge'>;
  const steps = make(aggregators);
  return {
    aggregators,
    init: () => {
      const accs = new Array<unknown>(n);
      for (let i = 0; i < n; i++) accs[i] = aggregators[i]!.init();
      return accs;
    },
    add: steps.add,
    retract: steps.retract,
    merge: steps.merge,
    results: (accs) => aggregators.map((a, i) => a.result(accs[i])),
  };
}

/** Names of the builtin aggregate functions (upper-case). */
export function builtinAggregateNames(): string[] {
  return Object.keys(BUILTINS);
}

/**
 * Binds an aggregate call to its compiled argument functions (one per `call.args`, in order) and its
 * compiled `FILTER (WHERE …)` predicate. A UDAF is looked up in `udafs` by its declared name first; builtins
 * by upper-case name.
 *
 * ```ts
 * // COUNT(DISTINCT user_id) FILTER (WHERE term LIKE 'fever%')
 * createAggregator(call, [(r) => r[1]], (r) => String(r[0]).startsWith('fever'));
 * ```
 * Throws a PlanError (`AGG_UNKNOWN_FUNCTION`, `AGG_ARITY`, `AGG_BAD_UDAF`) for a call that cannot be bound.
 */
export function createAggregator(
  call: AggCall,
  args: readonly ((row: Row) => unknown)[],
  filter?: (row: Row) => boolean,
  udafs?: Readonly<Record<string, UdafModule>>,
  options?: AggregatorOptions,
): Aggregator {
  if (args.length !== call.args.length) {
    throw new EngineError(
      'AGG_ARGS_MISMATCH',
      'internal',
      `${call.fn} (output ${call.name}): ${call.args.length} argument expression(s) but ${args.length} ` +
        `compiled argument function(s); pass exactly one function per AggCall.args entry.`,
    );
  }
  const retractable = options?.retractable === true;
  const argTypes = call.args.map((a) => a.type);
  const udaf = udafs ? lookupUdaf(udafs, call.fn) : undefined;
  let kernel: Kernel<unknown>;
  let packed: boolean;
  let distinct = call.distinct;
  let fn: string;
  if (udaf) {
    fn = call.fn;
    packed = true;
    kernel = udafKernel(fn, udaf, call.span);
  } else {
    fn = call.fn.toUpperCase();
    const info = Object.hasOwn(BUILTINS, fn) ? BUILTINS[fn] : undefined;
    if (!info) throw unknownFunction(call, udafs);
    if (args.length < info.minArgs || args.length > info.maxArgs) {
      const want =
        info.minArgs === info.maxArgs
          ? `${info.minArgs}`
          : info.maxArgs === Number.POSITIVE_INFINITY
            ? `at least ${info.minArgs}`
            : `${info.minArgs} to ${info.maxArgs}`;
      throw new PlanError(
        'AGG_ARITY',
        `${where(call.span)}${fn} takes ${want} argument(s), got ${args.length}; ` +
          `write e.g. ${fn}(${info.minArgs === 2 ? 'y, x' : 'x'}).`,
      );
    }
    packed = args.length > 2;
    distinct = distinct || info.forceDistinct === true;
    const ctx: KernelContext = { fn, argTypes, resultType: call.type, retractable, packed };
    kernel = info.create(ctx);
  }
  if (distinct && args.length === 0) {
    throw new PlanError(
      'AGG_ARITY',
      `${where(call.span)}${fn}(DISTINCT) needs an argument; write ${fn}(DISTINCT x).`,
    );
  }
  const x = argReader(args, packed, 0);
  const y = packed ? noValue : argReader(args, false, 1);
  const base = { name: call.name, fn };
  return distinct
    ? distinctAggregator(base, kernel, x, packed || args.length < 2 ? undefined : y, filter)
    : plainAggregator(
        base,
        kernel,
        packed ? 1 : (Math.min(args.length, 2) as 0 | 1 | 2),
        x,
        y,
        filter,
        retractable,
      );
}

type Reader = (row: Row) => unknown;

const noValue: Reader = () => undefined;

function argReader(args: readonly Reader[], packed: boolean, i: number): Reader {
  if (packed) return (row) => args.map((f) => f(row));
  return args[i] ?? noValue;
}

function plainAggregator(
  base: { name: string; fn: string },
  k: Kernel<unknown>,
  arity: 0 | 1 | 2,
  x: Reader,
  y: Reader,
  filter: ((row: Row) => boolean) | undefined,
  retractableRequested: boolean,
): Aggregator {
  const retractable = k.retractable;
  if (retractableRequested && !retractable) {
    // Only UDAFs without `retract` get here: the builtins all honour the option.
    throw new PlanError(
      'AGG_NOT_RETRACTABLE',
      `aggregate ${base.fn} has no retract(acc, ...args) but its input is updating; add retract to the ` +
        `UDAF module, or aggregate an append-only input.`,
    );
  }
  const { add, retract } = rowFunctions(k, arity, x, y, filter);
  return {
    ...base,
    retractable,
    mergeable: k.mergeable,
    init: k.init,
    add,
    retract,
    merge: k.merge,
    result: k.result,
  };
}

type RowStep = (acc: unknown, row: Row) => unknown;

/**
 * The per-row `add` and `retract` of one aggregator, generated as fresh functions. Closures made from one
 * shared function literal share V8's type feedback, so their calls to `x` and to the kernel would see every
 * aggregator of the job and stay megamorphic (never inlined); a function of its own sees exactly one
 * argument reader and one kernel, which V8 inlines. The generated text is fixed: no user input enters it.
 */
function rowFunctions(
  k: Kernel<unknown>,
  arity: 0 | 1 | 2,
  x: Reader,
  y: Reader,
  filter: ((row: Row) => boolean) | undefined,
): { add: RowStep; retract: RowStep } {
  const args = arity === 0 ? '' : arity === 1 ? ', x(row)' : ', x(row), y(row)';
  const step = (fn: string) =>
    filter === undefined
      ? `function (acc, row) { return ${fn}(acc${args}); }`
      : `function (acc, row) { return f(row) === true ? ${fn}(acc${args}) : acc; }`;
  const make = new Function(
    'k',
    'x',
    'y',
    'f',
    `'use strict'; const kadd = k.add; const kretract = k.retract;
    return { add: ${step('kadd')}, retract: ${step('kretract')} };`,
  ) as (k: Kernel<unknown>, x: Reader, y: Reader, f: unknown) => { add: RowStep; retract: RowStep };
  return make(k, x, y, filter);
}

/**
 * DISTINCT state: the multiset of argument values (valueKey → [count, x], or [count, x, y] for two
 * arguments) and the inner accumulator.
 */
interface DistinctAcc {
  m: MultisetRecord<unknown[]>;
  a: unknown;
}

/**
 * DISTINCT for any function: the inner function sees each distinct argument tuple once. The multiset makes
 * retraction exact (the tuple leaves the inner function when its last copy is retracted; an inner function
 * that cannot retract is rebuilt from the multiset) and lets merge add only the tuples new to `a`.
 */
function distinctAggregator(
  base: { name: string; fn: string },
  k: Kernel<unknown>,
  x: Reader,
  y: Reader | undefined,
  filter: ((row: Row) => boolean) | undefined,
): Aggregator {
  const rebuild = (acc: DistinctAcc) => {
    let inner = k.init();
    for (const e of msEntries(acc.m)) inner = k.add(inner, e[1], e[2]);
    acc.a = inner;
  };
  const probeOf = (e: unknown[]) => (e.length === 2 ? e[1] : [e[1], e[2]]);
  const agg: Aggregator<DistinctAcc> = {
    ...base,
    retractable: true,
    mergeable: true,
    init: () => ({ m: {}, a: k.init() }),
    add(acc, row) {
      if (filter !== undefined && filter(row) !== true) return acc;
      const vx = x(row);
      const vy = y?.(row);
      const probe = y === undefined ? vx : [vx, vy];
      const e = msGet(acc.m, probe);
      if (e) {
        (e[0] as number)++;
      } else {
        msInsert(acc.m, probe, y === undefined ? [1, vx] : [1, vx, vy]);
        acc.a = k.add(acc.a, vx, vy);
      }
      return acc;
    },
    retract(acc, row) {
      if (filter !== undefined && filter(row) !== true) return acc;
      const vx = x(row);
      const vy = y?.(row);
      const probe = y === undefined ? vx : [vx, vy];
      const e = msGet(acc.m, probe);
      if (!e) return acc;
      if (--(e[0] as number) === 0) {
        msDelete(acc.m, probe);
        if (k.retractable) acc.a = k.retract(acc.a, vx, vy);
        else rebuild(acc);
      }
      return acc;
    },
    merge(a, b) {
      for (const eb of msEntries(b.m)) {
        const probe = probeOf(eb);
        const ea = msGet(a.m, probe);
        if (ea) {
          (ea[0] as number) += eb[0] as number;
        } else {
          msInsert(a.m, probe, eb.slice());
          a.a = k.add(a.a, eb[1], eb[2]);
        }
      }
      return a;
    },
    result: (acc) => k.result(acc.a),
  };
  return agg as Aggregator;
}

// ---------------------------------------------------------------------------------------------------------
// UDAFs

function lookupUdaf(udafs: Readonly<Record<string, UdafModule>>, fn: string): UdafModule | undefined {
  if (Object.hasOwn(udafs, fn)) return udafs[fn];
  const lower = fn.toLowerCase();
  for (const name of Object.keys(udafs)) {
    if (name.toLowerCase() === lower) return udafs[name];
  }
  return undefined;
}

function udafKernel(name: string, m: UdafModule, span: Span): Kernel<unknown> {
  for (const method of ['create', 'add', 'result'] as const) {
    if (typeof m[method] !== 'function') {
      throw new PlanError(
        'AGG_BAD_UDAF',
        `${where(span)}aggregate function ${name} has no ${method}() function; a UDAF module exports ` +
          `create(), add(acc, ...args) and result(acc) (and optionally merge and retract).`,
      );
    }
  }
  const guard = <T>(method: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new EngineError(
        'UDAF_FAILED',
        'user',
        `aggregate function ${name}: ${method}() threw: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  };
  const merge = m.merge;
  const retract = m.retract;
  return {
    retractable: typeof retract === 'function',
    mergeable: typeof merge === 'function',
    init: () => guard('create', () => m.create()),
    add(acc, x) {
      const r = guard('add', () => m.add(acc, ...(x as unknown[])));
      return r === undefined ? acc : r;
    },
    retract(acc, x) {
      if (typeof retract !== 'function') {
        throw new EngineError(
          'AGG_NOT_RETRACTABLE',
          'user',
          `aggregate function ${name} has no retract(acc, ...args), so it cannot consume an updating input; ` +
            `add retract to its module.`,
        );
      }
      const r = guard('retract', () => retract.call(m, acc, ...(x as unknown[])));
      return r === undefined ? acc : r;
    },
    merge(a, b) {
      if (typeof merge !== 'function') {
        throw new EngineError(
          'AGG_NOT_MERGEABLE',
          'user',
          `aggregate function ${name} has no merge(a, b), which HOP, CUMULATE and SESSION windows need; ` +
            `add merge to its module.`,
        );
      }
      return guard('merge', () => merge.call(m, a, b));
    },
    result: (acc) => guard('result', () => m.result(acc)),
  };
}

// ---------------------------------------------------------------------------------------------------------

function where(span: Span): string {
  return `${span.file ? `${span.file}:` : ''}${span.start.line}:${span.start.column}: `;
}

function unknownFunction(call: AggCall, udafs: Readonly<Record<string, UdafModule>> | undefined): PlanError {
  const upper = call.fn.toUpperCase();
  if (upper === 'ROW_NUMBER' || upper === 'RANK' || upper === 'DENSE_RANK') {
    return new PlanError(
      'AGG_UNKNOWN_FUNCTION',
      `${where(call.span)}${upper}() is a ranking function, computed by the OVER / Top-N operator from the ` +
        `ORDER BY keys, not an aggregate; use it only as ${upper}() OVER (PARTITION BY … ORDER BY …).`,
    );
  }
  const names = [...Object.keys(BUILTINS), ...Object.keys(udafs ?? {})];
  const close = names.filter((n) => editDistance(n.toUpperCase(), upper) <= 2);
  return new PlanError(
    'AGG_UNKNOWN_FUNCTION',
    `${where(call.span)}unknown aggregate function ${call.fn}` +
      (close.length > 0 ? `; did you mean ${close.join(' or ')}?` : '') +
      ` Declare a UDAF with CREATE FUNCTION ${call.fn.toLowerCase()} FROM 'file.ts', or use one of: ` +
      `${Object.keys(BUILTINS).join(', ')}.`,
  );
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
