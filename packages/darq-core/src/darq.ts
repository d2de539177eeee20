import { codec } from './codec.ts';
import { DarqError } from './errors.ts';
import type { StepRequest } from './step.ts';
import type { LogStore, StoredEntry } from './store/log-store.ts';
import {
  type DarqMessage,
  EntryKind,
  type Incarnation,
  type Lsn,
  type ParticipantId,
  type StepStatus,
  type Version,
} from './types.ts';
import type { Worker } from './worker.ts';

/** What a Darq needs from its worker; created by the worker, never by users. */
export interface WorkerContext {
  readonly store: LogStore;
  /** The open version, opening the version transaction if needed (call before any write). */
  touch(): number;
  allocLsn(): number;
  releaseLsns(next: number): void;
  peekLsn(): number;
  local(id: ParticipantId): Darq | undefined;
  commit(): unknown;
  /** Called after a step appended OUT entries. */
  outAppended(darq: Darq): void;
}

/** An OUT entry waiting in the outbox, with the version that appended it. */
export interface OutEntry extends DarqMessage {
  readonly dest: ParticipantId;
}

const INVALID_STEP = Symbol('invalid step');

/**
 * Told of each IN entry appended to a DARQ, synchronously once its step or enqueue is applied: its LSN, its
 * body (the appender's bytes: copy before keeping them) and the version that holds it.
 */
export type AppendListener = (lsn: Lsn, body: Uint8Array, version: Version) => void;
const SCAN_CHUNK = 256;

/**
 * One participant's queue inside a worker: its log entries, its durable keyed state, its dedup marks and
 * its processor incarnation. Get one with `worker.participant(id)`.
 */
export class Darq {
  readonly id: ParticipantId;
  readonly worker: Worker;
  /** Internal numeric id of the participant in the worker file. */
  readonly pid: number;
  private readonly ctx: WorkerContext;
  private readonly store: LogStore;
  private inc: Incarnation;
  private dropped = false;
  private listeners: Array<AppendListener> = [];
  private readonly dedup = new Map<string, number>();
  private readonly tableNs = new Map<string, string>();
  private readonly dedupNs: string;

  /** @internal */
  constructor(worker: Worker, ctx: WorkerContext, id: ParticipantId, pid: number) {
    this.worker = worker;
    this.ctx = ctx;
    this.store = ctx.store;
    this.id = id;
    this.pid = pid;
    this.dedupNs = `d${pid}`;
    this.inc = (this.store.getCounter(`inc:${id}`) ?? 0) as Incarnation;
  }

  /** The current processor incarnation (0 before the first registration). */
  get incarnation(): Incarnation {
    return this.inc;
  }

  /**
   * Fences every earlier processor: bumps the durable incarnation and commits the open version so the bump
   * survives any crash. Steps carrying an older incarnation are then rejected with 'REINCARNATED'.
   */
  registerProcessor(): Incarnation {
    this.checkLive();
    this.ctx.touch();
    const next = (Math.max(this.inc, this.store.getCounter(`inc:${this.id}`) ?? 0) + 1) as Incarnation;
    this.store.setCounter(`inc:${this.id}`, next);
    this.inc = next;
    this.ctx.commit();
    return next;
  }

