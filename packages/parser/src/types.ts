/**
 * SQL data types of the darq dialect and their runtime representation.
 *
 * Runtime representation (the engine relies on it; every value of a column of type T is one of):
 * - BOOLEAN → `boolean`
 * - INT, BIGINT, DOUBLE, DECIMAL(p,s) → `number` (DECIMAL is carried as a double; p/s are kept for
 *   output formatting and type inference only)
 * - VARCHAR → `string`
 * - TIMESTAMP(p) and TIMESTAMP_LTZ(p) (`ltz: true`) → `number`, epoch milliseconds (UTC)
 * - INTERVAL → `number`, milliseconds
 * - ARRAY<T> → a JS array of T's representation
 * - ROW<f1 T1, …> → a JS array of the field values, in field order
 * - NULL (the type of the literal `NULL`) and any SQL NULL value → `null`
 */
export type DataType =
  | { readonly kind: 'BOOLEAN' }
  | { readonly kind: 'INT' }
  | { readonly kind: 'BIGINT' }
  | { readonly kind: 'DOUBLE' }
  | { readonly kind: 'DECIMAL'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'VARCHAR' }
  | { readonly kind: 'TIMESTAMP'; readonly precision: number; readonly ltz: boolean }
  | { readonly kind: 'INTERVAL' }
  | { readonly kind: 'ARRAY'; readonly element: DataType }
  | { readonly kind: 'ROW'; readonly fields: readonly Field[] }
  | { readonly kind: 'NULL' };

export type TypeKind = DataType['kind'];

/**
 * One column of a schema. `timeAttribute` is set on the column(s) that still carry a watermark at this
 * point of the plan: `'event'` for an event-time (rowtime) column, `'proctime'` for a `PROCTIME()` column.
 */
export interface Field {
  readonly name: string;
  readonly type: DataType;
  readonly nullable: boolean;
  readonly timeAttribute?: 'event' | 'proctime';
}

/** An ordered list of fields: the shape of the rows of a relation. Column references index into it. */
export interface Schema {
  readonly fields: readonly Field[];
}

export const BOOLEAN: DataType = { kind: 'BOOLEAN' };
export const INT: DataType = { kind: 'INT' };
export const BIGINT: DataType = { kind: 'BIGINT' };
export const DOUBLE: DataType = { kind: 'DOUBLE' };
export const VARCHAR: DataType = { kind: 'VARCHAR' };
export const INTERVAL: DataType = { kind: 'INTERVAL' };
export const NULL_TYPE: DataType = { kind: 'NULL' };
export const TIMESTAMP3: DataType = { kind: 'TIMESTAMP', precision: 3, ltz: false };
export const TIMESTAMP_LTZ3: DataType = { kind: 'TIMESTAMP', precision: 3, ltz: true };

export function decimal(precision: number, scale: number): DataType {
  return { kind: 'DECIMAL', precision, scale };
}

export function arrayOf(element: DataType): DataType {
  return { kind: 'ARRAY', element };
}

export function field(
  name: string,
  type: DataType,
  nullable = true,
  timeAttribute?: 'event' | 'proctime',
): Field {
  return timeAttribute ? { name, type, nullable, timeAttribute } : { name, type, nullable };
}

/** `'INT'`, `'DECIMAL(23, 3)'`, `'TIMESTAMP_LTZ(3)'`, `'ARRAY<BIGINT>'`, `'ROW<a INT, b VARCHAR>'`. */
export function typeToString(t: DataType): string {
  switch (t.kind) {
    case 'DECIMAL':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'TIMESTAMP':
      return `${t.ltz ? 'TIMESTAMP_LTZ' : 'TIMESTAMP'}(${t.precision})`;
    case 'ARRAY':
      return `ARRAY<${typeToString(t.element)}>`;
    case 'ROW':
      return `ROW<${t.fields.map((f) => `${quoteIdentIfNeeded(f.name)} ${typeToString(f.type)}`).join(', ')}>`;
    default:
      return t.kind;
  }
}

function quoteIdentIfNeeded(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : '`' + name.replace(/`/g, '``') + '`';
}

export function typeEquals(a: DataType, b: DataType): boolean {
  return typeToString(a) === typeToString(b);
}

export function isNumeric(t: DataType): boolean {
  return t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'DOUBLE' || t.kind === 'DECIMAL';
}

export function isExactNumeric(t: DataType): boolean {
  return t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'DECIMAL';
}

export function isTimestamp(t: DataType): boolean {
  return t.kind === 'TIMESTAMP';
}

/** A one-line rendering of a schema: `[a INT, b VARCHAR NOT NULL, ts TIMESTAMP(3) *ROWTIME*]`. */
export function schemaToString(s: Schema): string {
  return `[${s.fields
    .map(
      (f) =>
        `${f.name} ${typeToString(f.type)}${f.nullable ? '' : ' NOT NULL'}${
          f.timeAttribute === 'event' ? ' *ROWTIME*' : f.timeAttribute === 'proctime' ? ' *PROCTIME*' : ''
        }`,
    )
    .join(', ')}]`;
}
