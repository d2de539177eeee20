import type { Subscription } from 'rxjs';
import type { Darq } from './darq.ts';
import type { StepRequest } from './step.ts';
import {
  type DarqMessage,
  EntryKind,
  type Incarnation,
  type Lsn,
  type StepStatus,
  type Version,
} from './types.ts';

/** What a processor may do: issue steps under its incarnation. */
export interface ProcessorCapabilities {
  readonly incarnation: Incarnation;
  step(req: StepRequest): StepStatus;
}

/**
 * A CReSt processor (the paper's IDarqProcessor). It keeps only soft state: `onRestart` resets it, then
 * the client replays STATE entries, unconsumed inputs in LSN order, and the live tail through `process`.
 */
export interface DarqProcessor {
  onRestart(caps: ProcessorCapabilities): void;
  /** Handles one IN or STATE entry; returning false stops the client. */
  process(message: DarqMessage): boolean | undefined;
}

export interface ProcessorClientOptions {
  /** Entries delivered per turn of the event loop before yielding (default 4096). */
  readonly budget?: number;
}

const READ_BATCH = 256;
/** Past this many entries or bytes waiting in the in-memory tail, drop it and read them back from the log. */
const TAIL_LIMIT = 1024;
const TAIL_BYTES = 8 << 20;

/**
 * Runs a {@link DarqProcessor} next to its DARQ in the same process. `start()` registers a new incarnation
 * (fencing any older processor), calls `onRestart`, replays, and then follows the live tail: each append
 * schedules delivery on a microtask. A step answered 'REINCARNATED', or a rollback of the worker,
 * restarts the processor (new incarnation, `onRestart`, replay).
 *
 * ```ts
 * const client = new ColocatedProcessorClient(worker.participant('counter'), new CounterProcessor());
 * client.start();
 * ```
 */
export class ColocatedProcessorClient {
  readonly darq: Darq;
  readonly processor: DarqProcessor;
  private readonly budget: number;
  private running = false;
  private inc = 0 as Incarnation;
  private cursor = 0 as Lsn;
  private draining = false;
  private scheduled = false;
  private needsRestart = false;
  private unsubscribe: (() => void) | undefined;
  private rollbackSub: Subscription | undefined;
  private restarts = 0;
  /**
   * Set when a read of the log found nothing beyond the entries it returned: every IN entry appended since
   * was seen by the append listener and sits in `tail`, so delivery can skip the log query (the live path).
   */
  private caughtUp = false;
  private tail: DarqMessage[] = [];
  private tailBytes = 0;

  constructor(darq: Darq, processor: DarqProcessor, options: ProcessorClientOptions = {}) {
    this.darq = darq;
    this.processor = processor;
    this.budget = options.budget ?? 4096;
  }

  /** The incarnation this client steps with (0 before `start`). */
  get incarnation(): Incarnation {
    return this.inc;
  }

  /** How many times the processor was (re)started. */
  get starts(): number {
    return this.restarts;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.darq.onAppend((lsn, body, version) => this.appended(lsn, body, version));
    this.rollbackSub = this.darq.worker.rolledBack$.subscribe(() => {
      this.needsRestart = true;
      this.schedule();
    });
    this.restart();
  }

  stop(): void {
    this.running = false;
    this.dropTail();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.rollbackSub?.unsubscribe();
    this.rollbackSub = undefined;
  }

  /** Delivers everything pending now, synchronously (also what the scheduled delivery does). */
  drain(): void {
    if (this.draining || !this.running) return;
    this.draining = true;
    let delivered = 0;
    try {
      while (this.running) {
        if (this.needsRestart || this.darq.incarnation !== this.inc) {
          this.draining = false;
          this.restart();
          return;
        }
        let batch: DarqMessage[];
        if (this.caughtUp) {
          batch = this.tail;
          if (batch.length === 0) return;
          this.tail = [];
          this.tailBytes = 0;
        } else {
          batch = this.darq.pendingInputs(this.cursor, READ_BATCH);
          // Nothing in the log beyond this batch: whatever is appended from now on reaches the tail.
          if (batch.length < READ_BATCH) this.caughtUp = true;
          if (batch.length === 0) return;
        }
        for (let i = 0; i < batch.length && this.running; i++) {
          const m = batch[i] as DarqMessage;
          if (m.lsn <= this.cursor) continue;
          this.cursor = m.lsn;
          if (this.processor.process(m) === false) {
            this.stop();
            return;
          }
          if (this.needsRestart) break;
        }
        delivered += batch.length;
        if (delivered >= this.budget) {
          // Yield so timers (version commits) and I/O run; continue on the next turn.
          setImmediate(() => this.drain());
          return;
        }
      }
    } catch (err) {
      // The rest of a batch taken from the tail would be lost: read it back from the log next time.
      this.dropTail();
      throw err;
    } finally {
      this.draining = false;
    }
  }

  private restart(): void {
    if (!this.running) return;
    if (this.darq.isDropped) {
      // A rollback removed the participant itself: there is nothing left to process.
      this.stop();
      return;
    }
    this.needsRestart = false;
    this.cursor = 0 as Lsn;
    this.dropTail();
    const inc = this.darq.registerProcessor();
    this.inc = inc;
    this.restarts++;
    const caps: ProcessorCapabilities = {
      incarnation: inc,
      step: (req) => {
        const status = this.darq.step(inc, req);
        if (status === 'REINCARNATED' && this.inc === inc) this.needsRestart = true;
        return status;
      },
    };
    this.processor.onRestart(caps);
    for (const m of this.darq.stateEntries()) {
      if (!this.running || this.needsRestart) break;
      if (this.processor.process(m) === false) {
        this.stop();
        return;
      }
    }
    this.drain();
  }

  private appended(lsn: Lsn, body: Uint8Array, version: Version): void {
    if (this.caughtUp) {
      if (this.tail.length >= TAIL_LIMIT || this.tailBytes > TAIL_BYTES) {
        // A backlog: leave it in the log and read it back in batches.
        this.dropTail();
      } else {
        // The same shape as a log read, with its own copy of the bytes (the appender may reuse its buffer).
        const entry = { lsn, kind: EntryKind.IN, dest: null, body: Buffer.from(body), version };
        this.tail.push(entry as DarqMessage);
        this.tailBytes += body.length;
      }
    }
    this.schedule();
  }

  private dropTail(): void {
    this.caughtUp = false;
    this.tail = [];
    this.tailBytes = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.draining || !this.running) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }
}