  /**
   * Applies a step atomically inside the open version: consumes entries, changes keyed state, appends
   * entries. Returns 'REINCARNATED' for a stale incarnation and 'INVALID' (changing nothing) for an empty
   * step or one that consumes an unknown or already consumed entry.
   *
   * ```ts
   * darq.step(inc, new StepBuilder().consume(m.lsn).send('sink', out).build()); // 'SUCCESS'
   * darq.step(inc, new StepBuilder().consume(m.lsn).build());                   // 'INVALID': consumed twice
   * ```
   */
  step(incarnation: Incarnation, req: StepRequest): StepStatus {
    if (this.dropped || incarnation !== this.inc) return 'REINCARNATED';
    const { consumed, appends, writes } = req;
    if (consumed.length === 0 && appends.length === 0 && writes.length === 0 && !req.supersedeState) {
      return 'INVALID';
    }
    const store = this.store;
    const ctx = this.ctx;
    const version = ctx.touch();
    const pid = this.pid;
    const lsnBefore = ctx.peekLsn();
    let notify: Array<Darq | number | Uint8Array> | undefined;
    let outs = false;
    try {
      store.atomically(() => {
        for (let i = 0; i < consumed.length; i++) {
          if (!store.consume(pid, consumed[i] as number, version)) throw INVALID_STEP;
        }
        if (req.supersedeState) store.consumeStates(pid, version);
        for (let i = 0; i < writes.length; i++) {
          const w = writes[i] as StepRequest['writes'][number];
          const ns = this.nsOf(w.table);
          if (w.remove) store.kvDelete(ns, w.key, version);
          else store.kvPut(ns, w.key, codec.pack(w.value), version);
        }
        for (let i = 0; i < appends.length; i++) {
          const a = appends[i] as StepRequest['appends'][number];
          if (!(a.body instanceof Uint8Array)) throw this.badBody(a.op);
          const lsn = ctx.allocLsn();
          if (a.op === 'state') {
            store.append(lsn, pid, EntryKind.STATE, null, a.body, version);
            continue;
          }
          const target = a.op === 'self' ? this : ctx.local(a.dest as string);
          if (target === undefined) {
            store.append(lsn, pid, EntryKind.OUT, a.dest, a.body, version);
            outs = true;
          } else {
            store.append(lsn, target.pid, EntryKind.IN, null, a.body, version);
            if (target.listeners.length > 0) (notify ??= []).push(target, lsn, a.body);
          }
        }
      });
    } catch (err) {
      ctx.releaseLsns(lsnBefore);
      if (err === INVALID_STEP) return 'INVALID';
      throw err;
    }
    if (notify !== undefined) {
      for (let i = 0; i < notify.length; i += 3) {
        (notify[i] as Darq).emitAppend(notify[i + 1] as Lsn, notify[i + 2] as Uint8Array, version as Version);
      }
    }
    if (outs) ctx.outAppended(this);
    return 'SUCCESS';
  }

