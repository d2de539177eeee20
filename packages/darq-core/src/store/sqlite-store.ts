import { accessSync, closeSync, constants, fsync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DarqError } from '../errors.ts';
import type { EntryKind } from '../types.ts';
import { type LogStore, prefixUpperBound, type StoredEntry } from './log-store.ts';

/** `PRAGMA application_id` of a darq worker file: the bytes 'DARQ'. */
export const DARQ_APPLICATION_ID = 0x44415251;
/** Schema version written to `PRAGMA user_version`; a file with a higher one is refused. */
export const DARQ_SCHEMA_VERSION = 1;

export interface SqliteStoreOptions {
  readonly path: string;
  readonly undo: boolean;
  /** 'process': WAL + synchronous=NORMAL (survives kill -9); 'machine': synchronous=FULL (fsync per commit). */
  readonly persistence: 'process' | 'machine';
}

const SCHEMA = `
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE log (
  lsn INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  version INTEGER NOT NULL,
  dest TEXT,
  body BLOB NOT NULL
);
CREATE INDEX log_by_version ON log (version);
CREATE TABLE live (pid INTEGER NOT NULL, kind INTEGER NOT NULL, lsn INTEGER NOT NULL, PRIMARY KEY (pid, kind, lsn))
  WITHOUT ROWID;
CREATE TABLE consumed (lsn INTEGER PRIMARY KEY, version INTEGER NOT NULL, pid INTEGER NOT NULL, kind INTEGER NOT NULL);
CREATE TABLE kv (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;
CREATE TABLE undo (seq INTEGER PRIMARY KEY, version INTEGER NOT NULL, ns TEXT NOT NULL, key TEXT NOT NULL, old BLOB);
`;

function sqliteCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : '';
}

