import type { AstExpr, FuncCall, OverSpec } from '../ast/expr.ts';
import { didYouMean, type Span } from '../diagnostics.ts';
import { type AggCall, type Call, call, type Expr, literal } from '../plan/expr.ts';
import type { FunctionSignature } from '../plan/program.ts';
import {
  BIGINT,
  BOOLEAN,
  type DataType,
  DOUBLE,
  decimal,
  type Field,
  INT,
  INTERVAL,
  isExactNumeric,
  isNumeric,
  TIMESTAMP3,
  typeToString,
  VARCHAR,
} from '../types.ts';
import { fail } from './errors.ts';
import { AGGREGATES, RANKING, SCALAR } from './functions.ts';
import {
  arithmeticType,
  castable,
  coerce,
  commonType,
  requireNumeric,
  requireString,
  toVarchar,
} from './types-rules.ts';

/** One visible column: `qualifier.name`, at the same position as its field in the relation's schema. */
export interface ScopeColumn {
  readonly qualifier?: string;
  readonly name: string;
  readonly field: Field;
}

export interface UdfInfo {
  readonly name: string;
  readonly signature?: FunctionSignature;
}

/** Collects aggregate or OVER calls met while binding a select list; returns a placeholder for each. */
export interface CallCollector {
  aggregate(call: FuncCall, bind: (e: AstExpr) => Expr): Expr;
  over?(call: FuncCall, bind: (e: AstExpr) => Expr): Expr;
}

export interface BindContext {
  readonly scope: readonly ScopeColumn[];
  readonly udfs: ReadonlyMap<string, UdfInfo>;
  /** Where the expression is, for messages ("WHERE", "GROUP BY", "a computed column"). */
  readonly clause: string;
  readonly collector?: CallCollector;
}

export const AGG_PLACEHOLDER = '\u0000AGG';
export const OVER_PLACEHOLDER = '\u0000OVER';

const UNIT_MS: Record<string, number> = {
  MILLISECOND: 1,
  MILLISECONDS: 1,
  MS: 1,
  SECOND: 1000,
  SECONDS: 1000,
  S: 1000,
  MINUTE: 60_000,
  MINUTES: 60_000,
  MIN: 60_000,
  HOUR: 3_600_000,
  HOURS: 3_600_000,
  H: 3_600_000,
  DAY: 86_400_000,
  DAYS: 86_400_000,
  D: 86_400_000,
  WEEK: 7 * 86_400_000,
  WEEKS: 7 * 86_400_000,
  MONTH: 30 * 86_400_000,
  MONTHS: 30 * 86_400_000,
  YEAR: 365 * 86_400_000,
  YEARS: 365 * 86_400_000,
};

export const TIME_UNITS = [
  'YEAR',
  'QUARTER',
  'MONTH',
  'WEEK',
  'DAY',
  'HOUR',
  'MINUTE',
  'SECOND',
  'MILLISECOND',
  'EPOCH',
  'DOW',
  'DOY',
];

