import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RuntimeContext } from './context.ts';
import type { OperatorParticipant, Participant } from './participant.ts';
import type { SourceParticipant } from './source-participant.ts';

export interface Progress {
  readonly eventsIn: number;
  readonly rowsOut: number;
  readonly badRecords: number;
  readonly lateRows: number;
  readonly version: number;
  readonly elapsedMs: number;
  /** The lowest event-time watermark over the sources (epoch ms), if any source has one yet. */
  readonly watermark?: number;
  /** Wall clock minus that watermark: how far event time trails behind, for live sources. */
  readonly lagMs?: number;
  /** Bytes of the worker's SQLite file in use (the durable state and the log). */
  readonly stateBytes: number;
}

export interface SchedulerHooks {
  readonly signal?: AbortSignal;
  /** Called about every `progressEveryMs` with the counters. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressEveryMs?: number;
  /** Stop when this returns a reason (e.g. too many bad records); the run still ends with a commit. */
  readonly shouldStop?: () => string | undefined;
  /**
   * Testing aid: throw SimulatedCrash once this many versions have committed and the next one holds
   * uncommitted work — the caller then abandons the worker as a killed process would leave it.
   */
  readonly crashAfterVersions?: number;
  /** While true, no participant steps (a DPR recovery round froze this worker). */
  readonly paused?: () => boolean;
  /** When true, leave the loop at once without committing (the worker is about to roll back). */
  readonly interrupted?: () => boolean;
  /** Called after every turn of the loop; returns whether it did anything (the tentative stream's taps). */
  readonly afterTurn?: () => boolean;
}

/** Thrown by the scheduler when `crashAfterVersions` is reached. */
export class SimulatedCrash extends Error {
  constructor(versions: number) {
    super(`simulated crash after ${versions} versions`);
    this.name = 'SimulatedCrash';
  }
}

/**
 * Drives all participants of one worker in one thread: participants run in topological order, sources last
 * (so downstream drains before more input is read); a version closes when the checkpoint interval has passed
 * or when nothing can progress without a commit (group commit). Before each commit every participant writes
 * its dirty state in one step and sinks make their output durable; after it, sinks may release what the new
 * version covers.
 */
export class Scheduler {
  private lastCommit = 0;
  private dirty = false;
  stopReason: string | undefined;

  constructor(
    private readonly rt: RuntimeContext,
    private readonly sources: readonly SourceParticipant[],
    private readonly others: readonly OperatorParticipant[],
  ) {}

  private get all(): Participant[] {
    return [...this.sources, ...this.others];
  }

  /** Participants with processing-time timers, ticked on every turn. */
  private timed: Participant[] = [];

  open(): void {
    for (const p of this.others) {
      this.rt.watch(p.darq, p.sink !== undefined);
      p.open();
    }
    for (const s of this.sources) s.open();
    this.timed = this.all.filter((p) => p.hasTimers);
  }

  commit(): void {
    for (const p of this.all) p.checkpoint();
    for (const p of this.others) p.beforeCommit();
    const v = this.rt.worker.commit();
    this.rt.onCommitted(v);
    this.rt.counters.versions++;
    this.dirty = false;
    this.rt.outputPending = false;
    this.lastCommit = performance.now();
  }

  /** Commits the open version if participants changed anything since the last commit. */
  commitIfDirty(): void {
    if (this.dirty) this.commit();
  }

  get done(): boolean {
    return this.others.every((p) => p.isEnded) && this.sources.every((s) => s.isEnded);
  }

  async run(hooks: SchedulerHooks = {}): Promise<void> {
    const interval = this.rt.options.checkpointIntervalMs;
    const started = performance.now();
    let lastYield = started;
    let lastProgress = started;
    const progressEvery = hooks.progressEveryMs ?? 250;
    this.lastCommit = started;
    for (;;) {
      if (hooks.interrupted?.()) return;
      if (hooks.paused?.()) {
        await this.rt.idle(1);
        continue;
      }
      let progressed = false;
      this.rt.inTurn = true;
      if (this.timed.length > 0) {
        const now = Date.now();
        for (const p of this.timed) if (p.tick(now)) progressed = true;
      }
      for (const p of this.others) if (p.run()) progressed = true;
      if (!this.stopReason) for (const s of this.sources) if (s.run()) progressed = true;
      this.rt.inTurn = false;
      if (hooks.afterTurn?.()) progressed = true;
      // Input taken in from other workers (or their acknowledgements) must be committed too, or sinks
      // downstream of it would wait for a cut that never comes.
      if (progressed || this.rt.worker.hasOpenChanges) this.dirty = true;
      if (
        hooks.crashAfterVersions !== undefined &&
        this.dirty &&
        this.rt.counters.versions >= hooks.crashAfterVersions
      ) {
        throw new SimulatedCrash(this.rt.counters.versions);
      }
      const now = performance.now();
      let committedNow = false;
      // A version closes at the checkpoint interval; earlier only once this worker has nothing else to do
      // and the version holds output a sink waits for (or the run is ending). Closing it whenever the
      // worker idles would commit a version per input chunk on a live source.
      const due = now - this.lastCommit >= interval;
      if (this.dirty && (due || (!progressed && (this.rt.outputPending || this.done)))) {
        this.commit();
        committedNow = true;
      }
      if (this.done && !this.dirty) break;
      const reason = hooks.shouldStop?.() ?? (hooks.signal?.aborted ? 'interrupted' : undefined);
      if (reason && !this.stopReason) this.stopReason = reason;
      if (this.stopReason && !progressed) {
        // Stopping: commit, then let sinks release what the commit covers (dead letters included) before
        // leaving; sources read nothing more.
        if (this.dirty) this.commit();
        else if (!committedNow) break;
        continue;
      }
      if (hooks.onProgress && now - lastProgress >= progressEvery) {
        lastProgress = now;
        hooks.onProgress(this.progress(now - started));
      }
      if (committedNow && this.others.length > 0) {
        // Sinks may release what this commit covers: give them a turn before waiting for input.
        continue;
      }
      if (!progressed) {
        this.rt.sentRemote = false;
        await this.rt.idle(2); // waiting for input: a live source, another worker, the cut
        lastYield = performance.now();
      } else if (this.rt.sentRemote || now - lastYield > 20) {
        // Entries for other workers leave only when the event loop turns: speculation sends them at once.
        this.rt.sentRemote = false;
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    hooks.onProgress?.(this.progress(performance.now() - started));
  }

  progress(elapsedMs: number): Progress {
    const c = this.rt.counters;
    let wm = Number.POSITIVE_INFINITY;
    for (const s of this.sources) {
      const w = s.currentWatermark;
      if (w > Number.MIN_SAFE_INTEGER && w < Number.MAX_SAFE_INTEGER && w < wm) wm = w;
    }
    const known = wm !== Number.POSITIVE_INFINITY;
    return {
      eventsIn: c.eventsIn,
      rowsOut: c.rowsOut,
      badRecords: c.badRecords,
      lateRows: c.lateRows,
      version: c.versions,
      elapsedMs,
      stateBytes: this.rt.worker.bytesInUse(),
      ...(known ? { watermark: wm, lagMs: Math.max(0, Date.now() - wm) } : {}),
    };
  }
}
