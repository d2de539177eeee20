import type { Span } from '../diagnostics.ts';
import type { Expr } from '../plan/expr.ts';
import {
  arrayOf,
  BIGINT,
  BOOLEAN,
  type DataType,
  DOUBLE,
  decimal,
  INT,
  isExactNumeric,
  isNumeric,
  TIMESTAMP_LTZ3,
  TIMESTAMP3,
  typeToString,
  VARCHAR,
} from '../types.ts';
import { fail } from './errors.ts';
import {
  coerce,
  commonType,
  requireNumeric,
  requireString,
  requireTimestamp,
  toVarchar,
} from './types-rules.ts';

export interface Typed {
  readonly fn?: string;
  readonly type: DataType;
  readonly args: readonly Expr[];
}

type Rule = (args: readonly Expr[], span: Span, name: string) => Typed;

function arity(name: string, args: readonly Expr[], min: number, max: number, span: Span): void {
  if (args.length < min || args.length > max) {
    const want =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    fail(
      'E302',
      `${name} takes ${want} argument${min === 1 && max === 1 ? '' : 's'}, got ${args.length}`,
      span,
    );
  }
}

const a = (args: readonly Expr[], i: number): Expr => args[i] as Expr;

function strings(min: number, max: number, ret: DataType = VARCHAR): Rule {
  return (args, span, name) => {
    arity(name, args, min, max, span);
    args.forEach((x, i) => {
      if (i === 0) requireString(x, name, x.span);
    });
    return { type: ret, args };
  };
}

function math(ret?: DataType): Rule {
  return (args, span, name) => {
    arity(name, args, 1, 1, span);
    requireNumeric(a(args, 0), name, span);
    return { type: ret ?? a(args, 0).type, args };
  };
}

function common(name: string, args: readonly Expr[], span: Span): DataType {
  let t: DataType = { kind: 'NULL' };
  for (const x of args) {
    const c = commonType(t, x.type);
    if (!c)
      fail(
        'E301',
        `${name}: arguments have incompatible types ${typeToString(t)} and ${typeToString(x.type)}`,
        x.span,
      );
    t = c;
  }
  void span;
  return t.kind === 'NULL' ? VARCHAR : t;
}

function timePart(args: readonly Expr[], span: Span, name: string): Typed {
  arity(name, args, 1, 1, span);
  requireTimestamp(a(args, 0), name, span);
  return { type: BIGINT, args };
}