/** The length in milliseconds of an interval literal, e.g. `INTERVAL '20 seconds'` → 20000. */
export function intervalMs(
  value: string,
  unit: string | undefined,
  toUnit: string | undefined,
  span: Span,
): number {
  const v = value.trim();
  if (unit === undefined) {
    // '20 seconds', '1 hour', '1 day 2 hours'
    const parts = v.split(/\s+/);
    if (parts.length % 2 !== 0)
      fail(
        'E307',
        `cannot read interval '${value}'`,
        span,
        "write INTERVAL '10' SECOND or INTERVAL '10 seconds'",
      );
    let total = 0;
    for (let i = 0; i < parts.length; i += 2) {
      const n = Number(parts[i]);
      const ms = UNIT_MS[(parts[i + 1] ?? '').toUpperCase()];
      if (!Number.isFinite(n) || ms === undefined)
        fail(
          'E307',
          `cannot read interval '${value}'`,
          span,
          "write INTERVAL '10' SECOND or INTERVAL '10 seconds'",
        );
      total += n * ms;
    }
    return total;
  }
  const ms = UNIT_MS[unit];
  if (ms === undefined)
    fail(
      'E307',
      `unknown interval unit '${unit}'`,
      span,
      didYouMean(unit, Object.keys(UNIT_MS)) ?? undefined,
    );
  if (toUnit === undefined) {
    const n = Number(v);
    if (!Number.isFinite(n)) fail('E307', `interval value '${value}' is not a number`, span);
    return n * ms;
  }
  // DAY TO SECOND style: '1 02:03:04.5'; fields from `unit` down to `toUnit`
  const order = ['DAY', 'HOUR', 'MINUTE', 'SECOND'];
  const from = order.indexOf(unit);
  const to = order.indexOf(toUnit);
  if (from < 0 || to < from) fail('E307', `unsupported interval ${unit} TO ${toUnit}`, span);
  const nums = v.split(/[\s:]+/).map(Number);
  if (nums.length !== to - from + 1 || nums.some((n) => !Number.isFinite(n)))
    fail('E307', `interval value '${value}' does not match ${unit} TO ${toUnit}`, span);
  let total = 0;
  nums.forEach((n, i) => {
    total += n * (UNIT_MS[order[from + i]!] ?? 0);
  });
  return total;
}

function numberLiteral(text: string, span: Span): Expr {
  if (/[eE]/.test(text)) return literal(Number(text), DOUBLE, span);
  if (text.includes('.')) {
    const [i = '', f = ''] = text.split('.');
    const intDigits = i.replace(/^0+/, '').length;
    return literal(Number(text), decimal(Math.max(1, intDigits + f.length), f.length), span);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) fail('E306', `integer literal ${text} is out of range`, span);
  return literal(n, Math.abs(n) <= 2147483647 ? INT : BIGINT, span);
}

/** Parses an ISO-8601-like timestamp literal as UTC epoch milliseconds. */
export function timestampLiteralMs(text: string, span: Span): number {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      text.trim(),
    );
  if (!m) fail('E306', `cannot read timestamp '${text}'`, span, "write TIMESTAMP '2023-01-31 12:00:00.000'");
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  let t = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    ms,
  );
  const tz = m[8];
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const d = tz.slice(1).replace(':', '');
    t -= sign * (Number(d.slice(0, 2)) * 60 + Number(d.slice(2))) * 60_000;
  }
  return t;
}

function isBool(t: DataType): boolean {
  return t.kind === 'BOOLEAN' || t.kind === 'NULL';
}

export function requireBoolean(e: Expr, where: string): void {
  if (!isBool(e.type))
    fail(
      'E304',
      `${where} must be a BOOLEAN condition, got ${typeToString(e.type)}`,
      e.span,
      'compare it, e.g. x > 0',
    );
}

/** Resolves a column path against the scope: returns the column index and the remaining row-field parts. */
export function resolveColumn(
  scope: readonly ScopeColumn[],
  parts: readonly string[],
  span: Span,
): { index: number; rest: string[] } {
  const lower = parts.map((p) => p.toLowerCase());
  // fast path: one unambiguous unqualified name
  if (parts.length === 1) {
    const { names } = lowered(scope);
    const i = names.indexOf(lower[0]!);
    if (i >= 0 && names.indexOf(lower[0]!, i + 1) < 0) return { index: i, rest: [] };
  }
  // qualified: q.c[.f…]
  if (parts.length >= 2) {
    const q = lower[0];
    const matches = scope.flatMap((c, i) =>
      c.qualifier?.toLowerCase() === q && c.name.toLowerCase() === lower[1] ? [i] : [],
    );
    if (matches.length === 1) return { index: matches[0]!, rest: parts.slice(2) };
    if (matches.length > 1) fail('E202', `column '${parts[0]}.${parts[1]}' is ambiguous`, span);
    if (scope.some((c) => c.qualifier?.toLowerCase() === q)) {
      const names = scope.filter((c) => c.qualifier?.toLowerCase() === q).map((c) => c.name);
      fail('E201', `unknown column '${parts[1]}' in '${parts[0]}'`, span, didYouMean(parts[1]!, names));
    }
  }
  const matches = scope.flatMap((c, i) => (c.name.toLowerCase() === lower[0] ? [i] : []));
  if (matches.length === 1) return { index: matches[0]!, rest: parts.slice(1) };
  if (matches.length > 1) {
    const quals = matches.map((i) => scope[i]!.qualifier).filter((q) => q !== undefined);
    fail(
      'E202',
      `column '${parts[0]}' is ambiguous`,
      span,
      quals.length > 0 ? `qualify it: ${quals.map((q) => `${q}.${parts[0]}`).join(' or ')}` : undefined,
    );
  }
  if (parts.length >= 2 && !scope.some((c) => c.qualifier?.toLowerCase() === lower[0])) {
    const quals = [...new Set(scope.map((c) => c.qualifier).filter((q): q is string => q !== undefined))];
    fail('E205', `unknown table or alias '${parts[0]}'`, span, didYouMean(parts[0]!, quals) ?? undefined);
  }
  fail(
    'E201',
    `unknown column '${parts[0]}'`,
    span,
    didYouMean(
      parts[0]!,
      scope.map((c) => c.name),
    ) ??
      (scope.length > 0
        ? `columns are: ${scope.flatMap((c) => (c.name.startsWith('\u0000') ? [] : [c.name])).join(', ')}`
        : 'this query has no FROM'),
  );
}

