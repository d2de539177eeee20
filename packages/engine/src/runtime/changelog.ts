import type { Row } from './batch.ts';

/**
 * Rows of an updating stream carry their change kind as one extra, last element (after the schema's columns):
 * insert, update-before (the old row of an update), update-after (its new row), delete — Flink's
 * `+I -U +U -D`. Append-only streams carry no kind.
 */
export const RowKind = { INSERT: 0, UPDATE_BEFORE: 1, UPDATE_AFTER: 2, DELETE: 3 } as const;
export type RowKind = (typeof RowKind)[keyof typeof RowKind];

export const ROW_KIND_LABELS = ['+I', '-U', '+U', '-D'] as const;

/** The kind of an updating row of `width` columns. */
export function kindOf(row: Row, width: number): RowKind {
  return row[width] as RowKind;
}

/** True for +I and +U: the row adds to the result; false for -U and -D: it takes away. */
export function isAccumulate(kind: RowKind): boolean {
  return kind === RowKind.INSERT || kind === RowKind.UPDATE_AFTER;
}

export function withKind(values: Row, kind: RowKind): Row {
  values.push(kind);
  return values;
}