/** Opens (creating if needed) the SQLite file of one worker, refusing files that are not darq's. */
function openDatabase(opts: SqliteStoreOptions): Database.Database {
  const file = resolve(opts.path);
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new DarqError(
      'DARQ_DIR_UNWRITABLE',
      'external',
      `cannot use directory ${dir} for worker file ${file}: ${(err as Error).message}. ` +
        'Create the directory or point the worker at a writable path.',
      { cause: err },
    );
  }
  let existed = false;
  try {
    const st = statSync(file);
    if (!st.isFile()) {
      throw new DarqError(
        'DARQ_NOT_A_FILE',
        'user',
        `worker path ${file} exists but is not a regular file. Point the worker at a file path.`,
      );
    }
    existed = st.size > 0;
  } catch (err) {
    if (err instanceof DarqError) throw err;
  }
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 100 });
  } catch (err) {
    throw new DarqError(
      'DARQ_OPEN_FAILED',
      'external',
      `cannot open worker file ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    const appId = db.pragma('application_id', { simple: true }) as number;
    const userVersion = db.pragma('user_version', { simple: true }) as number;
    const tables = db
      .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .get() as number;
    if (appId === DARQ_APPLICATION_ID) {
      if (userVersion > DARQ_SCHEMA_VERSION) {
        throw new DarqError(
          'DARQ_SCHEMA_TOO_NEW',
          'user',
          `worker file ${file} was written by a newer darq (schema ${userVersion}, this build reads up to ` +
            `${DARQ_SCHEMA_VERSION}). Upgrade darq; the file was left untouched.`,
        );
      }
    } else if (appId !== 0 || tables > 0 || userVersion !== 0) {
      throw new DarqError(
        'DARQ_FOREIGN_FILE',
        'user',
        `${file} is an SQLite database that darq did not create (application_id ${appId}, ${tables} tables). ` +
          'Refusing to use it; choose another path for the worker file.',
      );
    } else if (existed && tables === 0 && userVersion === 0 && appId === 0) {
      // An existing but empty database: safe to initialise, nothing can be lost.
    }
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new DarqError('DARQ_OPEN_FAILED', 'external', `cannot switch ${file} to WAL mode (got ${mode})`);
    }
    db.pragma(`synchronous = ${opts.persistence === 'machine' ? 'FULL' : 'NORMAL'}`);
    db.pragma('wal_autocheckpoint = 0');
    db.pragma('journal_size_limit = 67108864'); // after a checkpoint, shrink a WAL that grew past 64 MiB
    db.pragma('cache_size = -32768');
    db.pragma('temp_store = MEMORY');
    // Take the exclusive lock now (held until close): a second process on the same file fails here.
    db.exec('BEGIN IMMEDIATE');
    if (appId !== DARQ_APPLICATION_ID) {
      db.exec(SCHEMA);
      db.pragma(`application_id = ${DARQ_APPLICATION_ID}`);
      db.pragma(`user_version = ${DARQ_SCHEMA_VERSION}`);
    }
    db.exec('COMMIT');
    return db;
  } catch (err) {
    try {
      db.close();
    } catch {
      // closing a half-opened handle may fail too; the original error is the one to report
    }
    if (err instanceof DarqError) throw err;
    const code = sqliteCode(err);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new DarqError(
        'DARQ_CORRUPT_FILE',
        'user',
        `worker file ${file} is corrupt or not an SQLite database (${(err as Error).message}). ` +
          'Restore it from a backup or move it away; darq never starts empty over existing data.',
        { cause: err },
      );
    }
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new DarqError(
        'DARQ_FILE_IN_USE',
        'user',
        `worker file ${file} is in use by another process. Stop that process or give this worker its own file.`,
        { cause: err },
      );
    }
    throw new DarqError(
      'DARQ_OPEN_FAILED',
      'external',
      `cannot open worker file ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** The SQLite implementation of {@link LogStore}: one file per worker, WAL, statements prepared once. */
export class SqliteLogStore implements LogStore {
  readonly path: string;
  readonly undo: boolean;
  private readonly db: Database.Database;
  private readonly s: ReturnType<typeof prepareAll>;
  private savepointDepth = 0;
  private walDescriptor: number | undefined;

  constructor(opts: SqliteStoreOptions) {
    this.path = resolve(opts.path);
    this.undo = opts.undo;
    this.db = openDatabase(opts);
    this.s = prepareAll(this.db);
    if (!this.undo) {
      // Opened without undo, every persisted version counts as committed: finish truncations and drop
      // undo records a previous run with undo left behind.
      this.db.exec(
        'BEGIN; DELETE FROM log WHERE lsn IN (SELECT lsn FROM consumed); DELETE FROM consumed; DELETE FROM undo; COMMIT',
      );
    }
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  begin(): void {
    if (!this.db.inTransaction) this.s.begin.run();
  }

  commit(): void {
    if (this.db.inTransaction) this.s.commit.run();
  }

  abandon(): void {
    // Closing with a transaction open rolls it back, exactly what a crash leaves behind.
    if (this.db.open) this.db.close();
    this.closeWalFd();
  }

  atomically<T>(fn: () => T): T {
    this.begin();
    const depth = ++this.savepointDepth;
    const name = depth === 1 ? this.s.sp1 : undefined;
    if (name) name.savepoint.run();
    else this.db.exec(`SAVEPOINT s${depth}`);
    try {
      const result = fn();
      if (name) name.release.run();
      else this.db.exec(`RELEASE s${depth}`);
      return result;
    } catch (err) {
      if (this.db.inTransaction) {
        if (name) {
          name.rollback.run();
          name.release.run();
        } else {
          this.db.exec(`ROLLBACK TO s${depth}`);
          this.db.exec(`RELEASE s${depth}`);
        }
      }
      throw err;
    } finally {
      this.savepointDepth--;
    }
  }

  getCounter(name: string): number | undefined {
    return this.s.counterGet.get(name) as number | undefined;
  }

  setCounter(name: string, value: number): void {
    this.s.counterSet.run(name, value);
  }

  append(
    lsn: number,
    pid: number,
    kind: EntryKind,
    dest: string | null,
    body: Uint8Array,
    version: number,
  ): void {
    this.s.append.run(lsn, pid, kind, version, dest, body);
    this.s.liveAdd.run(pid, kind, lsn);
  }

  maxLsn(): number {
    return (this.s.maxLsn.get() as number | null) ?? 0;
  }

  consume(pid: number, lsn: number, version: number): boolean {
    if (this.s.liveTakeKind.run(pid, 0, lsn).changes === 1) return this.gone(pid, 0, lsn, version);
    if (this.s.liveTakeKind.run(pid, 2, lsn).changes === 1) return this.gone(pid, 2, lsn, version);
    return false;
  }

  consumeStates(pid: number, version: number): number {
    const lsns = this.s.liveOfKind.all(pid, 2) as number[];
    for (const lsn of lsns) {
      this.s.liveTakeKind.run(pid, 2, lsn);
      this.gone(pid, 2, lsn, version);
    }
    return lsns.length;
  }

  acknowledge(pid: number, lsn: number, version: number): boolean {
    if (this.s.liveTakeKind.run(pid, 1, lsn).changes !== 1) return false;
    return this.gone(pid, 1, lsn, version);
  }

  /** The entry left the live index: drop it now, or (with undo) remember in which version it went. */
  private gone(pid: number, kind: number, lsn: number, version: number): true {
    if (this.undo) this.s.consumedAdd.run(lsn, version, pid, kind);
    else this.s.logDelete.run(lsn);
    return true;
  }

  live(pid: number, kind: EntryKind, afterLsn: number, limit: number): StoredEntry[] {
    return this.s.live.all(pid, kind, afterLsn, limit) as StoredEntry[];
  }

  entryCount(): number {
    return this.s.entryCount.get() as number;
  }

  bytesInUse(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  kvGet(ns: string, key: string): Uint8Array | undefined {
    return this.s.kvGet.get(ns, key) as Uint8Array | undefined;
  }

  kvPut(ns: string, key: string, value: Uint8Array, version: number): void {
    if (this.undo) this.s.undoAdd.run(version, ns, key, this.s.kvGet.get(ns, key) ?? null);
    this.s.kvPut.run(ns, key, value);
  }

  kvDelete(ns: string, key: string, version: number): boolean {
    if (this.undo) {
      const old = this.s.kvGet.get(ns, key) as Uint8Array | undefined;
      if (old === undefined) return false;
      this.s.undoAdd.run(version, ns, key, old);
    }
    return this.s.kvDelete.run(ns, key).changes === 1;
  }

  kvScan(ns: string, prefix: string, after: string | undefined, limit: number): Array<[string, Uint8Array]> {
    const upper = prefixUpperBound(prefix);
    const s = this.s;
    let rows: unknown[];
    if (after === undefined || after < prefix) {
      rows =
        upper === undefined ? s.scanFrom.all(ns, prefix, limit) : s.scanFromTo.all(ns, prefix, upper, limit);
    } else {
      rows =
        upper === undefined ? s.scanAfter.all(ns, after, limit) : s.scanAfterTo.all(ns, after, upper, limit);
    }
    return rows as Array<[string, Uint8Array]>;
  }

  rollbackTo(version: number): void {
    if (!this.undo) {
      throw new DarqError(
        'DARQ_NO_UNDO',
        'user',
        `worker file ${this.path} was opened without undo records, so it cannot roll back. ` +
          'Open it with { undo: true } to use versions and rollback.',
      );
    }
    this.begin();
    const undos = this.s.undoSince.all(version) as Array<{ ns: string; key: string; old: Uint8Array | null }>;
    for (const u of undos) {
      if (u.old === null) this.s.kvDelete.run(u.ns, u.key);
      else this.s.kvPut.run(u.ns, u.key, u.old);
    }
    this.s.undoDrop.run(version);
    this.s.liveRestore.run(version);
    this.s.consumedDropSince.run(version);
    this.s.liveDropSince.run(version);
    this.s.logDropSince.run(version);
  }

  truncate(cut: number): void {
    if (!this.undo) return;
    this.begin();
    this.s.truncateLog.run(cut);
    this.s.truncateConsumed.run(cut);
    this.s.truncateUndo.run(cut);
  }

  checkpoint(): void {
    if (!this.db.inTransaction) this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  // fsync flushes the file's inode whatever descriptor asks, so our own descriptor of the WAL makes
  // SQLite's writes durable; SQLite keeps the WAL file while the connection is open.
  private walFd(): number {
    this.walDescriptor ??= openSync(`${this.path}-wal`, 'r');
    return this.walDescriptor;
  }

  sync(done: (err?: Error) => void): void {
    fsync(this.walFd(), (err) => done(err ?? undefined));
  }

  syncNow(): void {
    fsyncSync(this.walFd());
  }

  close(): void {
    if (this.db.open) {
      this.commit();
      this.db.close();
    }
    this.closeWalFd();
  }

  private closeWalFd(): void {
    if (this.walDescriptor !== undefined) closeSync(this.walDescriptor);
    this.walDescriptor = undefined;
  }
}

function prepareAll(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    begin: p('BEGIN'),
    commit: p('COMMIT'),
    sp1: { savepoint: p('SAVEPOINT s1'), release: p('RELEASE s1'), rollback: p('ROLLBACK TO s1') },
    counterGet: p('SELECT value FROM counters WHERE name = ?').pluck(),
    counterSet: p(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    ),
    append: p('INSERT INTO log (lsn, pid, kind, version, dest, body) VALUES (?, ?, ?, ?, ?, ?)'),
    maxLsn: p('SELECT max(lsn) FROM log').pluck(),
    entryCount: p('SELECT count(*) FROM log').pluck(),
    liveAdd: p('INSERT INTO live (pid, kind, lsn) VALUES (?, ?, ?)'),
    liveTakeKind: p('DELETE FROM live WHERE pid = ? AND kind = ? AND lsn = ?'),
    liveOfKind: p('SELECT lsn FROM live WHERE pid = ? AND kind = ? ORDER BY lsn').pluck(),
    logDelete: p('DELETE FROM log WHERE lsn = ?'),
    consumedAdd: p('INSERT INTO consumed (lsn, version, pid, kind) VALUES (?, ?, ?, ?)'),
    live: p(
      'SELECT l.lsn, l.kind, l.dest, l.body, l.version FROM live v JOIN log l ON l.lsn = v.lsn ' +
        'WHERE v.pid = ? AND v.kind = ? AND v.lsn > ? ORDER BY v.lsn LIMIT ?',
    ),
    liveRestore: p('INSERT INTO live (pid, kind, lsn) SELECT pid, kind, lsn FROM consumed WHERE version > ?'),
    liveDropSince: p(
      'DELETE FROM live WHERE (pid, kind, lsn) IN (SELECT pid, kind, lsn FROM log WHERE version > ?)',
    ),
    kvGet: p('SELECT value FROM kv WHERE ns = ? AND key = ?').pluck(),
    kvPut: p(
      'INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value',
    ),
    kvDelete: p('DELETE FROM kv WHERE ns = ? AND key = ?'),
    scanFrom: p('SELECT key, value FROM kv WHERE ns = ? AND key >= ? ORDER BY key LIMIT ?').raw(),
    scanFromTo: p(
      'SELECT key, value FROM kv WHERE ns = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?',
    ).raw(),
    scanAfter: p('SELECT key, value FROM kv WHERE ns = ? AND key > ? ORDER BY key LIMIT ?').raw(),
    scanAfterTo: p(
      'SELECT key, value FROM kv WHERE ns = ? AND key > ? AND key < ? ORDER BY key LIMIT ?',
    ).raw(),
    undoAdd: p('INSERT INTO undo (version, ns, key, old) VALUES (?, ?, ?, ?)'),
    undoSince: p('SELECT ns, key, old FROM undo WHERE version > ? ORDER BY seq DESC'),
    undoDrop: p('DELETE FROM undo WHERE version > ?'),
    logDropSince: p('DELETE FROM log WHERE version > ?'),
    consumedDropSince: p('DELETE FROM consumed WHERE version > ?'),
    truncateLog: p('DELETE FROM log WHERE lsn IN (SELECT lsn FROM consumed WHERE version <= ?)'),
    truncateConsumed: p('DELETE FROM consumed WHERE version <= ?'),
    truncateUndo: p('DELETE FROM undo WHERE version <= ?'),
  };
}
