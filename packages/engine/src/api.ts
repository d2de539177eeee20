import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compile, formatDiagnostic } from '@darq/parser';
import { EngineError } from './errors.ts';
import { Job, type JobOptions, type RunSummary } from './job.ts';
import type { Progress } from './runtime/scheduler.ts';

/** The SQL did not compile; `message` holds every diagnostic with its line, a caret and a hint. */
export class QueryError extends EngineError {
  constructor(message: string) {
    super('SQL_ERROR', 'user', message);
    this.name = 'QueryError';
  }
}

export interface RunQueryOptions extends Omit<JobOptions, 'stateDir' | 'arrays' | 'callbacks'> {
  /** Rows per source name: an array, or an async iterable (a live source). */
  readonly sources?: Readonly<
    Record<string, readonly Record<string, unknown>[] | AsyncIterable<Record<string, unknown>>>
  >;
  /** A callback per sink name; it receives each batch of committed rows as plain objects. */
  readonly sinks?: Readonly<Record<string, (rows: Record<string, unknown>[]) => void>>;
  /** Durable state; re-run with the same dir to resume. Default: a temporary dir removed afterwards. */
  readonly stateDir?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
}

/**
 * Compiles and runs a SQL script inside a Node program, with its own sources and sinks.
 *
 * ```ts
 * const out: Record<string, unknown>[] = [];
 * await runQuery(`
 *   CREATE SOURCE clicks (user_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'memory');
 *   CREATE SINK counts WITH (connector = 'memory');
 *   INSERT INTO counts SELECT user_id, window_start, COUNT(*) AS n
 *   FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY user_id, window_start, window_end;`,
 *   { sources: { clicks: [{ user_id: 1, ts: 0 }, { user_id: 1, ts: 1000 }] }, sinks: { counts: (rows) => out.push(...rows) } });
 * // out: [{ user_id: 1, window_start: 0, n: 2 }]   (timestamps as epoch milliseconds)
 * ```
 */
export async function runQuery(sql: string, options: RunQueryOptions = {}): Promise<RunSummary> {
  const { program, diagnostics } = compile(sql, { file: '<query>' });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!program || errors.length > 0)
    throw new QueryError(errors.map((d) => formatDiagnostic(d, sql)).join('\n'));
  const temporary = options.stateDir === undefined;
  const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'darq-query-'));
  try {
    const { sources, sinks, signal, onProgress, ...rest } = options;
    const job = await Job.create(program, {
      ...rest,
      stateDir,
      ...(sources ? { arrays: sources } : {}),
      ...(sinks ? { callbacks: sinks } : {}),
    });
    return await job.run({ ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
  } finally {
    if (temporary) fs.rmSync(stateDir, { recursive: true, force: true });
  }
}
