import { valueKey } from './values.ts';

/**
 * A multiset kept as plain data — a record from `valueKey(v)` to an entry array — so it survives msgpackr,
 * with a soft in-memory index beside it. Looking a freshly built string up in a plain object makes V8 hash
 * and internalize it (about 1 µs a row), while a Map keyed by the value itself costs tens of nanoseconds; so
 * lookups go through a Map held in a WeakMap keyed by the record. The record stays the truth: an index is
 * rebuilt from it the first time a record is seen (e.g. after it was unpacked from state), and every change
 * goes through the functions below, which update both. Entries are shared by the record and the index, so
 * changing an entry's count in place needs no write to the record.
 */
export type MultisetRecord<E> = Record<string, E>;

interface Index<E> {
  /** primitive value (numbers, strings, booleans, null) → entry */
  readonly prim: Map<unknown, E>;
  /** valueKey of an array value → entry */
  readonly obj: Map<string, E>;
}

const indexes = new WeakMap<object, Index<unknown>>();

function indexOf<E>(rec: MultisetRecord<E>): Index<E> {
  let ix = indexes.get(rec) as Index<E> | undefined;
  if (ix === undefined) {
    ix = { prim: new Map(), obj: new Map() };
    for (const k in rec) {
      const e = rec[k]!;
      switch (k.charCodeAt(0)) {
        case 110: // n
          ix.prim.set(Number(k.slice(1)), e);
          break;
        case 115: // s
          ix.prim.set(k.slice(1), e);
          break;
        case 116: // t
          ix.prim.set(true, e);
          break;
        case 102: // f
          ix.prim.set(false, e);
          break;
        case 122: // z
          ix.prim.set(null, e);
          break;
        default:
          ix.obj.set(k, e);
      }
    }
    indexes.set(rec, ix as Index<unknown>);
  }
  return ix;
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

/** The entry of value `v` (a SQL value, or an array of values for a tuple), if present. */
export function msGet<E>(rec: MultisetRecord<E>, v: unknown): E | undefined {
  const ix = indexOf(rec);
  return isObject(v) ? ix.obj.get(valueKey(v)) : ix.prim.get(v ?? null);
}

/** Adds the entry of a value that is not present yet. */
export function msInsert<E>(rec: MultisetRecord<E>, v: unknown, e: E): void {
  const ix = indexOf(rec);
  const k = valueKey(v);
  rec[k] = e;
  if (isObject(v)) ix.obj.set(k, e);
  else ix.prim.set(v ?? null, e);
}

export function msDelete<E>(rec: MultisetRecord<E>, v: unknown): void {
  const ix = indexOf(rec);
  const k = valueKey(v);
  delete rec[k];
  if (isObject(v)) ix.obj.delete(k);
  else ix.prim.delete(v ?? null);
}

/** The entries, in insertion order (primitive-keyed first; a SQL column never mixes arrays and scalars). */
export function* msEntries<E>(rec: MultisetRecord<E>): IterableIterator<E> {
  const ix = indexOf(rec);
  yield* ix.prim.values();
  yield* ix.obj.values();
}
