import type { Row } from '../runtime/batch.ts';

/** A record that could not be read: it goes to the dead-letter file with where it came from and why. */
export interface BadInput {
  /** `path:line` or `path@offset` or `generator#n`. */
  readonly position: string;
  readonly reason: string;
  readonly raw: string;
}

export type SourceRead =
  | { readonly kind: 'batch'; readonly rows: Row[]; readonly bad: BadInput[] }
  | { readonly kind: 'wait' }
  | { readonly kind: 'eof' };

/**
 * A replayable input: its durable state is its position (plain data), recorded by the source participant at
 * every version; after a crash the reader is re-opened at the committed position and reads the same records
 * again. Rows hold the source's physical columns in declared order.
 */
export interface SourceReader {
  readonly description: string;
  next(max: number): SourceRead;
  position(): unknown;
  seek(position: unknown): void;
  close(): void;
  /** Live sources: calls `wake` when new records arrive, so a waiting scheduler reads them at once. */
  onReadable?(wake: () => void): void;
}

/** Where finished rows go: a file, stdout, a callback. Written only with committed data. */
export interface SinkWriter {
  readonly description: string;
  /** Called once at start with the length committed by the last run (undefined on a fresh start). */
  open(committed: unknown): void;
  write(rows: Row[]): void;
  /** Durable position to record with the step that consumed the written rows. */
  position(): unknown;
  /** Makes written data durable (fsync) before the version that records its position commits. */
  sync(): void;
  close(): void;
}
