import type { DataType } from '@darq/parser';
import type { Row } from '../runtime/batch.ts';
import { formatTimestamp, parseTimestamp } from './time.ts';

/** A column as a format sees it. */
export interface FormatColumn {
  readonly name: string;
  readonly type: DataType;
}

/** Thrown by a decoder for a record that does not fit the schema; the source dead-letters it. */
export class BadRecord extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRecord';
  }
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Converts one JSON value to the runtime representation of `type`, or throws BadRecord. */
export function coerceJson(v: unknown, type: DataType, column: string, timestampUnit: 'ms' | 'ns'): unknown {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'VARCHAR':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      return JSON.stringify(v);
    case 'INT':
    case 'BIGINT':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
      throw new BadRecord(`column '${column}': expected ${type.kind}, got ${describe(v)}`);
    case 'DOUBLE':
    case 'DECIMAL':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
      throw new BadRecord(`column '${column}': expected ${type.kind}, got ${describe(v)}`);
    case 'BOOLEAN':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new BadRecord(`column '${column}': expected BOOLEAN, got ${describe(v)}`);
    case 'TIMESTAMP': {
      if (typeof v === 'number' && Number.isFinite(v))
        return timestampUnit === 'ns' ? Math.floor(v / 1e6) : v;
      if (typeof v === 'string') {
        const t = parseTimestamp(v);
        if (!Number.isNaN(t)) return t;
      }
      throw new BadRecord(
        `column '${column}': expected a TIMESTAMP (ISO-8601 string or epoch ${timestampUnit === 'ns' ? 'nanoseconds' : 'milliseconds'}), got ${describe(v)}`,
      );
    }
    case 'INTERVAL':
      if (typeof v === 'number') return v;
      throw new BadRecord(`column '${column}': expected an INTERVAL in milliseconds, got ${describe(v)}`);
    case 'ARRAY':
      if (Array.isArray(v)) return v.map((e) => coerceJson(e, type.element, column, timestampUnit));
      throw new BadRecord(`column '${column}': expected an ARRAY, got ${describe(v)}`);
    case 'ROW': {
      if (typeof v !== 'object')
        throw new BadRecord(`column '${column}': expected a ROW object, got ${describe(v)}`);
      const o = v as Record<string, unknown>;
      return type.fields.map((f) => coerceJson(o[f.name], f.type, `${column}.${f.name}`, timestampUnit));
    }
    case 'NULL':
      return null;
  }
}

/** Builds `object → Row` for a JSON object format: keys not in the schema are ignored, a missing key is NULL. */
export function jsonObjectDecoder(
  columns: readonly FormatColumn[],
  timestampUnit: 'ms' | 'ns' = 'ms',
): (o: Record<string, unknown>) => Row {
  const n = columns.length;
  // Fast paths per column: a value already of the right JS type is taken as is; everything else goes through
  // coerceJson (which converts or throws BadRecord).
  const fast: string[] = columns.map((c, i) => {
    const key = JSON.stringify(c.name);
    const slow = `coerce(v, types[${i}], names[${i}], unit)`;
    switch (c.type.kind) {
      case 'VARCHAR':
        return `v = o[${key}]; r[${i}] = typeof v === 'string' ? v : v == null ? null : ${slow};`;
      case 'INT':
      case 'BIGINT':
        return `v = o[${key}]; r[${i}] = (typeof v === 'number' && Number.isInteger(v)) ? v : v == null ? null : ${slow};`;
      case 'DOUBLE':
      case 'DECIMAL':
        return `v = o[${key}]; r[${i}] = typeof v === 'number' ? v : v == null ? null : ${slow};`;
      case 'BOOLEAN':
        return `v = o[${key}]; r[${i}] = typeof v === 'boolean' ? v : v == null ? null : ${slow};`;
      case 'TIMESTAMP':
        return timestampUnit === 'ms'
          ? `v = o[${key}]; r[${i}] = typeof v === 'number' ? v : v == null ? null : ${slow};`
          : `v = o[${key}]; r[${i}] = v == null ? null : ${slow};`;
      default:
        return `v = o[${key}]; r[${i}] = v == null ? null : ${slow};`;
    }
  });
  const body = `return function decode(o) { if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new BadRecord('expected a JSON object, got ' + (Array.isArray(o) ? 'an array' : JSON.stringify(o))); const r = new Array(${n}); let v; ${fast.join('\n')} return r; };`;
  const factory = new Function('coerce', 'types', 'names', 'unit', 'BadRecord', body);
  return factory(
    coerceJson,
    columns.map((c) => c.type),
    columns.map((c) => c.name),
    timestampUnit,
    BadRecord,
  ) as (o: Record<string, unknown>) => Row;
}

/** Converts a runtime value of `type` to its JSON output value. */
export function toJsonValue(v: unknown, type: DataType): unknown {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'TIMESTAMP':
      return formatTimestamp(v as number, type.ltz);
    case 'ARRAY':
      return (v as unknown[]).map((e) => toJsonValue(e, type.element));
    case 'ROW': {
      const o: Record<string, unknown> = {};
      type.fields.forEach((f, i) => {
        o[f.name] = toJsonValue((v as unknown[])[i], f.type);
      });
      return o;
    }
    default:
      return v;
  }
}

function isPlain(t: DataType): boolean {
  return t.kind !== 'TIMESTAMP' && t.kind !== 'ARRAY' && t.kind !== 'ROW';
}

/** Builds `Row → one JSON line (no newline)`; column order is the schema's, NULL is an explicit null. */
export function jsonLineEncoder(columns: readonly FormatColumn[]): (r: Row) => string {
  const parts = columns.map((c, i) => {
    const key = JSON.stringify(JSON.stringify(c.name));
    const value = isPlain(c.type)
      ? `(r[${i}] === undefined ? 'null' : JSON.stringify(r[${i}]))`
      : `JSON.stringify(toJson(r[${i}], types[${i}]))`;
    return `${key} + ':' + ${value}`;
  });
  const body = `return function encode(r) { return '{' + ${parts.length ? parts.join(" + ',' + ") : "''"} + '}'; };`;
  return new Function('toJson', 'types', body)(
    toJsonValue,
    columns.map((c) => c.type),
  ) as (r: Row) => string;
}