  /**
   * Appends external input with deduplication: `seq` must grow per `producerId`; a repeated or older `seq`
   * appends nothing and returns false (the caller treats it as acknowledged). Any number of producers.
   *
   * ```ts
   * darq.enqueue('loader', 1, [batch]); // true: appended as one IN entry
   * darq.enqueue('loader', 1, [batch]); // false: duplicate, not appended
   * ```
   */
  enqueue(producerId: string, seq: number, bodies: readonly Uint8Array[]): boolean {
    this.checkLive();
    if (typeof producerId !== 'string' || producerId.length === 0) {
      throw new DarqError(
        'DARQ_BAD_PRODUCER',
        'user',
        `enqueue into participant '${this.id}': producerId must be a non-empty string (got ${String(producerId)})`,
      );
    }
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new DarqError(
        'DARQ_BAD_SEQ',
        'user',
        `enqueue into participant '${this.id}' from producer '${producerId}': seq must be a non-negative ` +
          `safe integer (got ${seq}). Number each producer's batches 0, 1, 2, ...`,
      );
    }
    if (seq <= this.lastSeq(producerId)) return false;
    for (const b of bodies) if (!(b instanceof Uint8Array)) throw this.badBody('enqueue');
    const store = this.store;
    const ctx = this.ctx;
    const version = ctx.touch();
    const pid = this.pid;
    const lsnBefore = ctx.peekLsn();
    try {
      store.atomically(() => {
        store.kvPut(this.dedupNs, producerId, codec.pack(seq), version);
        for (let i = 0; i < bodies.length; i++) {
          store.append(ctx.allocLsn(), pid, EntryKind.IN, null, bodies[i] as Uint8Array, version);
        }
      });
    } catch (err) {
      ctx.releaseLsns(lsnBefore);
      throw err;
    }
    this.dedup.set(producerId, seq);
    if (this.listeners.length > 0) {
      for (let i = 0; i < bodies.length; i++) {
        this.emitAppend((lsnBefore + i) as Lsn, bodies[i] as Uint8Array, version as Version);
      }
    }
    return true;
  }

  /** Highest sequence number accepted from `producerId`, or -1. */
  lastSeq(producerId: string): number {
    let last = this.dedup.get(producerId);
    if (last === undefined) {
      const raw = this.store.kvGet(this.dedupNs, producerId);
      last = raw === undefined ? -1 : (codec.unpack(raw) as number);
      this.dedup.set(producerId, last);
    }
    return last;
  }

  /** Reads a key of the participant's durable state (the open version's writes included). */
  get(table: string, key: string): unknown {
    const raw = this.store.kvGet(this.nsOf(table), key);
    return raw === undefined ? undefined : codec.unpack(raw);
  }

  /** Iterates the keys of `table` that start with `prefix`, in key order (UTF-8 byte order). */
  *scan(table: string, prefix: string): IterableIterator<[string, unknown]> {
    const ns = this.nsOf(table);
    let after: string | undefined;
    for (;;) {
      const rows = this.store.kvScan(ns, prefix, after, SCAN_CHUNK);
      for (const [key, raw] of rows) yield [key, codec.unpack(raw)];
      if (rows.length < SCAN_CHUNK) return;
      after = (rows[rows.length - 1] as [string, Uint8Array])[0];
    }
  }

  /** Unconsumed IN entries with LSN > `afterLsn`, in LSN order, at most `limit`. */
  pendingInputs(afterLsn: Lsn = 0 as Lsn, limit = 1024): DarqMessage[] {
    return this.store.live(this.pid, EntryKind.IN, afterLsn, limit) as unknown as DarqMessage[];
  }

  /** Unconsumed STATE entries, in LSN order. */
  stateEntries(): DarqMessage[] {
    return this.allLive(EntryKind.STATE) as unknown as DarqMessage[];
  }

  /** OUT entries not yet acknowledged by their destination, in LSN order (the outbox). */
  pendingOutputs(afterLsn: Lsn = 0 as Lsn, limit = 1024): OutEntry[] {
    return this.store.live(this.pid, EntryKind.OUT, afterLsn, limit) as unknown as OutEntry[];
  }

  /**
   * Records that the destination durably received the OUT entry `lsn` (its enqueue is committed there):
   * the entry leaves the outbox, and the file once this version is committed. False if it is not pending.
   */
  acknowledge(lsn: Lsn): boolean {
    this.checkLive();
    const version = this.ctx.touch();
    return this.store.acknowledge(this.pid, lsn, version);
  }

  /**
   * Calls `listener(lsn, body, version)` synchronously after each IN entry appended to this DARQ (by an
   * enqueue or a step, once it is applied); returns unsubscribe.
   */
  onAppend(listener: AppendListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** @internal Called by the worker after a rollback: caches are stale, the participant may be gone. */
  resetAfterRollback(exists: boolean): void {
    this.dedup.clear();
    this.dropped = !exists;
    this.inc = (this.store.getCounter(`inc:${this.id}`) ?? this.inc) as Incarnation;
  }

  /** @internal */
  get isDropped(): boolean {
    return this.dropped;
  }

  private emitAppend(lsn: Lsn, body: Uint8Array, version: Version): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        (ls[i] as AppendListener)(lsn, body, version);
      } catch (err) {
        // A listener's failure must not undo or hide a step that already happened; surface it separately.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private allLive(kind: EntryKind): StoredEntry[] {
    const out: StoredEntry[] = [];
    let after = 0;
    for (;;) {
      const rows = this.store.live(this.pid, kind, after, SCAN_CHUNK);
      for (const r of rows) out.push(r);
      if (rows.length < SCAN_CHUNK) return out;
      after = (rows[rows.length - 1] as StoredEntry).lsn;
    }
  }

  private nsOf(table: string): string {
    let ns = this.tableNs.get(table);
    if (ns === undefined) {
      if (typeof table !== 'string' || table.length === 0) {
        throw new DarqError(
          'DARQ_BAD_TABLE',
          'user',
          `participant '${this.id}': state table names must be non-empty strings (got ${String(table)})`,
        );
      }
      ns = `s${this.pid}:${table}`;
      this.tableNs.set(table, ns);
    }
    return ns;
  }

  private badBody(op: string): DarqError {
    return new DarqError(
      'DARQ_BAD_BODY',
      'user',
      `participant '${this.id}': ${op} bodies must be Uint8Array (encode records with msgpackr or similar first)`,
    );
  }

  private checkLive(): void {
    if (this.dropped) {
      throw new DarqError(
        'DARQ_PARTICIPANT_DROPPED',
        'user',
        `participant '${this.id}' of worker file ${this.store.path} was removed by a rollback; ` +
          `get it again with worker.participant('${this.id}')`,
      );
    }
  }
}
