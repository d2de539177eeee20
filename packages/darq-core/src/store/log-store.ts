import type { EntryKind } from '../types.ts';

/** One log row as the store keeps it. */
export interface StoredEntry {
  readonly lsn: number;
  readonly kind: EntryKind;
  readonly dest: string | null;
  readonly body: Uint8Array;
  readonly version: number;
}

/**
 * The narrow storage interface under a worker: a log of entries, consumption marks, keyed rows and
 * counters, grouped into versions. Everything above it (steps, fencing, dedup, replay) is store-agnostic.
 *
 * Rules every implementation keeps (checked by the conformance suite in test/store-conformance):
 * - all writes happen inside the version transaction opened by `begin()` and made durable by `commit()`;
 * - `atomically(fn)` undoes every write of `fn` when it throws;
 * - with `undo`, every write is tagged with a version so `rollbackTo(v)` restores the end of version v,
 *   and `truncate(cut)` forgets what is needed only to roll back versions ≤ cut;
 * - counters are never rolled back (incarnations, LSN and version high-water marks).
 */
export interface LogStore {
  /** The file (or a descriptive name for the in-memory store). */
  readonly path: string;
  /** Whether writes keep undo records so that `rollbackTo` works. */
  readonly undo: boolean;
  readonly inTransaction: boolean;

  /** Opens the version transaction if it is not open yet. */
  begin(): void;
  /** Makes the open transaction durable (one commit); a no-op when none is open. */
  commit(): void;
  /** Drops the open transaction as a crash would (then closes the SQLite file; memory stays reopenable). */
  abandon(): void;
  /** Runs `fn` inside the open transaction as one unit: if it throws, none of its writes remain. */
  atomically<T>(fn: () => T): T;

  getCounter(name: string): number | undefined;
  setCounter(name: string, value: number): void;

  /** Appends one entry with a caller-chosen, strictly increasing LSN. */
  append(
    lsn: number,
    pid: number,
    kind: EntryKind,
    dest: string | null,
    body: Uint8Array,
    version: number,
  ): void;
  /** Highest LSN present in the log, 0 when the log is empty. */
  maxLsn(): number;
  /** Marks a live IN or STATE entry of `pid` consumed; false if it is unknown, of another kind or consumed. */
  consume(pid: number, lsn: number, version: number): boolean;
  /** Consumes every live STATE entry of `pid`; returns how many. */
  consumeStates(pid: number, version: number): number;
  /** Removes an OUT entry of `pid` once its delivery is acknowledged; false if it is not there. */
  acknowledge(pid: number, lsn: number, version: number): boolean;
  /** Live (unconsumed, unacknowledged) entries of one kind of `pid` with LSN > `afterLsn`, in LSN order. */
  live(pid: number, kind: EntryKind, afterLsn: number, limit: number): StoredEntry[];
  /** Number of rows physically present in the log (for compaction checks). */
  entryCount(): number;
  /** Bytes holding data: SQLite pages in use (free pages excluded); for memory, bodies and values. */
  bytesInUse(): number;

  kvGet(ns: string, key: string): Uint8Array | undefined;
  kvPut(ns: string, key: string, value: Uint8Array, version: number): void;
  kvDelete(ns: string, key: string, version: number): boolean;
  /** Rows of `ns` whose key starts with `prefix` and is > `after` (when given), ordered by UTF-8 bytes. */
  kvScan(ns: string, prefix: string, after: string | undefined, limit: number): Array<[string, Uint8Array]>;

  /** Undoes every write of versions > `version` (needs `undo`). Runs inside the open transaction. */
  rollbackTo(version: number): void;
  /** Forgets undo records of versions ≤ `cut` and drops entries consumed or acknowledged in them. */
  truncate(cut: number): void;
  /** Makes every committed transaction durable on the device, in the background (fsync of the WAL). */
  sync(done: (err?: Error) => void): void;
  /** The same, synchronously. */
  syncNow(): void;
  /** Moves WAL content into the database file (SQLite); cheap no-op elsewhere. */
  checkpoint(): void;
  close(): void;
}

/**
 * The smallest string greater than every string that starts with `prefix`, comparing by code points
 * (= UTF-8 byte order), or undefined when there is none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  if (prefix.length === 0) return undefined;
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop() as string;
    let cp = (last.codePointAt(0) as number) + 1;
    if (cp === 0xd800) cp = 0xe000;
    if (cp <= 0x10ffff) return cps.join('') + String.fromCodePoint(cp);
  }
  return undefined;
}
