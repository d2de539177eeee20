import { Planner } from './analyze/planner.ts';
import type { Diagnostic } from './diagnostics.ts';
import { parseScript } from './parse.ts';
import type { FunctionRegistry, Program } from './plan/program.ts';

export interface CompileOptions {
  readonly file?: string;
  /** Signatures of UDFs/UDAFs (keyed by lower-case name) that CREATE FUNCTION statements do not declare. */
  readonly functions?: FunctionRegistry;
}

/**
 * Parses, analyzes and plans a SQL script. `program` is undefined if any diagnostic is an error.
 *
 * ```ts
 * const { program } = compile(`CREATE SOURCE s (a INT) WITH (connector = 'file', path = 's.jsonl');
 *   SELECT a + 1 AS b FROM s WHERE a > 0`);
 * program.statements[0].plan   // Project([$0 + 1] AS b) ← Filter($0 > 0) ← Scan(s)
 * ```
 */
export function compile(
  sql: string,
  opts: CompileOptions = {},
): { program?: Program; diagnostics: Diagnostic[] } {
  const parsed = parseScript(sql, opts.file === undefined ? {} : { file: opts.file });
  const planner = new Planner(opts.functions ?? {});
  for (const n of parsed.brokenNames) planner.broken.add(n);
  const program = planner.run(parsed.statements);
  const diagnostics = [...parsed.diagnostics, ...planner.diagnostics].map((d) =>
    opts.file !== undefined && d.span.file === undefined ? { ...d, span: { ...d.span, file: opts.file } } : d,
  );
  diagnostics.sort((a, b) => a.span.start.offset - b.span.start.offset);
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { program, diagnostics };
}
