import type { DataType } from '@darq/parser';

/**
 * A canonical string for one SQL value, used as a multiset key (DISTINCT, retractable MIN/MAX).
 * Equal keys mean equal SQL values: `1` and `'1'` differ, `0` and `-0` are the same. Keys always start with
 * a type letter, so they are never `__proto__` nor integer-like (which plain objects would reorder).
 */
export function valueKey(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return 'n' + String(v);
    case 'string':
      return 's' + v;
    case 'boolean':
      return v ? 't' : 'f';
    default:
      return v === null || v === undefined ? 'z' : 'j' + encodeNested(v);
  }
}

/** SQL equality of two values as multiset members (`valueKey(a) === valueKey(b)`), cheap for primitives. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' || typeof b === 'object' || Number.isNaN(a)) return valueKey(a) === valueKey(b);
  return false;
}

/** A canonical key of several values (DISTINCT over more than one argument): unambiguous nesting. */
export function tupleKey(values: readonly unknown[]): string {
  return 'j' + encodeNested(values);
}

function encodeNested(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(encodeNested).join(',') + ']';
  switch (typeof v) {
    case 'number':
      return String(v);
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return String(v) + 'n';
    default:
      return v === null || v === undefined ? 'null' : JSON.stringify(v);
  }
}

/** SQL ordering of two non-null values of the same type (numbers, timestamps, strings, booleans). */
export function lessThan(a: unknown, b: unknown): boolean {
  return (a as number) < (b as number);
}

/**
 * How a numeric aggregate result is brought to the runtime representation of its SQL type: an exact
 * integer type truncates toward zero (AVG of BIGINT, as Flink), DECIMAL(p, s) rounds to `s` digits (DECIMAL is
 * carried as a double, so sums like 0.1 + 0.2 would otherwise leak binary noise), anything else is unchanged.
 */
export function numericCoercion(type: DataType): ((v: number) => number) | undefined {
  switch (type.kind) {
    case 'INT':
    case 'BIGINT':
      return truncate;
    case 'DECIMAL': {
      const scale = Math.max(0, Math.min(100, type.scale));
      return (v) => (Number.isFinite(v) ? Number(v.toFixed(scale)) : v);
    }
    default:
      return undefined;
  }
}

function truncate(v: number): number {
  // `+ 0` turns -0 (from truncating -0.5) into 0.
  return Number.isFinite(v) ? Math.trunc(v) + 0 : v;
}

export function isExactIntegerType(type: DataType): boolean {
  return type.kind === 'INT' || type.kind === 'BIGINT';
}

// 64-bit two's complement bit operations on numbers. JavaScript's `& | ^` work on 32 bits, so values outside
// the int32 range go through BigInt. Values within ±2^53 stay within ±2^53 under AND, OR and XOR (their
// top 11 bits are all copies of the sign bit, and these operations preserve that), so results are exact.

function isInt32(v: number): boolean {
  return (v | 0) === v;
}

function toBig(v: number): bigint {
  return BigInt.asIntN(64, BigInt(Math.trunc(v)));
}

export function bitAnd(a: number, b: number): number {
  return isInt32(a) && isInt32(b) ? a & b : Number(BigInt.asIntN(64, toBig(a) & toBig(b)));
}

export function bitOr(a: number, b: number): number {
  return isInt32(a) && isInt32(b) ? a | b : Number(BigInt.asIntN(64, toBig(a) | toBig(b)));
}

export function bitXor(a: number, b: number): number {
  return isInt32(a) && isInt32(b) ? a ^ b : Number(BigInt.asIntN(64, toBig(a) ^ toBig(b)));
}

/** Adds `sign` (+1 or -1) to the count of every bit set in `v` (64-bit two's complement). */
export function countBits(counts: number[], v: number, sign: number): void {
  let big = BigInt.asUintN(64, toBig(v));
  for (let i = 0; big !== 0n; i++, big >>= 1n) {
    if (big & 1n) counts[i] = (counts[i] ?? 0) + sign;
  }
}

/** The number whose bit i is set when `keep(counts[i])`. */
export function bitsFromCounts(counts: readonly number[], keep: (count: number) => boolean): number {
  let big = 0n;
  for (let i = 0; i < 64; i++) {
    if (keep(counts[i] ?? 0)) big |= 1n << BigInt(i);
  }
  return Number(BigInt.asIntN(64, big));
}
