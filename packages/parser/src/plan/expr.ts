import type { Span } from '../diagnostics.ts';
import type { DataType } from '../types.ts';

/**
 * Bound expressions: names resolved, every node typed. A `ColumnRef.index` indexes the schema of the
 * input of the logical node that holds the expression (for a Join: the left fields, then the right).
 *
 * Evaluation follows SQL three-valued logic: a NULL argument makes most calls NULL (the exceptions are
 * AND, OR, IS_NULL, IS_NOT_NULL, COALESCE, CASE, CONCAT_WS and IS [NOT] DISTINCT FROM).
 */
export type Expr = ColumnRef | Literal | Call | Case | Cast;

/** A column of the input row: `row[index]`. */
export interface ColumnRef {
  readonly kind: 'ColumnRef';
  readonly index: number;
  readonly name: string;
  readonly type: DataType;
  readonly span: Span;
}

/**
 * A constant in its runtime representation (see types.ts): numbers, strings, booleans, null; an
 * INTERVAL literal is its length in milliseconds; a TIMESTAMP literal is epoch milliseconds (UTC).
 */
export interface Literal {
  readonly kind: 'Literal';
  readonly value: number | string | boolean | null;
  readonly type: DataType;
  readonly span: Span;
}

/**
 * A scalar function or operator call. `fn` is the upper-case canonical name:
 *
 * - arithmetic `+ - * / %` (numbers; `%` and MOD are the truncated remainder; `/` on two exact integer
 *   types is integer division truncated toward zero, on anything else a double division), unary minus
 *   is `NEG`; TIMESTAMP ± INTERVAL is `+`/`-` with a TIMESTAMP result; TIMESTAMP - TIMESTAMP is not allowed
 * - comparisons `= <> < <= > >=`, `IS_DISTINCT_FROM`, `IS_NOT_DISTINCT_FROM`
 * - logic `AND OR NOT`; `IS_NULL IS_NOT_NULL IS_TRUE IS_FALSE`
 * - `LIKE(s, pattern)` (`%` and `_`, no escape), `NOT_LIKE`; `IN(x, v1, v2, …)`, `NOT_IN`;
 *   `BETWEEN(x, lo, hi)`, `NOT_BETWEEN`
 * - strings: `||` and `CONCAT` (n-ary), `CONCAT_WS`, `LOWER UPPER TRIM LTRIM RTRIM`,
 *   `SUBSTRING(s, from[, len])` (1-based), `CHAR_LENGTH`, `POSITION(needle, haystack)`, `REPLACE`,
 *   `REGEXP_EXTRACT(s, regex[, group])` (NULL when no match), `REGEXP(s, regex)` (boolean),
 *   `SPLIT_INDEX(s, sep, i)` (0-based, NULL if out of range), `HASH_CODE(s)` (Java String.hashCode),
 *   `INITCAP`, `REVERSE`, `LPAD RPAD`, `MD5`
 * - numbers: `MOD ABS ROUND(x[, d]) FLOOR CEIL POWER SQRT EXP LN LOG10 SIGN TRUNCATE RAND`
 * - time: `EXTRACT(unit, ts)` with unit a VARCHAR literal ('YEAR','MONTH','DAY','HOUR','MINUTE','SECOND',
 *   'MILLISECOND','EPOCH','DOW','DOY','WEEK','QUARTER'); `HOUR MINUTE SECOND YEAR MONTH DAYOFMONTH`(ts);
 *   `DATE_FORMAT(ts, javaPattern)` (UTC); `TO_TIMESTAMP(s[, pattern])`, `TO_TIMESTAMP_LTZ(n, precision)`
 *   (precision 0 = seconds, 3 = milliseconds); `FLOOR_TIME(ts, unit)` / `CEIL_TIME(ts, unit)` for
 *   `FLOOR(ts TO unit)`; `PROCTIME()`, `NOW()` / `CURRENT_TIMESTAMP` (wall clock at evaluation);
 *   `UNIX_TIMESTAMP`, `FROM_UNIXTIME`
 * - `COALESCE NULLIF IF GREATEST LEAST`; `CARDINALITY(array)`; `ELEMENT_AT(array, i)` (1-based, for `a[i]`);
 *   `FIELD(row, index)` with a literal 0-based index (for `r.f`); `ARRAY(…)` and `ROW(…)` constructors
 * - or the name of a UDF declared with CREATE FUNCTION (its name as declared, lower-case).
 */
export interface Call {
  readonly kind: 'Call';
  readonly fn: string;
  readonly args: readonly Expr[];
  readonly type: DataType;
  readonly span: Span;
}

/** `CASE [operand] WHEN … THEN … [ELSE …] END`; with an operand, each `when` is compared to it with `=`. */
export interface Case {
  readonly kind: 'Case';
  readonly operand?: Expr;
  /** `result` (not `then`: an object with a `then` property is a thenable, which `await` would call). */
  readonly whens: readonly { readonly when: Expr; readonly result: Expr }[];
  readonly else?: Expr;
  readonly type: DataType;
  readonly span: Span;
}

