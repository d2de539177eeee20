import { DarqError } from '../errors.ts';
import type { EntryKind } from '../types.ts';
import type { LogStore, StoredEntry } from './log-store.ts';

interface Row extends StoredEntry {
  readonly pid: number;
}

/** Compares strings by code points, which is UTF-8 byte order (SQLite's BINARY collation). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, which sort after 0xE000-0xFFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The in-memory {@link LogStore}: same semantics as the SQLite store, nothing on disk. "Durable" means
 * committed: `abandon()` drops the open transaction the way a crash drops an uncommitted SQLite
 * transaction, and a new worker over the same store sees exactly the committed state.
 */
export class MemoryLogStore implements LogStore {
  readonly path: string;
  readonly undo: boolean;
  private readonly counters = new Map<string, number>();
  private readonly rows = new Map<number, Row>();
  /** Live rows per `${pid}:${kind}`, in LSN order (consumed rows leave at once without undo). */
  private readonly byKey = new Map<string, Row[]>();
  private readonly consumed = new Map<number, number>();
  private readonly kv = new Map<string, Map<string, Uint8Array>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private undoLog: Array<{ version: number; ns: string; key: string; old: Uint8Array | undefined }> = [];
  /** Inverse operations of the open transaction, newest last. */
  private journal: Array<() => void> = [];
  private open = false;

  constructor(opts: { name?: string; undo?: boolean } = {}) {
    this.path = opts.name ?? ':memory:';
    this.undo = opts.undo ?? false;
  }

  get inTransaction(): boolean {
    return this.open;
  }

  begin(): void {
    this.open = true;
  }

  commit(): void {
    this.journal = [];
    this.open = false;
  }

  /** Drops the open transaction, as a crash would. */
  abandon(): void {
    this.rollbackJournal(0);
    this.open = false;
  }

  atomically<T>(fn: () => T): T {
    this.begin();
    const mark = this.journal.length;
    try {
      return fn();
    } catch (err) {
      this.rollbackJournal(mark);
      throw err;
    }
  }

  getCounter(name: string): number | undefined {
    return this.counters.get(name);
  }

  setCounter(name: string, value: number): void {
    const old = this.counters.get(name);
    this.counters.set(name, value);
    this.journal.push(() => (old === undefined ? this.counters.delete(name) : this.counters.set(name, old)));
  }

  append(
    lsn: number,
    pid: number,
    kind: EntryKind,
    dest: string | null,
    body: Uint8Array,
    version: number,
  ): void {
    if (this.rows.has(lsn))
      throw new DarqError('DARQ_DUPLICATE_LSN', 'internal', `LSN ${lsn} appended twice`);
    const row: Row = { lsn, pid, kind, dest, body: Uint8Array.from(body), version };
    this.insertRow(row);
    this.journal.push(() => this.removeRow(row));
  }

  maxLsn(): number {
    let max = 0;
    for (const lsn of this.rows.keys()) if (lsn > max) max = lsn;
    return max;
  }

  consume(pid: number, lsn: number, version: number): boolean {
    const row = this.rows.get(lsn);
    if (row === undefined || row.pid !== pid || (row.kind !== 0 && row.kind !== 2)) return false;
    return this.markGone(row, version);
  }

  consumeStates(pid: number, version: number): number {
    let n = 0;
    for (const row of [...(this.byKey.get(`${pid}:2`) ?? [])]) if (this.markGone(row, version)) n++;
    return n;
  }

  acknowledge(pid: number, lsn: number, version: number): boolean {
    const row = this.rows.get(lsn);
    if (row === undefined || row.pid !== pid || row.kind !== 1) return false;
    return this.markGone(row, version);
  }

  live(pid: number, kind: EntryKind, afterLsn: number, limit: number): StoredEntry[] {
    const list = this.byKey.get(`${pid}:${kind}`);
    if (list === undefined) return [];
    const out: StoredEntry[] = [];
    for (let i = lowerBound(list, afterLsn + 1); i < list.length && out.length < limit; i++) {
      const r = list[i] as Row;
      out.push({ lsn: r.lsn, kind: r.kind, dest: r.dest, body: r.body, version: r.version });
    }
    return out;
  }

  entryCount(): number {
    return this.rows.size;
  }

  bytesInUse(): number {
    let n = 0;
    for (const r of this.rows.values()) n += r.body.byteLength + 32;
    for (const [ns, m] of this.kv) for (const [k, v] of m) n += ns.length + k.length + v.byteLength;
    return n;
  }

  kvGet(ns: string, key: string): Uint8Array | undefined {
    return this.kv.get(ns)?.get(key);
  }

  kvPut(ns: string, key: string, value: Uint8Array, version: number): void {
    const old = this.kvGet(ns, key);
    if (this.undo) this.pushUndo(version, ns, key, old);
    this.rawSet(ns, key, Uint8Array.from(value));
    this.journal.push(() => this.rawSet(ns, key, old));
  }

  kvDelete(ns: string, key: string, version: number): boolean {
    const old = this.kvGet(ns, key);
    if (old === undefined) return false;
    if (this.undo) this.pushUndo(version, ns, key, old);
    this.rawSet(ns, key, undefined);
    this.journal.push(() => this.rawSet(ns, key, old));
    return true;
  }