const loweredCache = new WeakMap<readonly ScopeColumn[], { names: string[] }>();

function lowered(scope: readonly ScopeColumn[]): { names: string[] } {
  let l = loweredCache.get(scope);
  if (!l) {
    l = { names: scope.map((c) => c.name.toLowerCase()) };
    loweredCache.set(scope, l);
  }
  return l;
}

/** Binds an AST expression over a scope: resolves names, types every node, inserts implicit casts. */
export function bindExpr(ast: AstExpr, ctx: BindContext): Expr {
  return bind(ctx, ast);
}

function bind(ctx: BindContext, ast: AstExpr): Expr {
  const span = ast.span;
  switch (ast.kind) {
    case 'Identifier': {
      const upper = ast.parts.length === 1 ? ast.parts[0]!.toUpperCase() : '';
      if (
        (upper === 'CURRENT_TIMESTAMP' || upper === 'LOCALTIMESTAMP' || upper === 'NOW') &&
        !ctx.scope.some((c) => c.name.toUpperCase() === upper)
      ) {
        const typed = SCALAR[upper]!([], span, upper);
        return call(typed.fn ?? upper, [], typed.type, span);
      }
      const { index, rest } = resolveColumn(ctx.scope, ast.parts, span);
      const col = ctx.scope[index]!;
      let e: Expr = { kind: 'ColumnRef', index, name: col.field.name, type: col.field.type, span };
      for (const f of rest) e = rowField(e, f, span);
      return e;
    }
    case 'NumberLit':
      return numberLiteral(ast.text, span);
    case 'StringLit':
      return literal(ast.value, VARCHAR, span);
    case 'BoolLit':
      return literal(ast.value, BOOLEAN, span);
    case 'NullLit':
      return literal(null, { kind: 'NULL' }, span);
    case 'IntervalLit': {
      const ms = intervalMs(ast.value, ast.unit, ast.toUnit, span);
      return literal(ast.negative ? -ms : ms, INTERVAL, span);
    }
    case 'TypedLit': {
      if (ast.type === 'TIMESTAMP' || ast.type === 'TIMESTAMP_LTZ' || ast.type === 'DATE')
        return literal(
          timestampLiteralMs(ast.value, span),
          { ...TIMESTAMP3, ltz: ast.type === 'TIMESTAMP_LTZ' } as DataType,
          span,
        );
      return fail(
        'E306',
        `unknown literal type ${ast.type}`,
        span,
        "typed literals are TIMESTAMP '…' and DATE '…'",
      );
    }
    case 'Unary': {
      const x = bind(ctx, ast.operand);
      if (ast.op === 'NOT') {
        requireBoolean(x, 'NOT');
        return call('NOT', [x], BOOLEAN, span);
      }
      if (x.type.kind !== 'INTERVAL') requireNumeric(x, `unary ${ast.op}`, span);
      if (ast.op === '+') return x;
      if (x.kind === 'Literal' && typeof x.value === 'number') return literal(-x.value, x.type, span);
      return call('NEG', [x], x.type, span);
    }
    case 'Binary':
      return bindBinary(ast.op, bind(ctx, ast.left), bind(ctx, ast.right), span);
    case 'FuncCall':
      return bindCall(ast, ctx);
    case 'CaseExpr': {
      const operand = ast.operand ? bind(ctx, ast.operand) : undefined;
      const whens = ast.whens.map((w) => {
        let when = bind(ctx, w.when);
        if (operand) {
          const t = commonType(operand.type, when.type);
          if (!t)
            fail(
              'E301',
              `cannot compare ${typeToString(operand.type)} with ${typeToString(when.type)}`,
              when.span,
            );
          when = coerce(when, t);
        } else requireBoolean(when, 'WHEN');
        return { when, result: bind(ctx, w.result) };
      });
      const elseExpr = ast.else ? bind(ctx, ast.else) : undefined;
      let t: DataType = { kind: 'NULL' };
      for (const r of [...whens.map((w) => w.result), ...(elseExpr ? [elseExpr] : [])]) {
        const c = commonType(t, r.type);
        if (!c)
          fail(
            'E301',
            `CASE branches have incompatible types ${typeToString(t)} and ${typeToString(r.type)}`,
            r.span,
          );
        t = c;
      }
      return {
        kind: 'Case',
        ...(operand ? { operand } : {}),
        whens: whens.map((w) => ({ when: w.when, result: coerce(w.result, t) })),
        ...(elseExpr ? { else: coerce(elseExpr, t) } : {}),
        type: t,
        span,
      };
    }
    case 'CastExpr': {
      const x = bind(ctx, ast.expr);
      if (!castable(x.type, ast.type))
        fail('E305', `cannot cast ${typeToString(x.type)} to ${typeToString(ast.type)}`, span);
      return { kind: 'Cast', expr: x, to: ast.type, type: ast.type, span };
    }
    case 'InExpr': {
      const x = bind(ctx, ast.expr);
      const list = ast.list.map((x) => bind(ctx, x));
      let t = x.type;
      for (const v of list) {
        const c = commonType(t, v.type);
        if (!c)
          fail(
            'E301',
            `IN list value of type ${typeToString(v.type)} cannot be compared with ${typeToString(t)}`,
            v.span,
          );
        t = c;
      }
      return call(ast.not ? 'NOT_IN' : 'IN', [coerce(x, t), ...list.map((v) => coerce(v, t))], BOOLEAN, span);
    }
    case 'BetweenExpr': {
      const x = bind(ctx, ast.expr);
      const lo = bind(ctx, ast.low);
      const hi = bind(ctx, ast.high);
      let t = x.type;
      for (const v of [lo, hi]) {
        const c = commonType(t, v.type);
        if (!c)
          fail(
            'E301',
            `BETWEEN bound of type ${typeToString(v.type)} cannot be compared with ${typeToString(t)}`,
            v.span,
          );
        t = c;
      }
      return call(
        ast.not ? 'NOT_BETWEEN' : 'BETWEEN',
        [coerce(x, t), coerce(lo, t), coerce(hi, t)],
        BOOLEAN,
        span,
      );
    }
    case 'LikeExpr': {
      const x = bind(ctx, ast.expr);
      const p = bind(ctx, ast.pattern);
      requireString(x, 'LIKE', x.span);
      requireString(p, 'LIKE', p.span);
      return call(ast.not ? 'NOT_LIKE' : 'LIKE', [x, p], BOOLEAN, span);
    }
    case 'IsExpr': {
      const x = bind(ctx, ast.expr);
      if (ast.what !== 'NULL') requireBoolean(x, `IS ${ast.not ? 'NOT ' : ''}${ast.what}`);
      return call(`IS_${ast.not ? 'NOT_' : ''}${ast.what}`, [x], BOOLEAN, span);
    }
    case 'ExtractExpr': {
      const x = bind(ctx, ast.expr);
      if (!TIME_UNITS.includes(ast.unit))
        fail(
          'E303',
          `unknown EXTRACT unit '${ast.unit}'`,
          span,
          didYouMean(ast.unit, TIME_UNITS) ?? undefined,
        );
      if (x.type.kind !== 'TIMESTAMP' && x.type.kind !== 'NULL')
        fail('E303', `EXTRACT expects a TIMESTAMP, got ${typeToString(x.type)}`, x.span);
      return call('EXTRACT', [literal(ast.unit, VARCHAR, span), x], BIGINT, span);
    }
    case 'TimeUnitCall': {
      const x = bind(ctx, ast.expr);
      if (x.type.kind !== 'TIMESTAMP')
        fail('E303', `${ast.fn}(… TO ${ast.unit}) expects a TIMESTAMP`, x.span);
      if (!TIME_UNITS.includes(ast.unit))
        fail('E303', `unknown time unit '${ast.unit}'`, span, didYouMean(ast.unit, TIME_UNITS) ?? undefined);
      return call(`${ast.fn}_TIME`, [x, literal(ast.unit, VARCHAR, span)], x.type, span);
    }
    case 'Subscript': {
      const x = bind(ctx, ast.expr);
      const i = bind(ctx, ast.index);
      if (x.type.kind !== 'ARRAY') fail('E303', `cannot index a value of type ${typeToString(x.type)}`, span);
      requireNumeric(i, 'array index', i.span);
      return call('ELEMENT_AT', [x, i], x.type.element, span);
    }
    case 'FieldAccess':
      return rowField(bind(ctx, ast.expr), ast.field, span);
    case 'ArrayCtor': {
      const items = ast.items.map((x) => bind(ctx, x));
      const typed = SCALAR.ARRAY!(items, span, 'ARRAY');
      return call('ARRAY', typed.args, typed.type, span);
    }
    case 'ScalarSubquery':
      return fail('E508', 'subqueries in expressions are not supported', span, 'rewrite it as a JOIN');
    default: {
      const never: never = ast;
      throw new Error(`internal error: unknown expression ${JSON.stringify(never)}`);
    }
  }
}

