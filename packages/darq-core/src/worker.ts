import { type Observable, Subject } from 'rxjs';
import { codec } from './codec.ts';
import { Darq, type WorkerContext } from './darq.ts';
import { DarqError } from './errors.ts';
import type { LogStore } from './store/log-store.ts';
import { SqliteLogStore } from './store/sqlite-store.ts';
import type { ParticipantId, Version } from './types.ts';

export interface WorkerOptions {
  /** This worker's one SQLite file (its directory is created if missing). */
  path: string;
  /** Default 'w0'. */
  workerId?: string;
  /** 'process': WAL + synchronous=NORMAL, survives kill -9 (default); 'machine': fsync per commit. */
  persistence?: 'process' | 'machine';
  /**
   * Keep undo records per version so `rollbackTo` works (speculative execution). Without it every
   * persisted version counts as committed at once and consumed entries are deleted as they are consumed.
   */
  undo?: boolean;
  /** Delay after a commit before the WAL is checkpointed off the hot path (ms, default 50; 0 = never). */
  walCheckpointMs?: number;
  /**
   * With 'machine' persistence: `commit()` returns as soon as the version is written, and the fsync runs
   * in Node's thread pool while work goes on; `persisted$` emits the version once the fsync completed
   * (the cut follows). A kill -9 loses nothing either way; a power loss only loses versions that
   * `persisted$` has not emitted yet. Default false (the fsync happens inside `commit()`).
   */
  syncInBackground?: boolean;
  /**
   * Benchmarks and tests only: report each version durable this many ms after it really is, as a slow
   * storage device would (`persisted$`, the finder's reports and the cut all wait for it). Default 0.
   */
  persistDelayMs?: number;
}

const PARTICIPANTS_NS = 'P';
const META_NS = 'M';
const MAX_ID_LENGTH = 256;
/** After this many commits without a checkpoint, checkpoint right after a commit. */
const FORCED_CHECKPOINT_COMMITS = 2000;

/**
 * One failure domain: one SQLite file hosting the DARQs of all its participants, one sequence of versions.
 * A version is one SQLite transaction; every step goes into the open version; `commit()` makes it durable.
 *
 * ```ts
 * const worker = Worker.open({ path: 'state/w0.sqlite', persistence: 'machine' });
 * const q = worker.participant('counter');
 * q.enqueue('client-1', 0, [body]);
 * worker.commit(); // Version 1 is durable
 * ```
 */
export class Worker {
  readonly id: string;
  readonly path: string;
  readonly undo: boolean;
  /** Emits each version right after it became durable. */
  readonly persisted$: Observable<Version>;
  /** Emits the target version after each `rollbackTo`, once the rollback is durable. */
  readonly rolledBack$: Observable<Version>;
  /** Emits the cut each time it advances (without undo: after every commit, like `persisted$`). */
  readonly committed$: Observable<Version>;
  private readonly store: LogStore;
  private readonly ctx: WorkerContext;
  private readonly persistedSubject = new Subject<Version>();
  private readonly rolledBackSubject = new Subject<Version>();
  private readonly committedSubject = new Subject<Version>();
  private readonly darqs = new Map<ParticipantId, Darq>();
  private outListeners: Array<(darq: Darq) => void> = [];
  private beforeCommitListeners: Array<() => void> = [];
  private persistedVersion: number;
  /** Last version closed by a COMMIT; equals persistedVersion unless a background fsync is pending. */
  private closedVersion: number;
  private cutVersion: number;
  private readonly background: boolean;
  private readonly persistDelayMs: number;
  private syncing = false;
  private truncationDue = false;
  private syncAgain = false;
  private nextLsn: number;
  private nextPid: number;
  private dirty = false;
  private closed = false;
  private readonly walCheckpointMs: number;
  private walTimer: NodeJS.Timeout | undefined;
  private walDue = false;
  /** The turn after a commit had no gap between versions either: checkpoint right after the next commit. */
  private walMissed = false;
  private commitsSinceCheckpoint = 0;