  kvScan(ns: string, prefix: string, after: string | undefined, limit: number): Array<[string, Uint8Array]> {
    const map = this.kv.get(ns);
    if (map === undefined) return [];
    let keys = this.sortedKeys.get(ns);
    if (keys === undefined) {
      keys = [...map.keys()].sort(compareUtf8);
      this.sortedKeys.set(ns, keys);
    }
    const out: Array<[string, Uint8Array]> = [];
    for (const key of keys) {
      if (out.length >= limit) break;
      if (after !== undefined && compareUtf8(key, after) <= 0) continue;
      if (compareUtf8(key, prefix) < 0) continue;
      if (!key.startsWith(prefix)) {
        if (compareUtf8(key, prefix) > 0) break;
        continue;
      }
      out.push([key, map.get(key) as Uint8Array]);
    }
    return out;
  }

  rollbackTo(version: number): void {
    if (!this.undo) {
      throw new DarqError(
        'DARQ_NO_UNDO',
        'user',
        `store ${this.path} keeps no undo records; create it with undo`,
      );
    }
    this.begin();
    for (let i = this.undoLog.length - 1; i >= 0; i--) {
      const u = this.undoLog[i] as (typeof this.undoLog)[number];
      if (u.version <= version) continue;
      const cur = this.kvGet(u.ns, u.key);
      this.rawSet(u.ns, u.key, u.old);
      this.journal.push(() => this.rawSet(u.ns, u.key, cur));
    }
    this.replaceUndo(this.undoLog.filter((u) => u.version <= version));
    for (const row of [...this.rows.values()]) {
      if (row.version > version) {
        const gone = this.consumed.get(row.lsn);
        this.removeRow(row);
        this.journal.push(() => this.insertRow(row, gone));
      }
    }
    for (const [lsn, v] of [...this.consumed]) {
      if (v > version) {
        const row = this.rows.get(lsn) as Row;
        this.consumed.delete(lsn);
        this.indexRow(row);
        this.journal.push(() => {
          this.unindexRow(row);
          this.consumed.set(lsn, v);
        });
      }
    }
  }

  truncate(cut: number): void {
    if (!this.undo) return;
    this.begin();
    for (const [lsn, v] of [...this.consumed]) {
      if (v <= cut) {
        const row = this.rows.get(lsn) as Row;
        this.removeRow(row);
        this.journal.push(() => this.insertRow(row, v));
      }
    }
    this.replaceUndo(this.undoLog.filter((u) => u.version > cut));
  }

  checkpoint(): void {}

  sync(done: (err?: Error) => void): void {
    queueMicrotask(() => done());
  }

  syncNow(): void {}

  /** Commits; the memory stays, so a new worker over this store "reopens" it. */
  close(): void {
    this.commit();
  }

  private markGone(row: Row, version: number): boolean {
    if (this.consumed.has(row.lsn)) return false;
    if (!this.undo) {
      this.removeRow(row);
      this.journal.push(() => this.insertRow(row));
      return true;
    }
    this.consumed.set(row.lsn, version);
    this.unindexRow(row);
    this.journal.push(() => {
      this.consumed.delete(row.lsn);
      this.indexRow(row);
    });
    return true;
  }

  private insertRow(row: Row, consumedIn?: number): void {
    this.rows.set(row.lsn, row);
    if (consumedIn === undefined) this.indexRow(row);
    else this.consumed.set(row.lsn, consumedIn);
  }

  private removeRow(row: Row): void {
    this.rows.delete(row.lsn);
    if (this.consumed.has(row.lsn)) this.consumed.delete(row.lsn);
    else this.unindexRow(row);
  }

  private indexRow(row: Row): void {
    const key = `${row.pid}:${row.kind}`;
    let list = this.byKey.get(key);
    if (list === undefined) this.byKey.set(key, (list = []));
    list.splice(lowerBound(list, row.lsn), 0, row);
  }

  private unindexRow(row: Row): void {
    const list = this.byKey.get(`${row.pid}:${row.kind}`);
    if (list === undefined) return;
    const i = lowerBound(list, row.lsn);
    if (list[i] === row) list.splice(i, 1);
  }

  private rawSet(ns: string, key: string, value: Uint8Array | undefined): void {
    let map = this.kv.get(ns);
    if (value === undefined) {
      if (map?.delete(key)) this.sortedKeys.delete(ns);
      return;
    }
    if (map === undefined) this.kv.set(ns, (map = new Map()));
    if (!map.has(key)) this.sortedKeys.delete(ns);
    map.set(key, value);
  }

  private pushUndo(version: number, ns: string, key: string, old: Uint8Array | undefined): void {
    this.undoLog.push({ version, ns, key, old });
    this.journal.push(() => this.undoLog.pop());
  }

  private replaceUndo(next: typeof this.undoLog): void {
    const old = this.undoLog;
    this.undoLog = next;
    this.journal.push(() => {
      this.undoLog = old;
    });
  }

  private rollbackJournal(mark: number): void {
    while (this.journal.length > mark) (this.journal.pop() as () => void)();
  }
}

function lowerBound(list: readonly Row[], lsn: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as Row).lsn < lsn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