function rowField(e: Expr, name: string, span: Span): Expr {
  if (e.type.kind !== 'ROW')
    fail(
      'E207',
      `'${name}' is not a field: ${e.kind === 'ColumnRef' ? e.name : 'the value'} is ${typeToString(e.type)}`,
      span,
    );
  const i = e.type.fields.findIndex((f) => f.name.toLowerCase() === name.toLowerCase());
  if (i < 0)
    fail(
      'E207',
      `row has no field '${name}'`,
      span,
      didYouMean(
        name,
        e.type.fields.map((f) => f.name),
      ) ?? undefined,
    );
  return call('FIELD', [e, literal(i, INT, span)], e.type.fields[i]!.type, span);
}

export function bindBinary(op: string, l: Expr, r: Expr, span: Span): Expr {
  switch (op) {
    case 'AND':
    case 'OR':
      requireBoolean(l, op);
      requireBoolean(r, op);
      return call(op, [l, r], BOOLEAN, span);
    case '||':
      return call('||', [toVarchar(l), toVarchar(r)], VARCHAR, span);
    case '=':
    case '<>':
    case '<':
    case '<=':
    case '>':
    case '>=': {
      // TIMESTAMP compared with a string literal: read the literal as a timestamp
      if (l.type.kind === 'TIMESTAMP' && r.kind === 'Literal' && typeof r.value === 'string')
        r = literal(timestampLiteralMs(r.value, r.span), l.type, r.span);
      if (r.type.kind === 'TIMESTAMP' && l.kind === 'Literal' && typeof l.value === 'string')
        l = literal(timestampLiteralMs(l.value, l.span), r.type, l.span);
      const t = commonType(l.type, r.type);
      if (!t || t.kind === 'ARRAY' || t.kind === 'ROW')
        fail(
          'E301',
          `cannot compare ${typeToString(l.type)} with ${typeToString(r.type)}`,
          span,
          castHint(l.type, r.type),
        );
      return call(op, [coerce(l, t), coerce(r, t)], BOOLEAN, span);
    }
    default: {
      // + - * / %
      const lk = l.type.kind;
      const rk = r.type.kind;
      if (lk === 'TIMESTAMP' && rk === 'INTERVAL' && (op === '+' || op === '-'))
        return call(op, [l, r], l.type, span);
      if (lk === 'INTERVAL' && rk === 'TIMESTAMP' && op === '+') return call(op, [r, l], r.type, span);
      if (lk === 'INTERVAL' && rk === 'INTERVAL' && (op === '+' || op === '-'))
        return call(op, [l, r], INTERVAL, span);
      if (lk === 'INTERVAL' && isNumeric(r.type) && (op === '*' || op === '/'))
        return call(op, [l, r], INTERVAL, span);
      if (lk === 'TIMESTAMP' && rk === 'TIMESTAMP')
        fail(
          'E301',
          `cannot subtract timestamps with '${op}'`,
          span,
          'use TIMESTAMPDIFF or compare them directly',
        );
      if ((!isNumeric(l.type) && lk !== 'NULL') || (!isNumeric(r.type) && rk !== 'NULL'))
        fail(
          'E301',
          `operator '${op}' cannot be applied to ${typeToString(l.type)} and ${typeToString(r.type)}`,
          span,
          lk === 'VARCHAR' || rk === 'VARCHAR'
            ? "concatenate strings with '||', or CAST the string to a number"
            : undefined,
        );
      const t = arithmeticType(op, l.type, r.type);
      return call(op, [arithmeticOperand(l, t), arithmeticOperand(r, t)], t, span);
    }
  }
}