/** Built-in scalar functions: name → typing rule. The engine implements every entry. */
export const SCALAR: Record<string, Rule> = {
  MOD: (args, span, name) => {
    arity(name, args, 2, 2, span);
    for (const x of args) requireNumeric(x, name, x.span);
    const t = common(name, args, span);
    return { type: t, args: args.map((x) => coerce(x, t)) };
  },
  ABS: math(),
  ROUND: (args, span, name) => {
    arity(name, args, 1, 2, span);
    requireNumeric(a(args, 0), name, span);
    return { type: a(args, 0).type, args };
  },
  TRUNCATE: (args, span, name) => {
    arity(name, args, 1, 2, span);
    requireNumeric(a(args, 0), name, span);
    return { type: a(args, 0).type, args };
  },
  FLOOR: math(),
  CEIL: math(),
  CEILING: (args, span) => ({ ...math()(args, span, 'CEILING'), fn: 'CEIL' }),
  SIGN: math(),
  POWER: (args, span, name) => {
    arity(name, args, 2, 2, span);
    for (const x of args) requireNumeric(x, name, x.span);
    return { type: DOUBLE, args };
  },
  SQRT: math(DOUBLE),
  EXP: math(DOUBLE),
  LN: math(DOUBLE),
  LOG10: math(DOUBLE),
  LOG2: math(DOUBLE),
  SIN: math(DOUBLE),
  COS: math(DOUBLE),
  TAN: math(DOUBLE),
  RAND: (args, span, name) => {
    arity(name, args, 0, 1, span);
    return { type: DOUBLE, args };
  },
  LOWER: strings(1, 1),
  UPPER: strings(1, 1),
  TRIM: strings(1, 1),
  LTRIM: strings(1, 1),
  RTRIM: strings(1, 1),
  INITCAP: strings(1, 1),
  REVERSE: strings(1, 1),
  MD5: strings(1, 1),
  CHAR_LENGTH: strings(1, 1, INT),
  CHARACTER_LENGTH: (args, span) => ({
    ...strings(1, 1, INT)(args, span, 'CHARACTER_LENGTH'),
    fn: 'CHAR_LENGTH',
  }),
  LENGTH: (args, span) => ({ ...strings(1, 1, INT)(args, span, 'LENGTH'), fn: 'CHAR_LENGTH' }),
  SUBSTRING: (args, span, name) => {
    arity(name, args, 2, 3, span);
    requireString(a(args, 0), name, span);
    for (const x of args.slice(1)) requireNumeric(x, name, x.span);
    return { type: VARCHAR, args };
  },
  SUBSTR: (args, span) => ({ ...SCALAR.SUBSTRING!(args, span, 'SUBSTR'), fn: 'SUBSTRING' }),
  CONCAT: (args, span, name) => {
    arity(name, args, 1, Number.POSITIVE_INFINITY, span);
    return { type: VARCHAR, args: args.map(toVarchar) };
  },
  CONCAT_WS: (args, span, name) => {
    arity(name, args, 2, Number.POSITIVE_INFINITY, span);
    return { type: VARCHAR, args: args.map(toVarchar) };
  },
  REPLACE: strings(3, 3),
  POSITION: strings(2, 2, INT),
  LPAD: strings(3, 3),
  RPAD: strings(3, 3),
  REPEAT: strings(2, 2),
  REGEXP_EXTRACT: (args, span, name) => {
    arity(name, args, 2, 3, span);
    requireString(a(args, 0), name, span);
    requireString(a(args, 1), name, span);
    return { type: VARCHAR, args };
  },
  REGEXP_REPLACE: strings(3, 3),
  REGEXP: strings(2, 2, BOOLEAN),
  SPLIT_INDEX: (args, span, name) => {
    arity(name, args, 3, 3, span);
    requireString(a(args, 0), name, span);
    requireString(a(args, 1), name, span);
    requireNumeric(a(args, 2), name, a(args, 2).span);
    return { type: VARCHAR, args };
  },
  HASH_CODE: (args, span, name) => {
    arity(name, args, 1, 1, span);
    return { type: INT, args: [toVarchar(a(args, 0))] };
  },
  HOUR: timePart,
  MINUTE: timePart,
  SECOND: timePart,
  YEAR: timePart,
  MONTH: timePart,
  QUARTER: timePart,
  WEEK: timePart,
  DAYOFMONTH: timePart,
  DAYOFWEEK: timePart,
  DAYOFYEAR: timePart,
  DATE_FORMAT: (args, span, name) => {
    arity(name, args, 2, 2, span);
    if (a(args, 0).type.kind !== 'VARCHAR') requireTimestamp(a(args, 0), name, span);
    requireString(a(args, 1), name, span);
    return { type: VARCHAR, args };
  },
  TO_TIMESTAMP: (args, span, name) => {
    arity(name, args, 1, 2, span);
    requireString(a(args, 0), name, span);
    return { type: TIMESTAMP3, args };
  },
  TO_TIMESTAMP_LTZ: (args, span, name) => {
    arity(name, args, 1, 2, span);
    requireNumeric(a(args, 0), name, span);
    return { type: TIMESTAMP_LTZ3, args: args.length === 1 ? [...args] : args };
  },
  UNIX_TIMESTAMP: (args, span, name) => {
    arity(name, args, 0, 2, span);
    return { type: BIGINT, args };
  },
  FROM_UNIXTIME: (args, span, name) => {
    arity(name, args, 1, 2, span);
    requireNumeric(a(args, 0), name, span);
    return { type: VARCHAR, args };
  },
  PROCTIME: (args, span, name) => {
    arity(name, args, 0, 0, span);
    return { type: TIMESTAMP_LTZ3, args };
  },
  NOW: (args, span, name) => {
    arity(name, args, 0, 0, span);
    return { type: TIMESTAMP_LTZ3, args };
  },
  CURRENT_TIMESTAMP: (args, span) => ({ ...SCALAR.NOW!(args, span, 'CURRENT_TIMESTAMP'), fn: 'NOW' }),
  LOCALTIMESTAMP: (args, span) => ({
    ...SCALAR.NOW!(args, span, 'LOCALTIMESTAMP'),
    fn: 'NOW',
    type: TIMESTAMP3,
  }),
  COALESCE: (args, span, name) => {
    arity(name, args, 1, Number.POSITIVE_INFINITY, span);
    const t = common(name, args, span);
    return { type: t, args: args.map((x) => coerce(x, t)) };
  },
  IFNULL: (args, span) => ({ ...SCALAR.COALESCE!(args, span, 'IFNULL'), fn: 'COALESCE' }),
  GREATEST: (args, span, name) => SCALAR.COALESCE!(args, span, name),
  LEAST: (args, span, name) => SCALAR.COALESCE!(args, span, name),
  NULLIF: (args, span, name) => {
    arity(name, args, 2, 2, span);
    const t = common(name, args, span);
    return { type: t, args: args.map((x) => coerce(x, t)) };
  },
  IF: (args, span, name) => {
    arity(name, args, 3, 3, span);
    const c = a(args, 0);
    if (c.type.kind !== 'BOOLEAN' && c.type.kind !== 'NULL')
      fail('E304', 'IF condition must be BOOLEAN', c.span);
    const t = common(name, args.slice(1), span);
    return { type: t, args: [c, coerce(a(args, 1), t), coerce(a(args, 2), t)] };
  },
  CARDINALITY: (args, span, name) => {
    arity(name, args, 1, 1, span);
    if (a(args, 0).type.kind !== 'ARRAY') fail('E303', `${name} expects an ARRAY`, span);
    return { type: INT, args };
  },
  ARRAY: (args, span, name) => {
    const t = args.length === 0 ? VARCHAR : common(name, args, span);
    return { type: arrayOf(t), args: args.map((x) => coerce(x, t)) };
  },
  ROW: (args) => ({
    type: { kind: 'ROW', fields: args.map((x, i) => ({ name: `f${i}`, type: x.type, nullable: true })) },
    args,
  }),
  TO_DECIMAL: (args, span, name) => {
    arity(name, args, 1, 1, span);
    return { type: decimal(38, 18), args };
  },
};

