export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;
export const EXIT_BAD_RECORDS = 3;

/** An error the CLI reports as one line and an exit code. `reported` = details were already printed. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    readonly reported = false,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