/**
 * `CAST(expr AS to)`, also inserted by the analyzer for implicit widening (INT → BIGINT → DECIMAL → DOUBLE,
 * anything → VARCHAR when written into a VARCHAR sink column). A failed cast (e.g. 'abc' AS INT) is NULL.
 * VARCHAR → TIMESTAMP parses ISO-8601; TIMESTAMP → VARCHAR formats `yyyy-MM-dd HH:mm:ss.SSS`.
 */
export interface Cast {
  readonly kind: 'Cast';
  readonly expr: Expr;
  readonly to: DataType;
  readonly type: DataType;
  readonly span: Span;
}

/**
 * An aggregate call of an Aggregate, WindowAggregate or OverAggregate node. `fn` is one of COUNT, SUM, AVG
 * (AVG of an exact integer type is that type, truncated, as in Flink), MIN, MAX, FIRST_VALUE, LAST_VALUE,
 * STDDEV, STDDEV_POP, STDDEV_SAMP, VARIANCE, VAR_POP, VAR_SAMP, ARRAY_AGG, LISTAGG, BOOL_AND, BOOL_OR,
 * BIT_AND, BIT_OR, BIT_XOR, MEDIAN, and, in OverAggregate only, ROW_NUMBER, RANK, DENSE_RANK; or a UDAF
 * name. `COUNT(*)` has no args. `filter` is the `FILTER (WHERE …)` predicate, bound like `args`.
 * `name` is the output column name.
 */
export interface AggCall {
  readonly kind: 'AggCall';
  readonly fn: string;
  readonly args: readonly Expr[];
  readonly distinct: boolean;
  readonly filter?: Expr;
  readonly type: DataType;
  readonly name: string;
  readonly span: Span;
}

export function columnRef(index: number, name: string, type: DataType, span: Span): ColumnRef {
  return { kind: 'ColumnRef', index, name, type, span };
}

export function literal(value: number | string | boolean | null, type: DataType, span: Span): Literal {
  return { kind: 'Literal', value, type, span };
}

export function call(fn: string, args: readonly Expr[], type: DataType, span: Span): Call {
  return { kind: 'Call', fn, args, type, span };
}

export function cast(expr: Expr, to: DataType, span: Span = expr.span): Cast {
  return { kind: 'Cast', expr, to, type: to, span };
}

/** Visits every ColumnRef of an expression. */
export function forEachColumn(e: Expr, f: (c: ColumnRef) => void): void {
  switch (e.kind) {
    case 'ColumnRef':
      f(e);
      return;
    case 'Literal':
      return;
    case 'Call':
      for (const a of e.args) forEachColumn(a, f);
      return;
    case 'Case':
      if (e.operand) forEachColumn(e.operand, f);
      for (const w of e.whens) {
        forEachColumn(w.when, f);
        forEachColumn(w.result, f);
      }
      if (e.else) forEachColumn(e.else, f);
      return;
    case 'Cast':
      forEachColumn(e.expr, f);
      return;
    default:
      assertNever(e);
  }
}

/** Rebuilds an expression with every ColumnRef replaced by `f(ref)`. */
export function mapColumns(e: Expr, f: (c: ColumnRef) => Expr): Expr {
  switch (e.kind) {
    case 'ColumnRef':
      return f(e);
    case 'Literal':
      return e;
    case 'Call':
      return { ...e, args: e.args.map((a) => mapColumns(a, f)) };
    case 'Case': {
      const out: Case = {
        ...e,
        whens: e.whens.map((w) => ({ when: mapColumns(w.when, f), result: mapColumns(w.result, f) })),
        ...(e.operand ? { operand: mapColumns(e.operand, f) } : {}),
        ...(e.else ? { else: mapColumns(e.else, f) } : {}),
      };
      return out;
    }
    case 'Cast':
      return { ...e, expr: mapColumns(e.expr, f) };
    default:
      return assertNever(e);
  }
}

export function columnsOf(e: Expr): Set<number> {
  const s = new Set<number>();
  forEachColumn(e, (c) => s.add(c.index));
  return s;
}

/** Structural equality ignoring spans (used to match GROUP BY keys to select items). */
export function exprEquals(a: Expr, b: Expr): boolean {
  return exprKey(a) === exprKey(b);
}

/** A canonical text of an expression, without spans; equal keys mean equal expressions. */
export function exprKey(e: Expr): string {
  switch (e.kind) {
    case 'ColumnRef':
      return `$${e.index}`;
    case 'Literal':
      return `${JSON.stringify(e.value)}:${e.type.kind}`;
    case 'Call':
      return `${e.fn}(${e.args.map(exprKey).join(',')})`;
    case 'Case':
      return `CASE(${e.operand ? exprKey(e.operand) : ''}|${e.whens
        .map((w) => `${exprKey(w.when)}=>${exprKey(w.result)}`)
        .join('|')}|${e.else ? exprKey(e.else) : ''})`;
    case 'Cast':
      return `CAST(${exprKey(e.expr)}:${JSON.stringify(e.to)})`;
    default:
      return assertNever(e);
  }
}

export function assertNever(x: never): never {
  throw new Error(`internal error: unexpected node ${JSON.stringify(x)}`);
}