export function isExactOrNull(t: DataType): boolean {
  return isExactNumeric(t) || t.kind === 'NULL';
}

/** Aggregate functions: name → result type rule given the argument types. */
export const AGGREGATES: Record<string, (args: readonly Expr[], span: Span, name: string) => DataType> = {
  COUNT: () => BIGINT,
  SUM: (args, span, name) => {
    arity(name, args, 1, 1, span);
    const t = a(args, 0).type;
    requireNumeric(a(args, 0), name, span);
    return t.kind === 'DECIMAL' ? decimal(38, t.scale) : t.kind === 'NULL' ? INT : t;
  },
  AVG: (args, span, name) => {
    arity(name, args, 1, 1, span);
    requireNumeric(a(args, 0), name, span);
    const t = a(args, 0).type;
    return t.kind === 'DECIMAL' ? decimal(38, Math.max(6, t.scale)) : t.kind === 'NULL' ? DOUBLE : t;
  },
  MIN: (args, span, name) => {
    arity(name, args, 1, 1, span);
    return a(args, 0).type;
  },
  MAX: (args, span, name) => {
    arity(name, args, 1, 1, span);
    return a(args, 0).type;
  },
  FIRST_VALUE: (args, span, name) => {
    arity(name, args, 1, 1, span);
    return a(args, 0).type;
  },
  LAST_VALUE: (args, span, name) => {
    arity(name, args, 1, 1, span);
    return a(args, 0).type;
  },
  ARRAY_AGG: (args, span, name) => {
    arity(name, args, 1, 1, span);
    return arrayOf(a(args, 0).type);
  },
  LISTAGG: (args, span, name) => {
    arity(name, args, 1, 2, span);
    return VARCHAR;
  },
  BOOL_AND: () => BOOLEAN,
  BOOL_OR: () => BOOLEAN,
  BIT_AND: (args, span, name) => {
    arity(name, args, 1, 1, span);
    return a(args, 0).type;
  },
  BIT_OR: (args, span, name) => AGGREGATES.BIT_AND!(args, span, name),
  BIT_XOR: (args, span, name) => AGGREGATES.BIT_AND!(args, span, name),
  STDDEV: () => DOUBLE,
  STDDEV_POP: () => DOUBLE,
  STDDEV_SAMP: () => DOUBLE,
  VARIANCE: () => DOUBLE,
  VAR: () => DOUBLE,
  VAR_POP: () => DOUBLE,
  VAR_SAMP: () => DOUBLE,
  MEDIAN: () => DOUBLE,
  CORR: () => DOUBLE,
  COVAR_POP: () => DOUBLE,
  COVAR_SAMP: () => DOUBLE,
  REGR_SLOPE: () => DOUBLE,
  REGR_INTERCEPT: () => DOUBLE,
  REGR_COUNT: () => BIGINT,
  REGR_R2: () => DOUBLE,
  REGR_AVGX: () => DOUBLE,
  REGR_AVGY: () => DOUBLE,
  REGR_SXX: () => DOUBLE,
  REGR_SYY: () => DOUBLE,
  REGR_SXY: () => DOUBLE,
  APPROX_DISTINCT: () => BIGINT,
  APPROX_COUNT_DISTINCT: () => BIGINT,
  APPROX_MEDIAN: () => DOUBLE,
  APPROX_PERCENTILE_CONT: () => DOUBLE,
  APPROX_PERCENTILE_CONT_WITH_WEIGHT: () => DOUBLE,
};

/** Ranking functions, valid only with OVER. */
export const RANKING = new Set(['ROW_NUMBER', 'RANK', 'DENSE_RANK']);

export function isNumericOrNull(t: DataType): boolean {
  return isNumeric(t) || t.kind === 'NULL';
}
