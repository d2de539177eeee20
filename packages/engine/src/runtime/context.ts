import type { Darq, DarqMessage, Lsn, Worker } from '@darq/darq-core';

export interface RuntimeOptions {
  /** Commit a version at least this often (ms); 0 = group commit: as soon as the previous one finished. */
  readonly checkpointIntervalMs: number;
  /** Speculative: steps see entries of the open version. Otherwise only committed entries are processed. */
  readonly speculative: boolean;
  readonly persistence: 'process' | 'machine';
  /** Records per source batch (one DARQ entry). */
  readonly batchSize: number;
  /** Entries a participant handles before the scheduler moves on. */
  readonly entriesPerRun: number;
  /** Sources pause while this many entries wait unconsumed anywhere downstream (backpressure). */
  readonly maxBacklog: number;
  /** Sources also pause while this many entries sent to other workers wait for their acknowledgement. */
  readonly maxRemoteBacklog?: number;
}

export const DEFAULT_RUNTIME_OPTIONS: RuntimeOptions = {
  checkpointIntervalMs: 5,
  speculative: true,
  persistence: 'process',
  batchSize: 1024,
  entriesPerRun: 32,
  maxBacklog: 64,
};

/** Counters of one run, reported in the summary and the progress line. */
export interface RunCounters {
  eventsIn: number;
  rowsOut: number;
  badRecords: number;
  lateRows: number;
  versions: number;
}

/**
 * What participants of one worker share: the worker, the options, backlog accounting for backpressure,
 * and which entries are readable (all of them when speculative, only committed ones otherwise).
 */
export class RuntimeContext {
  readonly counters: RunCounters = { eventsIn: 0, rowsOut: 0, badRecords: 0, lateRows: 0, versions: 0 };
  private backlog = 0;
  private readonly lastAppended = new Map<Darq, number>();
  private readonly committedTail = new Map<Darq, number>();
  private readonly watched = new Set<Darq>();
  /** Tails of every watched DARQ at each commit whose version the cut does not cover yet. */
  private readonly uncut: Array<{ version: number; tails: Map<Darq, number> }> = [];
  private remoteBacklog = 0;
  private readonly unsubs: Array<() => void> = [];

  constructor(
    readonly worker: Worker,
    readonly options: RuntimeOptions,
    /** Whether a participant lives on another worker (its entries travel through the transport). */
    readonly isRemote: (participant: string) => boolean = () => false,
  ) {
    if (!worker.undo) {
      this.persistSub = worker.persisted$.subscribe((v) => {
        let n = 0;
        while (n < this.unsynced.length && this.unsynced[n]!.version <= v) {
          for (const [darq, lsn] of this.unsynced[n]!.tails) this.committedTail.set(darq, lsn);
          n++;
        }
        if (n > 0) {
          this.unsynced.splice(0, n);
          this.wake();
        }
      });
    }
    if (worker.undo) {
      // With speculation across workers, entries become readable for sinks only once the cut covers them.
      this.cutSub = worker.committed$.subscribe((cut) => {
        this.applyCut(cut);
        this.wake();
      });
      // Whoever commits (the scheduler, the commit-ordering rule, a freeze), remember what the version holds.
      this.unsubs.push(
        worker.onBeforeCommit(() => {
          this.uncut.push({ version: worker.version, tails: new Map(this.lastAppended) });
        }),
      );
    }
  }

  private cutSub: { unsubscribe(): void } | undefined;
  /**
   * Without undo records but with the fsync in the background (`syncInBackground`): the tails of each version
   * closed but not yet on disk. Sinks and non-speculative steps see its entries once `persisted$` reaches it.
   */
  private readonly unsynced: Array<{ version: number; tails: Map<Darq, number> }> = [];
  private persistSub: { unsubscribe(): void } | undefined;
  private waiter: (() => void) | undefined;

