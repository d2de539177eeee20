import type { Span } from '../diagnostics.ts';
import { cast, type Expr } from '../plan/expr.ts';
import {
  BIGINT,
  type DataType,
  DOUBLE,
  decimal,
  INT,
  isNumeric,
  typeEquals,
  typeToString,
  VARCHAR,
} from '../types.ts';
import { fail } from './errors.ts';

/** Precision/scale of an exact numeric type seen as a DECIMAL. */
function asDecimal(t: DataType): { p: number; s: number } {
  if (t.kind === 'INT') return { p: 10, s: 0 };
  if (t.kind === 'BIGINT') return { p: 19, s: 0 };
  if (t.kind === 'DECIMAL') return { p: t.precision, s: t.scale };
  return { p: 38, s: 6 };
}

const NUM_RANK: Record<string, number> = { INT: 1, BIGINT: 2, DECIMAL: 3, DOUBLE: 4 };

/** The common type two values are converted to before comparing or combining them, or undefined. */
export function commonType(a: DataType, b: DataType): DataType | undefined {
  if (a.kind === 'NULL') return b;
  if (b.kind === 'NULL') return a;
  if (isNumeric(a) && isNumeric(b)) {
    if (a.kind === 'DECIMAL' && b.kind === 'DECIMAL') {
      const s = Math.max(a.scale, b.scale);
      const p = Math.min(38, Math.max(a.precision - a.scale, b.precision - b.scale) + s);
      return decimal(p, s);
    }
    if (a.kind === 'DOUBLE' || b.kind === 'DOUBLE') return DOUBLE;
    if (a.kind === 'DECIMAL' || b.kind === 'DECIMAL') {
      const da = asDecimal(a);
      const db = asDecimal(b);
      const s = Math.max(da.s, db.s);
      return decimal(Math.min(38, Math.max(da.p - da.s, db.p - db.s) + s), s);
    }
    return (NUM_RANK[a.kind] ?? 0) >= (NUM_RANK[b.kind] ?? 0) ? a : b;
  }
  if (a.kind === 'TIMESTAMP' && b.kind === 'TIMESTAMP') return a.ltz ? a : b;
  if (a.kind === 'ARRAY' && b.kind === 'ARRAY') {
    const e = commonType(a.element, b.element);
    return e ? { kind: 'ARRAY', element: e } : undefined;
  }
  if (a.kind === 'ROW' && b.kind === 'ROW') return typeEquals(a, b) ? a : undefined;
  return a.kind === b.kind ? a : undefined;
}

/** Converts `e` to `to` with an explicit Cast node when the types differ (kinds or parameters). */
export function coerce(e: Expr, to: DataType): Expr {
  if (e.type.kind === 'NULL') return e.kind === 'Literal' ? { ...e, type: to } : cast(e, to);
  if (typeEquals(e.type, to)) return e;
  // DECIMAL parameters only matter for output; do not wrap decimals in casts to other decimals.
  if (e.type.kind === 'DECIMAL' && to.kind === 'DECIMAL') return e;
  if (e.kind === 'Literal' && isNumeric(e.type) && isNumeric(to)) return { ...e, type: to };
  return cast(e, to);
}

/** Can a value of `from` be written into a column of type `to` without an explicit CAST? */
export function assignable(from: DataType, to: DataType): boolean {
  if (from.kind === 'NULL') return true;
  if (to.kind === 'VARCHAR') return from.kind !== 'ARRAY' && from.kind !== 'ROW';
  if (isNumeric(from) && isNumeric(to)) return true;
  if (from.kind === 'TIMESTAMP' && to.kind === 'TIMESTAMP') return true;
  if (from.kind === 'ARRAY' && to.kind === 'ARRAY') return assignable(from.element, to.element);
  return from.kind === to.kind;
}

/** Explicit CAST validity. */
export function castable(from: DataType, to: DataType): boolean {
  if (from.kind === 'NULL') return true;
  if (to.kind === 'VARCHAR' || from.kind === 'VARCHAR') return to.kind !== 'ROW' && from.kind !== 'ROW';
  if (isNumeric(from) && (isNumeric(to) || to.kind === 'BOOLEAN' || to.kind === 'TIMESTAMP')) return true;
  if (from.kind === 'BOOLEAN' && isNumeric(to)) return true;
  if (from.kind === 'TIMESTAMP' && (to.kind === 'TIMESTAMP' || to.kind === 'BIGINT')) return true;
  if (from.kind === 'ARRAY' && to.kind === 'ARRAY') return castable(from.element, to.element);
  return typeEquals(from, to) || from.kind === to.kind;
}

/** Result type of arithmetic `op` on two numeric types (Flink's decimal rules, simplified). */
export function arithmeticType(op: string, a: DataType, b: DataType): DataType {
  if (a.kind === 'NULL' && b.kind === 'NULL') return INT;
  if (a.kind === 'NULL') return b;
  if (b.kind === 'NULL') return a;
  if (a.kind === 'DOUBLE' || b.kind === 'DOUBLE') return DOUBLE;
  if (a.kind === 'DECIMAL' || b.kind === 'DECIMAL') {
    const x = asDecimal(a);
    const y = asDecimal(b);
    switch (op) {
      case '*':
        // Flink: DECIMAL(p1 + p2 + 1, s1 + s2); 0.908 * BIGINT → DECIMAL(23, 3)
        return decimal(Math.min(38, x.p + y.p + 1), Math.min(38, x.s + y.s));
      case '/': {
        const s = Math.max(6, x.s + y.p + 1);
        return decimal(Math.min(38, x.p - x.s + y.s + s), Math.min(s, 38));
      }
      case '%':
        return decimal(Math.min(38, Math.min(x.p - x.s, y.p - y.s) + Math.max(x.s, y.s)), Math.max(x.s, y.s));
      default: {
        const s = Math.max(x.s, y.s);
        return decimal(Math.min(38, Math.max(x.p - x.s, y.p - y.s) + s + 1), s);
      }
    }
  }
  if (op === '%')
    return b.kind === 'INT'
      ? a.kind === 'BIGINT'
        ? BIGINT
        : INT
      : (NUM_RANK[a.kind] ?? 0) >= (NUM_RANK[b.kind] ?? 0)
        ? a
        : b;
  return a.kind === 'BIGINT' || b.kind === 'BIGINT' ? BIGINT : INT;
}

export function requireNumeric(e: Expr, what: string, span: Span): void {
  if (!isNumeric(e.type) && e.type.kind !== 'NULL')
    fail(
      'E303',
      `${what} expects a number, got ${typeToString(e.type)}`,
      span,
      'use CAST(… AS BIGINT) or DOUBLE',
    );
}

export function requireString(e: Expr, what: string, span: Span): void {
  if (e.type.kind !== 'VARCHAR' && e.type.kind !== 'NULL')
    fail('E303', `${what} expects a VARCHAR, got ${typeToString(e.type)}`, span, 'use CAST(… AS VARCHAR)');
}

export function requireTimestamp(e: Expr, what: string, span: Span): void {
  if (e.type.kind !== 'TIMESTAMP' && e.type.kind !== 'NULL')
    fail(
      'E303',
      `${what} expects a TIMESTAMP, got ${typeToString(e.type)}`,
      span,
      e.type.kind === 'BIGINT' ? 'convert epoch milliseconds with TO_TIMESTAMP_LTZ(x, 3)' : undefined,
    );
}

export function toVarchar(e: Expr): Expr {
  return e.type.kind === 'VARCHAR' ? e : coerce(e, VARCHAR);
}