  private constructor(store: LogStore, opts: WorkerOptions) {
    this.store = store;
    this.id = opts.workerId ?? 'w0';
    this.path = store.path;
    this.undo = store.undo;
    this.walCheckpointMs = opts.walCheckpointMs ?? 50;
    this.persisted$ = this.persistedSubject.asObservable();
    this.rolledBack$ = this.rolledBackSubject.asObservable();
    this.committed$ = this.committedSubject.asObservable();
    this.persistedVersion = store.getCounter('persisted') ?? 0;
    this.closedVersion = this.persistedVersion;
    this.background = opts.syncInBackground === true && opts.persistence === 'machine';
    this.persistDelayMs = opts.persistDelayMs ?? 0;
    this.cutVersion = this.undo ? (store.getCounter('cut') ?? 0) : this.persistedVersion;
    this.nextLsn = Math.max(store.getCounter('next_lsn') ?? 1, store.maxLsn() + 1);
    this.nextPid = store.getCounter('next_pid') ?? 1;
    this.ctx = {
      store,
      touch: () => this.touch(),
      allocLsn: () => this.nextLsn++,
      releaseLsns: (next: number) => {
        this.nextLsn = next;
      },
      peekLsn: () => this.nextLsn,
      local: (id: ParticipantId) => this.darqs.get(id),
      commit: () => this.commit(),
      outAppended: (darq: Darq) => {
        for (const l of this.outListeners) l(darq);
      },
    };
    this.loadParticipants();
  }

  /**
   * Opens (or creates) a worker file. Throws a {@link DarqError} naming the file when it is corrupt or not
   * darq's (`DARQ_CORRUPT_FILE`, `DARQ_FOREIGN_FILE`), written by a newer schema (`DARQ_SCHEMA_TOO_NEW`),
   * in use by another process (`DARQ_FILE_IN_USE`) or in a directory that cannot be written
   * (`DARQ_DIR_UNWRITABLE`). It never starts empty over existing data.
   */
  static open(opts: WorkerOptions): Worker {
    if (typeof opts?.path !== 'string' || opts.path.length === 0) {
      throw new DarqError('DARQ_BAD_OPTIONS', 'user', 'Worker.open: `path` must name the worker file');
    }
    const persistence = opts.persistence ?? 'process';
    if (persistence !== 'process' && persistence !== 'machine') {
      throw new DarqError(
        'DARQ_BAD_OPTIONS',
        'user',
        `Worker.open(${opts.path}): persistence must be 'process' or 'machine' (got '${String(persistence)}')`,
      );
    }
    const background = opts.syncInBackground === true && persistence === 'machine';
    const store = new SqliteLogStore({
      path: opts.path,
      undo: opts.undo ?? false,
      persistence: background ? 'process' : persistence,
    });
    return new Worker(store, { ...opts, persistence });
  }

  /** @internal Opens a worker over any {@link LogStore} (the in-memory store in tests). */
  static withStore(store: LogStore, opts: Omit<WorkerOptions, 'path'> = {}): Worker {
    return new Worker(store, { ...opts, path: store.path });
  }

  /** The open version: steps go into it; it becomes durable at the next `commit()`. */
  get version(): Version {
    return (this.closedVersion + 1) as Version;
  }

  /** The last durable version (0 before the first commit). */
  get persisted(): Version {
    return this.persistedVersion as Version;
  }

  /** Whether a background fsync is still making closed versions durable (`persisted$` has not caught up). */
  get syncPending(): boolean {
    return this.syncing || this.syncAgain;
  }

  /** Whether the open version holds changes that the next `commit()` will make durable. */
  get hasOpenChanges(): boolean {
    return this.dirty;
  }

  /** The committed cut of this worker: versions ≤ it are never rolled back. */
  get cut(): Version {
    return this.cutVersion as Version;
  }