  /** Waits up to `ms`, or until new input arrives or the cut moves. */
  idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
    });
  }

  /**
   * Ends a pending `idle` early, once the current burst of I/O callbacks has run: a chunk of input (or a
   * run of appends) then wakes the scheduler once and is read as one batch, not a record per turn.
   */
  wake(): void {
    if (this.waiter === undefined || this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.waiter?.();
    });
  }
  private wakeQueued = false;

  /**
   * The open version holds rows bound for a sink: the scheduler commits it as soon as it has nothing else to
   * do rather than at the next checkpoint interval, so committed output is not held back by the interval.
   */
  outputPending = false;
  /** Entries for another worker were sent since the scheduler last yielded: the transport needs a turn. */
  sentRemote = false;
  /** Set by the scheduler while its participants run (appends then come from local steps). */
  inTurn = false;

  /** Stops listening to the worker (the participants are being rebuilt). */
  dispose(): void {
    this.cutSub?.unsubscribe();
    this.persistSub?.unsubscribe();
    for (const u of this.unsubs) u();
    this.wake();
  }

  /** Entries already waiting in the outbox when the participants were (re)built. */
  set initialRemoteBacklog(n: number) {
    this.remoteBacklog = n;
  }

  /** The transport removed `n` entries from the outbox (their receivers made them durable). */
  remoteAcked(n: number): void {
    this.remoteBacklog = Math.max(0, this.remoteBacklog - n);
  }

  private applyCut(cut: number): void {
    let n = 0;
    while (n < this.uncut.length && (this.uncut[n]!.version as number) <= cut) {
      for (const [darq, lsn] of this.uncut[n]!.tails) this.committedTail.set(darq, lsn);
      n++;
    }
    if (n > 0) this.uncut.splice(0, n);
  }

  /** Starts tracking a DARQ's appends (for non-speculative reads); entries already there are committed. */
  watch(darq: Darq, isSink = false): void {
    if (this.watched.has(darq)) return;
    this.watched.add(darq);
    const pending = darq.pendingInputs();
    const tail = pending.length > 0 ? (pending[pending.length - 1]!.lsn as number) : 0;
    this.lastAppended.set(darq, tail);
    this.committedTail.set(darq, tail);
    this.backlog += pending.length;
    const unsub = darq.onAppend((lsn) => {
      this.lastAppended.set(darq, lsn as number);
      if (isSink) {
        // Sent by this worker's own steps: the route knew whether the batch held rows. Appended by the
        // transport (from another worker): assume it does.
        if (!this.inTurn) this.outputPending = true;
      }
      this.wake();
    });
    this.unsubs.push(unsub);
  }

  /** Called after each version commit: everything appended so far is durable, and readable once cut. */
  onCommitted(version: number = this.worker.persisted): void {
    if (!this.worker.undo && version > this.worker.persisted) {
      // Closed, but its fsync runs in the background: readable once persisted$ reaches it.
      this.unsynced.push({ version, tails: new Map(this.lastAppended) });
      return;
    }
    if (!this.worker.undo || version <= this.worker.cut) {
      for (const [darq, lsn] of this.lastAppended) this.committedTail.set(darq, lsn);
      return;
    }
    this.applyCut(this.worker.cut);
  }

  /** The unconsumed IN entries after `afterLsn` that a step may read now. */
  readable(darq: Darq, afterLsn: Lsn, limit: number): DarqMessage[] {
    // Nothing appended since: skip the query (the scheduler asks every participant on every turn).
    if ((this.lastAppended.get(darq) ?? Number.POSITIVE_INFINITY) <= afterLsn) return [];
    const msgs = darq.pendingInputs(afterLsn, limit);
    if (this.options.speculative || msgs.length === 0) return msgs;
    const tail = this.committedTail.get(darq) ?? 0;
    let n = 0;
    while (n < msgs.length && (msgs[n]!.lsn as number) <= tail) n++;
    return n === msgs.length ? msgs : msgs.slice(0, n);
  }

  /** Only entries whose version is committed: what a sink may release to the outside world. */
  committed(darq: Darq, afterLsn: Lsn, limit: number): DarqMessage[] {
    const tail = this.committedTail.get(darq) ?? 0;
    if (tail <= afterLsn) return [];
    const msgs = darq.pendingInputs(afterLsn, limit);
    let n = 0;
    while (n < msgs.length && (msgs[n]!.lsn as number) <= tail) n++;
    return n === msgs.length ? msgs : msgs.slice(0, n);
  }

  noteSent(target: string, _rows: number): void {
    if (this.isRemote(target)) {
      this.remoteBacklog++;
      this.sentRemote = true;
    } else this.backlog++;
  }

  noteConsumed(_participant: string, _rows: number): void {
    this.backlog--;
  }

  get pendingEntries(): number {
    return this.backlog;
  }

  /** Whether sources should wait for downstream (local backlog or unacknowledged remote entries). */
  get saturated(): boolean {
    return (
      this.backlog >= this.options.maxBacklog || this.remoteBacklog >= (this.options.maxRemoteBacklog ?? 256)
    );
  }
}
