/** Why a generator refused its input. */
export type GeneratorErrorCode =
  | 'GEN_BAD_OPTION'
  | 'GEN_BAD_SNAPSHOT'
  | 'GEN_BAD_SPLIT'
  | 'GEN_BAD_IPV4'
  | 'GEN_UNBOUNDED';

/**
 * A user-facing error of the seeded generators: `code` is stable, `where` names the option or
 * argument at fault, and the message says how to fix it.
 */
/** Throws GEN_BAD_OPTION unless `max` (a batch size) is a number ≥ 0; returns it rounded down. */
export function batchSize(max: number): number {
  if (typeof max !== 'number' || !(max >= 0)) {
    throw new GeneratorError(
      'GEN_BAD_OPTION',
      'max',
      `a batch size must be a number >= 0, got ${String(max)}`,
    );
  }
  return Math.floor(max);
}

export class GeneratorError extends Error {
  readonly code: GeneratorErrorCode;
  readonly where: string;
  readonly domain = 'user' as const;

  constructor(code: GeneratorErrorCode, where: string, message: string) {
    super(`${code} at ${where}: ${message}`);
    this.name = 'GeneratorError';
    this.code = code;
    this.where = where;
  }
}
