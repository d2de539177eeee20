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
