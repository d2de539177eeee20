import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, type JobOptions, type RunSummary } from '@darq/engine';
import { compile } from '@darq/parser';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dataDir = path.join(root, 'bench/data');
export const resultsDir = path.join(root, 'bench/results');

export interface Measured<T> {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly value: T;
}

/** Wall and CPU time (user + system, this process) of an async function. */
export async function measure<T>(fn: () => Promise<T> | T): Promise<Measured<T>> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, value };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Compiles a SQL file (or text) and runs it in this process with a fresh state dir. */
export async function runSql(
  sql: string,
  file: string,
  options: Partial<JobOptions> = {},
): Promise<Measured<RunSummary>> {
  const { program, diagnostics } = compile(sql, { file });
  if (!program) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-bench-'));
  try {
    const job = await Job.create(program, { baseDir: path.dirname(file), ...options, stateDir });
    return await measure(() => job.run());
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

export function writeResult(name: string, result: unknown): void {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    loadavg: os.loadavg().map((l) => Number(l.toFixed(2))),
    date: new Date().toISOString(),
  };
}