/** Exact operands of a DECIMAL result stay as they are (the precision rule already accounts for them). */
function arithmeticOperand(e: Expr, t: DataType): Expr {
  return t.kind === 'DECIMAL' && isExactNumeric(e.type) ? e : coerce(e, t);
}

function castHint(a: DataType, b: DataType): string | undefined {
  if ((a.kind === 'VARCHAR' && isNumeric(b)) || (b.kind === 'VARCHAR' && isNumeric(a)))
    return 'CAST one side, e.g. CAST(x AS BIGINT)';
  if ((a.kind === 'TIMESTAMP' && b.kind === 'BIGINT') || (b.kind === 'TIMESTAMP' && a.kind === 'BIGINT'))
    return 'convert epoch milliseconds with TO_TIMESTAMP_LTZ(x, 3)';
  return undefined;
}

export function isAggregateName(name: string, udfs: ReadonlyMap<string, UdfInfo>): boolean {
  return name in AGGREGATES || udfs.get(name.toLowerCase())?.signature?.aggregate === true;
}

/** Does the expression contain an aggregate call (outside OVER)? */
export function containsAggregate(e: AstExpr, udfs: ReadonlyMap<string, UdfInfo>): boolean {
  let found = false;
  walkAst(e, (x) => {
    if (x.kind === 'FuncCall' && !x.over && isAggregateName(x.name, udfs)) found = true;
  });
  return found;
}

