import * as fs from 'node:fs';
import { compile, formatDiagnostic, type Program } from '@darq/parser';
import { CliError, EXIT_USAGE } from '../errors.ts';

/** Reads and compiles a SQL file; prints diagnostics (with carets) and throws on errors. */
export function compileFile(file: string, stderr: (s: string) => void): Program {
  let sql: string;
  try {
    sql = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(
      EXIT_USAGE,
      `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
    );
  }
  const { program, diagnostics } = compile(sql, { file });
  for (const d of diagnostics) stderr(`${formatDiagnostic(d, sql)}\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!program || errors.length > 0) {
    throw new CliError(
      EXIT_USAGE,
      `${errors.length} error${errors.length === 1 ? '' : 's'} in ${file}; nothing was run`,
      true,
    );
  }
  return program;
}