  /** Gets the participant `id`, creating it (in the open version) if it does not exist. */
  participant(id: ParticipantId): Darq {
    const existing = this.darqs.get(id);
    if (existing !== undefined) return existing;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new DarqError(
        'DARQ_BAD_PARTICIPANT_ID',
        'user',
        `worker ${this.path}: participant ids must be strings of 1..${MAX_ID_LENGTH} characters (got ${String(id)})`,
      );
    }
    const version = this.touch();
    const pid = this.nextPid++;
    this.store.setCounter('next_pid', this.nextPid);
    this.store.kvPut(PARTICIPANTS_NS, id, codec.pack(pid), version);
    const darq = new Darq(this, this.ctx, id, pid);
    this.darqs.set(id, darq);
    return darq;
  }

  /** Calls `listener` after each step that appended OUT entries (the outbox uses it); returns unsubscribe. */
  onOutAppend(listener: (darq: Darq) => void): () => void {
    this.outListeners = [...this.outListeners, listener];
    return () => {
      this.outListeners = this.outListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Calls `listener` inside every commit that makes changes durable, just before the COMMIT, while the
   * version is still open (the speculation layer records the version's dependencies this way); returns
   * unsubscribe.
   */
  onBeforeCommit(listener: () => void): () => void {
    this.beforeCommitListeners = [...this.beforeCommitListeners, listener];
    return () => {
      this.beforeCommitListeners = this.beforeCommitListeners.filter((l) => l !== listener);
    };
  }

  /**
   * The commit-ordering rule of speculation: before this worker takes in a message from version `v` of
   * another worker, its own open version must be at least `v`. Closes the open version if it holds
   * changes, and numbers the next version `v` (the numbers in between stay empty).
   */
  fastForward(v: Version): void {
    this.checkOpen();
    if (v <= this.closedVersion + 1) return;
    if (this.dirty) this.commit();
    if (v - 1 > this.closedVersion) this.closedVersion = v - 1;
  }

  participantIds(): ParticipantId[] {
    return [...this.darqs.keys()];
  }

  getMeta(key: string): string | undefined {
    const raw = this.store.kvGet(META_NS, key);
    return raw === undefined ? undefined : (codec.unpack(raw) as string);
  }

  /** Stores a small durable value in the open version (rolled back with it). */
  setMeta(key: string, value: string): void {
    const version = this.touch();
    this.store.kvPut(META_NS, key, codec.pack(value), version);
  }

  /**
   * Closes the open version with one SQLite COMMIT (an fsync with 'machine' persistence) and opens the next.
   * Returns the version just made durable; when nothing changed it only returns the last one. With
   * `syncInBackground` it returns the version just closed, which is durable once `persisted$` emits it.
   */
  commit(): Version {
    this.checkOpen();
    if (!this.dirty) return this.closedVersion as Version;
    for (const l of this.beforeCommitListeners) l();
    if (this.truncationDue) this.applyTruncation();
    const v = this.closedVersion + 1;
    this.store.setCounter('persisted', v);
    this.store.setCounter('next_lsn', this.nextLsn);
    this.store.commit();
    this.dirty = false;
    this.closedVersion = v;
    this.afterCommit();
    if (this.background) this.requestSync();
    else this.durable(v);
    return v as Version;
  }

  /** Version `v` reached the disk: tell at once, or after the simulated storage delay. */
  private durable(v: number): void {
    if (this.persistDelayMs <= 0) {
      this.markDurable(v);
      return;
    }
    setTimeout(() => {
      if (!this.closed) this.markDurable(v);
    }, this.persistDelayMs);
  }

  private markDurable(v: number): void {
    if (v <= this.persistedVersion) return;
    this.persistedVersion = v;
    if (!this.undo) this.cutVersion = v;
    this.persistedSubject.next(v as Version);
    if (!this.undo) this.committedSubject.next(v as Version);
  }

  /** One fsync in flight at a time; versions closed meanwhile ride on the next one. */
  private requestSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    const target = this.closedVersion;
    this.store.sync((err) => {
      this.syncing = false;
      if (this.closed) return;
      if (err !== undefined) {
        this.persistedSubject.error(
          new DarqError(
            'DARQ_SYNC_FAILED',
            'external',
            `fsync of worker file ${this.path} failed: ${err.message}`,
            {
              cause: err,
            },
          ),
        );
        return;
      }
      this.durable(target);
      if (this.syncAgain) {
        this.syncAgain = false;
        this.requestSync();
      }
    });
  }

  /**
   * The cut advanced to `v` (every version ≤ v is committed cluster-wide): drops the undo records of those
   * versions and truncates what they consumed, in the open version or else the next one to commit.
   */
  markCommitted(v: Version): void {
    this.checkOpen();
    if (v > this.persistedVersion) {
      throw new DarqError(
        'DARQ_COMMIT_AHEAD',
        'internal',
        `worker ${this.path}: cannot mark version ${v} committed, only ${this.persistedVersion} is persisted`,
      );
    }
    if (v <= this.cutVersion) return;
    this.cutVersion = v;
    if (!this.undo) return;
    // Truncate inside the open version if there is one; otherwise with the next commit, so that marking
    // the cut never opens a transaction by itself (an open transaction blocks WAL checkpoints).
    this.truncationDue = true;
    if (this.dirty) this.applyTruncation();
    this.committedSubject.next(v);
  }

  private applyTruncation(): void {
    this.truncationDue = false;
    this.store.truncate(this.cutVersion);
    this.store.setCounter('cut', this.cutVersion);
  }

  /**
   * Restores exactly the state at the end of version `v` (cut ≤ v ≤ current): undoes appended entries,
   * consumption marks, state rows, dedup marks, participant creation and meta of later versions. Every
   * participant's incarnation is bumped (never lowered) so processors holding soft state of the undone
   * versions are fenced and restart. Durable when it returns.
   */
  rollbackTo(v: Version): void {
    this.checkOpen();
    if (!this.undo) {
      throw new DarqError(
        'DARQ_NO_UNDO',
        'user',
        `worker ${this.path} was opened without undo records; open it with { undo: true } to roll back`,
      );
    }
    if (v < this.cutVersion || v > this.closedVersion + 1) {
      throw new DarqError(
        'DARQ_BAD_ROLLBACK',
        'internal',
        `worker ${this.path}: cannot roll back to version ${v}; allowed are ${this.cutVersion} (the cut) ` +
          `to ${this.closedVersion + 1} (the open version)`,
      );
    }
    this.touch();
    this.store.rollbackTo(v);
    const present = new Set<ParticipantId>();
    for (const [id] of this.allRows(PARTICIPANTS_NS)) present.add(id);
    for (const [id, darq] of this.darqs) {
      this.store.setCounter(`inc:${id}`, darq.incarnation + 1);
      darq.resetAfterRollback(present.has(id));
      if (!present.has(id)) this.darqs.delete(id);
    }
    this.loadParticipants();
    this.commit();
    this.rolledBackSubject.next(v);
  }

  /** Runs a passive WAL checkpoint now if no version transaction is open; returns whether it ran. */
  checkpointWal(): boolean {
    if (this.closed || this.store.inTransaction) return false;
    this.walDue = false;
    this.walMissed = false;
    this.commitsSinceCheckpoint = 0;
    this.store.checkpoint();
    return true;
  }

  /** Number of log rows physically in the file (consumed entries vanish once committed). */
  entryCount(): number {
    return this.store.entryCount();
  }

  /** Bytes of the file that hold data (free pages, which SQLite reuses, excluded). */
  bytesInUse(): number {
    return this.store.bytesInUse();
  }

  /** Commits the open version and closes the file. */
  close(): void {
    if (this.closed) return;
    this.commit();
    if (this.background && this.closedVersion > this.persistedVersion) {
      this.store.syncNow();
      this.markDurable(this.closedVersion);
    }
    // A simulated storage delay still pending: the file is durable now.
    if (this.closedVersion > this.persistedVersion) this.markDurable(this.closedVersion);
    if (this.walTimer !== undefined) clearTimeout(this.walTimer);
    this.walTimer = undefined;
    this.store.checkpoint();
    this.closed = true;
    this.store.close();
    this.persistedSubject.complete();
    this.rolledBackSubject.complete();
    this.committedSubject.complete();
  }

  /**
   * Closes without committing the open version, exactly as a crash would leave the file (for tests and
   * for giving up a worker whose version can no longer commit).
   */
  abandon(): void {
    if (this.closed) return;
    if (this.walTimer !== undefined) clearTimeout(this.walTimer);
    this.walTimer = undefined;
    this.closed = true;
    this.store.abandon();
    this.persistedSubject.complete();
    this.rolledBackSubject.complete();
    this.committedSubject.complete();
  }

  private touch(): number {
    if (!this.dirty) {
      this.checkOpen();
      this.store.begin();
      this.dirty = true;
    }
    return this.closedVersion + 1;
  }

  private afterCommit(): void {
    if (this.walCheckpointMs <= 0) return;
    if (++this.commitsSinceCheckpoint >= FORCED_CHECKPOINT_COMMITS) {
      // The timer never found a gap between versions (a caller that never yields): bound the WAL anyway.
      this.checkpointWal();
      return;
    }
    if (this.walDue) {
      this.walDue = false;
      if (this.walMissed) {
        // A caller that opens the next version in the same turn as each commit (a saturated loop) leaves no
        // gap: checkpoint now, between this version and the next, rather than let the WAL grow for thousands
        // of commits into one long checkpoint.
        this.walMissed = false;
        this.checkpointWal();
        return;
      }
      // The timer fired while a version was open; checkpoint as soon as this turn of the loop is over.
      setImmediate(() => {
        if (!this.checkpointWal()) {
          this.walDue = true;
          this.walMissed = true;
        }
      });
      return;
    }
    if (this.walTimer !== undefined) return;
    this.walTimer = setTimeout(() => {
      this.walTimer = undefined;
      if (!this.checkpointWal()) this.walDue = true;
    }, this.walCheckpointMs);
    this.walTimer.unref();
  }

  private loadParticipants(): void {
    for (const [id, raw] of this.allRows(PARTICIPANTS_NS)) {
      if (!this.darqs.has(id)) this.darqs.set(id, new Darq(this, this.ctx, id, codec.unpack(raw) as number));
    }
  }

  private allRows(ns: string): Array<[string, Uint8Array]> {
    const out: Array<[string, Uint8Array]> = [];
    let after: string | undefined;
    for (;;) {
      const rows = this.store.kvScan(ns, '', after, 1024);
      out.push(...rows);
      if (rows.length < 1024) return out;
      after = (rows[rows.length - 1] as [string, Uint8Array])[0];
    }
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new DarqError(
        'DARQ_CLOSED',
        'user',
        `worker ${this.path} is closed; open it again with Worker.open`,
      );
    }
  }
}
