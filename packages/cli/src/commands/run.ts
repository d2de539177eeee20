import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Job, Progress, RunSummary } from '@darq/engine';
import type { Program } from '@darq/parser';
import { CliError, EXIT_BAD_RECORDS, EXIT_RUNTIME, EXIT_USAGE } from '../errors.ts';
import { type RowFormat, RowPrinter } from '../render/rows.ts';
import { progressLine, summaryLine } from '../render/summary.ts';

export interface RunFlags {
  state?: string;
  input: string[];
  output: string[];
  speculative: boolean;
  checkpointInterval?: string;
  persistence?: string;
  parallelism?: string;
  workers?: string;
  maxBadRecords?: string;
  onUdfError?: string;
  deadLetter?: string;
  quiet?: boolean;
  verbose?: boolean;
  format?: string;
  metricsPort?: string;
  tentative?: string;
  cluster?: string;
}

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stderr is a terminal: show the live progress line. */
  isTty: boolean;
  /** stdout is a terminal: rows default to a table. */
  stdoutIsTty?: boolean;
}

function pairs(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError(EXIT_USAGE, `${flag} expects name=path, got '${item}'`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function intFlag(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(EXIT_USAGE, `${flag} expects a whole number ≥ ${min}, got '${v}'`);
  return n;
}

/** `darq run query.sql`: compiles, plans and runs a script; resumes from --state. */
export async function runCommand(file: string, flags: RunFlags, io: Io): Promise<RunSummary> {
  const persistence = flags.persistence ?? 'process';
  if (persistence !== 'process' && persistence !== 'machine') {
    throw new CliError(EXIT_USAGE, `--persistence expects 'process' or 'machine', got '${persistence}'`);
  }
  const format = rowFormat(flags.format, io);
  const metricsPort = intFlag(flags.metricsPort, '--metrics-port', 1);
  if (metricsPort !== undefined && metricsPort > 65535)
    throw new CliError(
      EXIT_USAGE,
      `--metrics-port expects a port number 1..65535, got '${flags.metricsPort}'`,
    );
  const workers = intFlag(flags.workers, '--workers', 1) ?? 1;
  if (workers > 64) throw new CliError(EXIT_USAGE, `--workers expects at most 64, got ${workers}`);
  if (flags.tentative !== undefined && workers === 1 && flags.cluster === undefined)
    throw new CliError(
      EXIT_USAGE,
      '--tentative needs a speculative multi-worker run (--workers N with N > 1, or --cluster FILE): on one worker every version commits as it closes, so there is nothing tentative to show',
    );
  // Flags are checked before the SQL: a usage error costs nothing and touches nothing.
  intFlag(flags.parallelism, '--parallelism', 1);
  pairs(flags.input, '--input');
  pairs(flags.output, '--output');
  intFlag(flags.checkpointInterval, '--checkpoint-interval', 0);
  const maxBad = intFlag(flags.maxBadRecords, '--max-bad-records', 0);
  if (workers > 1 || flags.cluster !== undefined) {
    const { runCluster } = await import('./cluster.ts');
    return runCluster(file, flags, io, workers);
  }
  const { EngineError } = await import('@darq/engine');
  const temporaryState = flags.state === undefined;
  const stateDir = flags.state ?? fs.mkdtempSync(path.join(os.tmpdir(), 'darq-state-'));
  const showProgress = io.isTty && !flags.quiet;
  // On a terminal the progress line shares the screen with the rows: clear it, print, draw it again.
  let statusLine = '';
  const printer = new RowPrinter(format, (text) => {
    if (!statusLine) return io.stdout(text);
    io.stderr('\r\x1b[2K');
    io.stdout(text);
    io.stderr(statusLine);
  });
  const job = await buildJob(file, flags, io, stateDir, (text) => printer.write(text));
  if (flags.verbose) io.stderr(`${job.explainStages()}\n`);
  const metrics =
    metricsPort === undefined
      ? undefined
      : await (await import('../metrics.ts')).MetricsServer.start(metricsPort);
  if (metrics && flags.verbose) io.stderr(`darq: metrics on http://127.0.0.1:${metricsPort}/metrics\n`);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  let summary: RunSummary;
  try {
    summary = await job.run({
      signal: abort.signal,
      ...(showProgress || metrics
        ? {
            onProgress: (p: Progress) => {
              metrics?.update(p);
              if (!showProgress) return;
              statusLine = progressLine(p);
              io.stderr(`\r\x1b[2K${statusLine}`);
            },
          }
        : {}),
    });
    printer.end();
  } catch (e) {
    if (e instanceof EngineError) {
      // A state dir of another query or a plan problem is the user's to fix before running (2); anything that
      // failed while running — a UDF that threw, an unreadable file — is a runtime failure (1).
      const usage = e.name === 'StateError' || e.name === 'PlanError';
      throw new CliError(usage ? EXIT_USAGE : EXIT_RUNTIME, e.message);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (showProgress) io.stderr('\r\x1b[2K');
    statusLine = '';
    await metrics?.close();
  }
  if (!flags.quiet) io.stderr(`${summaryLine(summary, temporaryState ? undefined : stateDir)}\n`);
  if (temporaryState && !summary.stopped && summary.badRecords === 0)
    fs.rmSync(stateDir, { recursive: true, force: true });
  if (summary.stopped === 'too-many-bad-records') {
    throw new CliError(
      EXIT_BAD_RECORDS,
      `more than --max-bad-records ${maxBad} input records could not be read; see ${summary.deadLetterPath}`,
    );
  }
  return summary;
}

/**
 * Compiles the script and plans the job with the run flags (shared by single-process runs and every process
 * of a cluster run, so they plan the same graph). A query or plan error is a usage error (exit 2).
 */
export async function buildJob(
  file: string,
  flags: RunFlags,
  io: Io,
  stateDir: string,
  stdout: (text: string) => void,
  /** An already compiled program (cluster workers get the coordinator's, and skip building the parser). */
  compiled?: Program,
): Promise<Job> {
  const persistence = (flags.persistence ?? 'process') as 'process' | 'machine';
  const parallelism = intFlag(flags.parallelism, '--parallelism', 1) ?? 1;
  const inputs = pairs(flags.input, '--input');
  const outputs = pairs(flags.output, '--output');
  const checkpointIntervalMs = intFlag(flags.checkpointInterval, '--checkpoint-interval', 0);
  const maxBad = intFlag(flags.maxBadRecords, '--max-bad-records', 0);
  // The parser and the engine are loaded once the flags are known to be good: a usage error costs nothing.
  const { EngineError, Job } = await import('@darq/engine');
  const program = compiled ?? (await import('./compile.ts')).compileFile(file, io.stderr);
  try {
    return await Job.create(program, {
      stateDir,
      baseDir: path.dirname(path.resolve(file)),
      parallelism,
      inputs,
      outputs,
      speculative: flags.speculative,
      persistence,
      ...(checkpointIntervalMs !== undefined ? { checkpointIntervalMs } : {}),
      ...(maxBad !== undefined ? { maxBadRecords: maxBad } : {}),
      ...(flags.onUdfError ? { onUdfError: flags.onUdfError as 'fail' | 'skip' | 'null' } : {}),
      ...(flags.deadLetter ? { deadLetterPath: path.resolve(flags.deadLetter) } : {}),
      stdout,
    });
  } catch (e) {
    if (e instanceof EngineError && e.domain === 'user')
      throw new CliError(EXIT_USAGE, `${file}: ${e.message}`);
    throw e;
  }
}

function rowFormat(v: string | undefined, io: Io): RowFormat {
  if (v === undefined) return io.stdoutIsTty ? 'table' : 'jsonl';
  if (v === 'table' || v === 'jsonl' || v === 'csv' || v === 'debezium-json') return v;
  throw new CliError(EXIT_USAGE, `--format expects table, jsonl, csv or debezium-json, got '${v}'`);
}
