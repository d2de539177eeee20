/**
 * CAST between every pair of darq types. A cast that cannot produce a value of the target type (`'abc'` AS
 * INT, an impossible date, a number out of range) is NULL, never an error.
 */
import type { DataType } from '@darq/parser';
import { doubleToString, round } from './functions.ts';
import { intervalToString, parseIsoTimestamp, timestampToString } from './time.ts';

/** A cast of one non-NULL value. */
export type CastFn = (v: unknown) => unknown;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

const INTEGER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE_TEXT = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_TEXT = new Set(['false', 'f', 'no', 'n', '0']);

/** `null` when the cast changes nothing at run time (same representation), else the function to apply. */
export function castFunction(from: DataType, to: DataType): CastFn | null {
  if (from.kind === 'NULL') return null;
  switch (to.kind) {
    case 'BOOLEAN':
      return toBoolean(from);
    case 'INT':
      return toInteger(from, INT_MIN, INT_MAX);
    case 'BIGINT':
      return toInteger(from, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case 'DOUBLE':
      return toDouble(from);
    case 'DECIMAL':
      return toDecimal(from, to.precision, to.scale);
    case 'VARCHAR':
      return toVarchar(from);
    case 'TIMESTAMP':
      return toTimestamp(from, to.precision);
    case 'INTERVAL':
      return from.kind === 'INTERVAL' || isNumberKind(from) ? null : (v) => failed(v);
    case 'ARRAY': {
      if (from.kind !== 'ARRAY') return (v) => failed(v);
      const el = castFunction(from.element, to.element);
      return el === null ? null : (v) => (v as unknown[]).map((x) => (x == null ? null : el(x)));
    }
    case 'ROW': {
      if (from.kind !== 'ROW' || from.fields.length !== to.fields.length) return (v) => failed(v);
      const fs = to.fields.map((f, i) => castFunction(from.fields[i]!.type, f.type));
      if (fs.every((f) => f === null)) return null;
      return (v) => (v as unknown[]).map((x, i) => (x == null ? null : (fs[i]?.(x) ?? x)));
    }
    case 'NULL':
      return () => null;
  }
}

function failed(_v: unknown): null {
  return null;
}

function isNumberKind(t: DataType): boolean {
  return t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'DOUBLE' || t.kind === 'DECIMAL';
}

function toBoolean(from: DataType): CastFn | null {
  if (from.kind === 'BOOLEAN') return null;
  if (from.kind === 'VARCHAR') {
    return (v) => {
      const s = (v as string).trim().toLowerCase();
      return TRUE_TEXT.has(s) ? true : FALSE_TEXT.has(s) ? false : null;
    };
  }
  if (isNumberKind(from)) return (v) => (Number.isNaN(v) ? null : v !== 0);
  return failed;
}

/** Numbers truncate toward zero; text may carry a fraction (truncated); out of range or not finite → NULL. */
function toInteger(from: DataType, min: number, max: number): CastFn | null {
  const fit = (n: number) => {
    const t = Math.trunc(n) + 0;
    return Number.isFinite(t) && t >= min && t <= max ? t : null;
  };
  switch (from.kind) {
    case 'INT':
      return null;
    case 'BIGINT':
      return min === INT_MIN ? (v) => fit(v as number) : null;
    case 'DOUBLE':
    case 'DECIMAL':
    case 'INTERVAL':
      return (v) => fit(v as number);
    case 'BOOLEAN':
      return (v) => (v ? 1 : 0);
    case 'VARCHAR':
      return (v) => {
        const d = shortDigits(v as string);
        if (d >= 0) return fit(d);
        const s = (v as string).trim();
        return INTEGER_TEXT.test(s) ? fit(Number(s)) : null;
      };
    case 'TIMESTAMP':
      // Flink: a timestamp cast to a number is its epoch second.
      return (v) => fit(Math.floor((v as number) / 1000));
    default:
      return failed;
  }
}

/** The value of 1 to 9 ASCII digits and nothing else (the common case of text cast to a number); else -1. */
function shortDigits(s: string): number {
  const n = s.length;
  if (n === 0 || n > 9) return -1;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}

function parseDouble(s: string): number | null {
  const t = s.trim();
  if (DECIMAL_TEXT.test(t)) return Number(t);
  if (t === 'NaN') return Number.NaN;
  if (t === 'Infinity' || t === '+Infinity') return Number.POSITIVE_INFINITY;
  if (t === '-Infinity') return Number.NEGATIVE_INFINITY;
  return null;
}

function toDouble(from: DataType): CastFn | null {
  switch (from.kind) {
    case 'INT':
    case 'BIGINT':
    case 'DOUBLE':
    case 'DECIMAL':
    case 'INTERVAL':
      return null;
    case 'BOOLEAN':
      return (v) => (v ? 1 : 0);
    case 'VARCHAR':
      return (v) => parseDouble(v as string);
    case 'TIMESTAMP':
      return (v) => (v as number) / 1000;
    default:
      return failed;
  }
}

/** DECIMAL(p, s) is carried as a double rounded half-up to `s` decimals; more than p - s integer digits → NULL. */
function toDecimal(from: DataType, precision: number, scale: number): CastFn | null {
  const limit = 10 ** (precision - scale);
  const fit = (n: number | null) => {
    if (n === null || !Number.isFinite(n)) return null;
    // A double holds at most 17 significant digits: scales past 15 need no rounding.
    const r = scale > 15 ? n : round(n, scale);
    return Math.abs(r) < limit ? r + 0 : null;
  };
  if (from.kind === 'DECIMAL' && from.scale <= scale && from.precision - from.scale <= precision - scale)
    return null;
  if (
    (from.kind === 'INT' && precision - scale >= 10) ||
    (from.kind === 'BIGINT' && precision - scale >= 19)
  ) {
    return null;
  }
  switch (from.kind) {
    case 'INT':
    case 'BIGINT':
    case 'DOUBLE':
    case 'DECIMAL':
    case 'INTERVAL':
      return (v) => fit(v as number);
    case 'BOOLEAN':
      return (v) => fit(v ? 1 : 0);
    case 'VARCHAR':
      return (v) => {
        const s = (v as string).trim();
        return DECIMAL_TEXT.test(s) ? fit(Number(s)) : null;
      };
    case 'TIMESTAMP':
      return (v) => fit((v as number) / 1000);
    default:
      return failed;
  }
}

/** The text of any value, as CAST(… AS VARCHAR) prints it (Flink's formats). */
export function valueToString(t: DataType, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case 'VARCHAR':
      return v as string;
    case 'BOOLEAN':
      return v ? 'TRUE' : 'FALSE';
    case 'INT':
    case 'BIGINT':
      return String(v);
    case 'DOUBLE':
      return doubleToString(v as number);
    case 'DECIMAL':
      return Number.isFinite(v)
        ? round(v as number, t.scale).toFixed(Math.max(0, Math.min(100, t.scale)))
        : null;
    case 'TIMESTAMP':
      return timestampToString(v as number);
    case 'INTERVAL':
      return intervalToString(v as number);
    case 'ARRAY':
      return `[${(v as unknown[]).map((x) => valueToString(t.element, x) ?? 'NULL').join(', ')}]`;
    case 'ROW':
      return `(${(v as unknown[]).map((x, i) => valueToString(t.fields[i]?.type ?? t, x) ?? 'NULL').join(', ')})`;
    case 'NULL':
      return null;
  }
}

function toVarchar(from: DataType): CastFn | null {
  if (from.kind === 'VARCHAR') return null;
  if (from.kind === 'INT' || from.kind === 'BIGINT') return (v) => String(v);
  return (v) => valueToString(from, v);
}

function toTimestamp(from: DataType, precision: number): CastFn | null {
  const unit = 10 ** (3 - Math.min(3, Math.max(0, precision)));
  const trunc = unit === 1 ? (ms: number) => ms : (ms: number) => ms - (((ms % unit) + unit) % unit);
  switch (from.kind) {
    case 'TIMESTAMP':
      return precision >= from.precision || precision >= 3 ? null : (v) => trunc(v as number);
    case 'VARCHAR':
      return (v) => {
        const t = parseIsoTimestamp(v as string);
        return t === null ? null : trunc(t);
      };
    case 'INT':
    case 'BIGINT':
    case 'DOUBLE':
    case 'DECIMAL':
      // Flink: a number cast to a timestamp is epoch seconds.
      return (v) => (Number.isFinite(v) ? trunc(Math.round((v as number) * 1000)) : null);
    default:
      return failed;
  }
}