export function containsOver(e: AstExpr): boolean {
  let found = false;
  walkAst(e, (x) => {
    if (x.kind === 'FuncCall' && x.over) found = true;
  });
  return found;
}

export function walkAst(e: AstExpr, f: (e: AstExpr) => void): void {
  f(e);
  switch (e.kind) {
    case 'Unary':
      walkAst(e.operand, f);
      return;
    case 'Binary':
      walkAst(e.left, f);
      walkAst(e.right, f);
      return;
    case 'FuncCall':
      for (const a of e.args) walkAst(a, f);
      if (e.filter) walkAst(e.filter, f);
      return;
    case 'CaseExpr':
      if (e.operand) walkAst(e.operand, f);
      for (const x of e.whens) {
        walkAst(x.when, f);
        walkAst(x.result, f);
      }
      if (e.else) walkAst(e.else, f);
      return;
    case 'CastExpr':
    case 'ExtractExpr':
    case 'TimeUnitCall':
    case 'FieldAccess':
    case 'IsExpr':
      walkAst(e.expr, f);
      return;
    case 'InExpr':
      walkAst(e.expr, f);
      for (const x of e.list) walkAst(x, f);
      return;
    case 'BetweenExpr':
      walkAst(e.expr, f);
      walkAst(e.low, f);
      walkAst(e.high, f);
      return;
    case 'LikeExpr':
      walkAst(e.expr, f);
      walkAst(e.pattern, f);
      return;
    case 'Subscript':
      walkAst(e.expr, f);
      walkAst(e.index, f);
      return;
    case 'ArrayCtor':
      for (const x of e.items) walkAst(x, f);
      return;
    default:
      return;
  }
}

