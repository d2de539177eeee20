import type { Lsn, ParticipantId } from './types.ts';

/** An entry a step appends: a message to self (IN), a message to another participant, or a STATE record. */
export interface StepAppend {
  readonly op: 'self' | 'send' | 'state';
  readonly dest: ParticipantId | null;
  readonly body: Uint8Array;
}

/** A change to a participant's durable keyed state; `remove` deletes the key. */
export interface StateWrite {
  readonly table: string;
  readonly key: string;
  readonly value: unknown;
  readonly remove: boolean;
}

/** Everything one step does, applied all or nothing by {@link Darq.step}. Build it with {@link StepBuilder}. */
export interface StepRequest {
  readonly consumed: readonly Lsn[];
  readonly appends: readonly StepAppend[];
  readonly writes: readonly StateWrite[];
  readonly supersedeState: boolean;
}

/**
 * Chainable builder of a {@link StepRequest}.
 *
 * ```ts
 * const req = new StepBuilder().consume(msg.lsn).put('counts', 'fever', n + 1).send('detector', batch).build();
 * darq.step(incarnation, req); // 'SUCCESS': msg consumed, count stored, batch delivered — all or nothing
 * ```
 */
export class StepBuilder {
  private readonly consumed: Lsn[] = [];
  private readonly appends: StepAppend[] = [];
  private readonly writes: StateWrite[] = [];
  private supersede = false;

  /** Consumes an IN or STATE entry of this participant. */
  consume(lsn: Lsn): this {
    this.consumed.push(lsn);
    return this;
  }

  /** Sends a message: an IN entry of `dest` if it lives on the same worker, otherwise an OUT entry. */
  send(dest: ParticipantId, body: Uint8Array): this {
    this.appends.push({ op: 'send', dest, body });
    return this;
  }

  /** Appends an IN entry to this participant itself (a continuation). */
  self(body: Uint8Array): this {
    this.appends.push({ op: 'self', dest: null, body });
    return this;
  }

  /** Appends a STATE entry, replayed to the processor before any input on restart. */
  state(body: Uint8Array): this {
    this.appends.push({ op: 'state', dest: null, body });
    return this;
  }

  /** Consumes every STATE entry appended by earlier steps (use with a fresh snapshot in `state`). */
  supersedeState(): this {
    this.supersede = true;
    return this;
  }

  /** Sets `key` of the participant's table `table` to `value` (encoded with msgpackr). */
  put(table: string, key: string, value: unknown): this {
    this.writes.push({ table, key, value, remove: false });
    return this;
  }

  /** Deletes `key` from the participant's table `table`. */
  delete(table: string, key: string): this {
    this.writes.push({ table, key, value: undefined, remove: true });
    return this;
  }

  build(): StepRequest {
    return {
      consumed: this.consumed,
      appends: this.appends,
      writes: this.writes,
      supersedeState: this.supersede,
    };
  }
}
