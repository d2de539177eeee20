/** Who has to act on an error: the caller (bad input), the environment (disk, network) or us (a bug). */
export type ErrorDomain = 'user' | 'external' | 'internal';

/**
 * The one error type of darq-core. `code` is stable and machine-readable (`DARQ_CORRUPT_FILE`, ...);
 * the message says what happened, where (the file, the participant) and how to fix it.
 */
export class DarqError extends Error {
  readonly code: string;
  readonly domain: ErrorDomain;

  constructor(code: string, domain: ErrorDomain, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DarqError';
    this.code = code;
    this.domain = domain;
  }
}