/** Rebuilds an expression top-down: `f` returns a replacement for a node, or undefined to descend. */
export function mapAst(e: AstExpr, f: (e: AstExpr) => AstExpr | undefined): AstExpr {
  const r = f(e);
  if (r) return r;
  const m = (x: AstExpr): AstExpr => mapAst(x, f);
  switch (e.kind) {
    case 'Unary':
      return { ...e, operand: m(e.operand) };
    case 'Binary':
      return { ...e, left: m(e.left), right: m(e.right) };
    case 'FuncCall':
      return { ...e, args: e.args.map(m), ...(e.filter ? { filter: m(e.filter) } : {}) };
    case 'CaseExpr':
      return {
        ...e,
        ...(e.operand ? { operand: m(e.operand) } : {}),
        whens: e.whens.map((w) => ({ when: m(w.when), result: m(w.result) })),
        ...(e.else ? { else: m(e.else) } : {}),
      };
    case 'CastExpr':
    case 'ExtractExpr':
    case 'TimeUnitCall':
    case 'FieldAccess':
    case 'IsExpr':
      return { ...e, expr: m(e.expr) } as AstExpr;
    case 'InExpr':
      return { ...e, expr: m(e.expr), list: e.list.map(m) };
    case 'BetweenExpr':
      return { ...e, expr: m(e.expr), low: m(e.low), high: m(e.high) };
    case 'LikeExpr':
      return { ...e, expr: m(e.expr), pattern: m(e.pattern) };
    case 'Subscript':
      return { ...e, expr: m(e.expr), index: m(e.index) };
    case 'ArrayCtor':
      return { ...e, items: e.items.map(m) };
    default:
      return e;
  }
}

function bindCall(ast: FuncCall, ctx: BindContext): Expr {
  const span = ast.span;
  const name = ast.name;
  const udf = ctx.udfs.get(name.toLowerCase());
  if (ast.over) {
    if (!ctx.collector?.over)
      fail(
        'E404',
        `window function ${name}(…) OVER is not allowed in ${ctx.clause}`,
        span,
        'use it in the SELECT list',
      );
    return ctx.collector.over(ast, (e) => bindExpr(e, { ...ctx, collector: undefined }));
  }
  if (RANKING.has(name)) fail('E404', `${name}() needs an OVER (PARTITION BY … ORDER BY …) clause`, span);
  if (isAggregateName(name, ctx.udfs) && !(name in SCALAR && ast.args.length > 1)) {
    if (!ctx.collector)
      fail(
        'E402',
        `aggregate ${name}(…) is not allowed in ${ctx.clause}`,
        span,
        ctx.clause === 'WHERE' ? 'filter aggregated values with HAVING' : undefined,
      );
    return ctx.collector.aggregate(ast, (e) => bindExpr(e, { ...ctx, collector: undefined }));
  }
  if (ast.filter || ast.distinct || ast.star || ast.withinGroup) {
    if (!(name in SCALAR) && !udf) unknownFunction(name, span, ctx);
    fail(
      'E405',
      `${ast.filter ? 'FILTER' : ast.star ? '*' : ast.distinct ? 'DISTINCT' : 'WITHIN GROUP'} is only allowed in aggregate calls, and ${name} is not an aggregate`,
      span,
    );
  }
  const args = ast.args.map((a) => bindExpr(a, ctx));
  const rule = SCALAR[name];
  if (rule && !udf) {
    const typed = rule(args, span, name);
    return call(typed.fn ?? name, typed.args, typed.type, span);
  }
  if (udf) {
    const sig = udf.signature;
    if (!sig)
      fail(
        'E310',
        `the type of ${udf.name}(…) is unknown`,
        span,
        `declare it: CREATE FUNCTION ${udf.name}(x BIGINT) RETURNS BIGINT FROM '…', or pass its signature to compile()`,
      );
    let bound = args;
    if (sig.params) {
      if (sig.params.length !== args.length)
        fail('E302', `${udf.name} takes ${sig.params.length} arguments, got ${args.length}`, span);
      bound = args.map((a, i) => {
        const want = sig.params![i]!;
        if (!castable(a.type, want))
          fail(
            'E303',
            `argument ${i + 1} of ${udf.name} must be ${typeToString(want)}, got ${typeToString(a.type)}`,
            a.span,
          );
        return coerce(a, want);
      });
    }
    return call(udf.name, bound, sig.returns, span);
  }
  return unknownFunction(name, span, ctx);
}

