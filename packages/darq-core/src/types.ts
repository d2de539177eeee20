/** Log sequence number: the worker-wide address of one log entry. LSNs only grow; they are never reused. */
export type Lsn = number & { readonly __brand: 'Lsn' };
/** Processor incarnation of one participant: durable, strictly increasing, never lowered. */
export type Incarnation = number & { readonly __brand: 'Incarnation' };
/** One group commit of one worker. Version numbers only grow, also across rollbacks. */
export type Version = number & { readonly __brand: 'Version' };
/** DPR world-line: bumped on every failure of the cluster. */
export type WorldLine = number & { readonly __brand: 'WorldLine' };
/** Name of a participant (one DARQ plus its processor), unique within a worker. */
export type ParticipantId = string;

/**
 * Kinds of log entries. `COMPLETION` names the consumption records of a step; this implementation keeps
 * them as rows of a consumption table (or deletes consumed entries at once), never as log entries.
 */
export const EntryKind = { IN: 0, OUT: 1, STATE: 2, COMPLETION: 3 } as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** Outcome of a step: applied, rejected as ill-formed, or rejected because the incarnation is stale. */
export type StepStatus = 'SUCCESS' | 'INVALID' | 'REINCARNATED';

/**
 * One log entry as handed to processors. `body` is an opaque batch (the engine packs 1024 records);
 * `version` is the worker version that appended it: the entry is durable once `worker.persisted`
 * reaches it and committed once `worker.cut` does (what a non-speculative reader or a sink waits for).
 */
export interface DarqMessage {
  readonly lsn: Lsn;
  readonly kind: EntryKind;
  readonly body: Uint8Array;
  readonly version: Version;
}