function unknownFunction(name: string, span: Span, ctx: BindContext): never {
  const candidates = [
    ...Object.keys(SCALAR),
    ...Object.keys(AGGREGATES),
    ...RANKING,
    ...[...ctx.udfs.values()].map((u) => u.name),
  ];
  return fail(
    'E204',
    `unknown function '${name}'`,
    span,
    didYouMean(name, candidates) ?? "declare a UDF with CREATE FUNCTION name FROM 'file.ts'",
  );
}

/** Binds an aggregate call's arguments and filter; returns the AggCall (name filled in by the caller). */
export function bindAggCall(
  ast: FuncCall,
  bind: (e: AstExpr) => Expr,
  udfs: ReadonlyMap<string, UdfInfo>,
  name: string,
): AggCall {
  const span = ast.span;
  for (const a of ast.args) {
    if (containsAggregate(a, udfs)) fail('E403', 'aggregate calls cannot be nested', a.span);
  }
  // `f(p) WITHIN GROUP (ORDER BY x)` (ordered-set aggregates): the ordering expressions follow the arguments.
  const args = ast.star ? [] : [...ast.args, ...(ast.withinGroup ?? []).map((o) => o.expr)].map(bind);
  if (ast.star && ast.name !== 'COUNT') fail('E303', `${ast.name}(*) is not allowed; only COUNT(*)`, span);
  let filter: Expr | undefined;
  if (ast.filter) {
    filter = bind(ast.filter);
    requireBoolean(filter, 'FILTER (WHERE …)');
  }
  const udf = udfs.get(ast.name.toLowerCase());
  let type: DataType;
  let fn = ast.name;
  if (udf?.signature?.aggregate) {
    type = udf.signature.returns;
    fn = udf.name;
  } else {
    const rule = AGGREGATES[ast.name]!;
    if (ast.name === 'COUNT' && !ast.star && args.length === 0)
      fail('E302', 'COUNT takes an argument or *', span);
    type = rule(args, span, ast.name);
  }
  return {
    kind: 'AggCall',
    fn,
    args,
    distinct: ast.distinct,
    ...(filter ? { filter } : {}),
    type,
    name,
    span,
  };
}

/** Binds the PARTITION BY / ORDER BY of an OVER clause. */
export function bindOver(
  over: OverSpec,
  bind: (e: AstExpr) => Expr,
): { partitionBy: Expr[]; orderBy: { expr: Expr; desc: boolean; nullsFirst?: boolean }[] } {
  return {
    partitionBy: over.partitionBy.map(bind),
    orderBy: over.orderBy.map((o) => ({
      expr: bind(o.expr),
      desc: o.direction === 'DESC',
      ...(o.nulls ? { nullsFirst: o.nulls === 'FIRST' } : {}),
    })),
  };
}

export function placeholder(fn: string, k: number, type: DataType, span: Span): Call {
  return call(fn, [literal(k, INT, span)], type, span);
}
