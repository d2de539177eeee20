import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job } from '@darq/engine';
import { compile, formatDiagnostic, type Program } from '@darq/parser';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from '../errors.ts';
import type { Io } from './run.ts';

export interface TestFlags {
  update?: boolean;
  filter?: string;
  timeout?: string;
  /** Comma-separated: straight, frequent, killed. */
  modes?: string;
}

/** One output of a case: the expected file and what the run produced. */
interface OutputCheck {
  readonly name: string;
  readonly expectedFile: string;
  readonly actual: string[];
}

export interface CaseResult {
  readonly file: string;
  readonly status: 'pass' | 'fail' | 'updated';
  /** Lines explaining a failure (diff, error), or what was checked. */
  readonly details: string[];
  readonly rows: number;
}

const SKIP_DIRS = new Set(['node_modules', 'out', '.git']);

function sqlFiles(target: string): string[] {
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (!st) throw new CliError(EXIT_USAGE, `darq test: ${target} does not exist`);
  if (st.isFile()) {
    if (!target.endsWith('.sql')) throw new CliError(EXIT_USAGE, `darq test: ${target} is not a .sql file`);
    return [target];
  }
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) walk(p);
      else if (e.isFile() && e.name.endsWith('.sql')) out.push(p);
    }
  };
  walk(target);
  return out;
}

/** `-- fail: <text>` header lines: the script must fail with an error containing <text>. */
export function failHeaders(sql: string): string[] {
  const out: string[] = [];
  for (const line of sql.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '') continue;
    if (!t.startsWith('--')) break;
    const m = /^--\s*fail:\s*(.+)$/i.exec(t);
    if (m) out.push(m[1]!.trim());
  }
  return out;
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}

/** A JSON line with keys sorted and numbers normalised, so equal rows compare equal as text. */
function canonical(line: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(line)));
  } catch {
    return line;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/**
 * Compares two JSONL outputs as multisets of JSON values (line order and key order ignored) and
 * describes the difference: `- row` expected but missing, `+ row` produced but not expected.
 */
export function diffRows(expected: readonly string[], actual: readonly string[], show = 10): string[] {
  const counts = new Map<string, { n: number; text: string }>();
  for (const l of expected) {
    const k = canonical(l);
    const c = counts.get(k);
    if (c) c.n++;
    else counts.set(k, { n: 1, text: l });
  }
  const extra: string[] = [];
  for (const l of actual) {
    const c = counts.get(canonical(l));
    if (c && c.n > 0) c.n--;
    else extra.push(l);
  }
  const missing: string[] = [];
  for (const c of counts.values()) for (let i = 0; i < c.n; i++) missing.push(c.text);
  if (missing.length === 0 && extra.length === 0) return [];
  const out = [
    `expected ${expected.length} rows, got ${actual.length}: ${missing.length} missing (-), ${extra.length} unexpected (+)`,
  ];
  for (const l of missing.slice(0, show)) out.push(`- ${l}`);
  if (missing.length > show) out.push(`- … ${missing.length - show} more`);
  for (const l of extra.slice(0, show)) out.push(`+ ${l}`);
  if (extra.length > show) out.push(`+ … ${extra.length - show} more`);
  return out;
}

function outputsOf(program: Program): { sinks: string[]; select: boolean } {
  const sinks = new Set<string>();
  let select = false;
  for (const s of program.statements) {
    if (s.kind === 'Insert') sinks.add(s.sink);
    else if (s.kind === 'Select') select = true;
  }
  // Sinks fed only by LATE INTO (or side outputs) are outputs too.
  for (const s of program.sinks) sinks.add(s.name);
  return { sinks: [...sinks], select };
}

export const TEST_MODES = ['straight', 'frequent', 'killed'] as const;
export type TestMode = (typeof TEST_MODES)[number];

const bin = fileURLToPath(new URL('../../bin/darq.js', import.meta.url));

function exited(p: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  p.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stderr })));
}

/**
 * Produces a case's outputs one way: `straight` (in-process, default commits), `frequent` (in-process, a
 * commit whenever the previous one finished), `killed` (the real binary, SIGKILLed once its first output is
 * committed, then run again over the same state to the end). Returns an error message or undefined.
 */
async function produce(
  mode: TestMode,
  file: string,
  program: Program,
  outputs: Record<string, string>,
  stateDir: string,
  timeoutMs: number,
): Promise<string | undefined> {
  if (mode === 'killed') {
    const args = [bin, 'run', file, '--state', stateDir, '--quiet', '--format', 'jsonl'];
    for (const [name, p] of Object.entries(outputs)) args.push('--output', `${name}=${p}`);
    const first = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const firstDone = exited(first);
    const deadline = Date.now() + timeoutMs;
    const started = () =>
      Object.values(outputs).some((p) => (fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0) > 0);
    while (first.exitCode === null && !started() && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    first.kill('SIGKILL');
    const a = await firstDone;
    if (a.code !== null && a.code !== 0) return a.stderr.trim() || `darq run exited with code ${a.code}`;
    const again = await exited(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    return again.code === 0 ? undefined : again.stderr.trim() || `darq run exited with code ${again.code}`;
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const job = await Job.create(program, {
      stateDir,
      baseDir: path.dirname(file),
      outputs,
      ...(mode === 'frequent' ? { checkpointIntervalMs: 0 } : {}),
    });
    const summary = await job.run({ signal: abort.signal });
    if (summary.stopped === 'interrupted') return `timed out after ${timeoutMs / 1000} s (--timeout)`;
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one golden case each of the given ways; state and outputs go to a temporary directory. A bare SELECT's
 * rows are captured through a file sink named `stdout` (so they are exactly-once across a kill too).
 */
export async function runCase(
  file: string,
  flags: TestFlags,
  modes: readonly TestMode[] = ['straight'],
): Promise<CaseResult> {
  const sql = fs.readFileSync(file, 'utf8');
  const dir = path.dirname(file);
  const base = path.basename(file, '.sql');
  const fails = failHeaders(sql);
  const { program, diagnostics } = compile(sql, { file });
  const problems = diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, sql));
  const failed = (error: string): CaseResult => {
    if (fails.length === 0) return { file, status: 'fail', details: error.split('\n'), rows: 0 };
    const missing = fails.filter((f) => !error.toLowerCase().includes(f.toLowerCase()));
    if (missing.length === 0)
      return { file, status: 'pass', details: [`failed as expected: ${fails.join('; ')}`], rows: 0 };
    return {
      file,
      status: 'fail',
      details: [`expected an error containing '${missing.join("', '")}', got:`, ...error.split('\n')],
      rows: 0,
    };
  };
  if (!program || problems.length > 0) return failed(problems.join('\n'));
  const { sinks, select } = outputsOf(program);
  const timeoutMs = Number(flags.timeout ?? '300') * 1000;
  const details: string[] = [];
  let ok = true;
  let updated = false;
  let rows = 0;
  for (const [i, mode] of modes.entries()) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-test-'));
    const tag = modes.length > 1 ? `[${mode}] ` : '';
    try {
      const outputs = Object.fromEntries(sinks.map((s) => [s, path.join(tmp, `${s}.jsonl`)]));
      if (select) outputs.stdout = path.join(tmp, 'stdout.select.jsonl');
      const error = await produce(mode, file, program, outputs, path.join(tmp, 'state'), timeoutMs);
      if (error !== undefined) {
        const r = failed(error);
        if (r.status === 'fail') return { ...r, details: r.details.map((d) => `${tag}${d}`) };
        if (i === modes.length - 1) return r;
        continue;
      }
      if (fails.length > 0)
        return {
          file,
          status: 'fail',
          details: [`${tag}expected an error containing '${fails.join("', '")}', but it ran`],
          rows: 0,
        };
      const checks: OutputCheck[] = [];
      const read = (p: string) => (fs.existsSync(p) ? splitLines(fs.readFileSync(p, 'utf8')) : []);
      const own = path.join(dir, `${base}.expected.jsonl`);
      for (const s of sinks) {
        const perSink = path.join(dir, `${s}.expected.jsonl`);
        const expectedFile = fs.existsSync(perSink) || sinks.length > 1 || select ? perSink : own;
        checks.push({ name: `sink ${s}`, expectedFile, actual: read(outputs[s]!) });
      }
      if (select) checks.push({ name: 'SELECT', expectedFile: own, actual: read(outputs.stdout!) });
      rows = 0;
      for (const c of checks) {
        rows += c.actual.length;
        const rel = path.relative(process.cwd(), c.expectedFile);
        const exists = fs.existsSync(c.expectedFile);
        if (flags.update && i === 0) {
          const text = [...c.actual].sort().join('\n') + (c.actual.length ? '\n' : '');
          if (exists && diffRows(splitLines(fs.readFileSync(c.expectedFile, 'utf8')), c.actual).length === 0)
            continue;
          fs.writeFileSync(c.expectedFile, text);
          details.push(`${c.name}: wrote ${c.actual.length} rows to ${rel}`);
          updated = true;
          continue;
        }
        if (!exists) {
          ok = false;
          details.push(
            `${tag}${c.name}: no expected file ${rel} (run with --update to create it from this run's ${c.actual.length} rows)`,
          );
          continue;
        }
        const diff = diffRows(splitLines(fs.readFileSync(c.expectedFile, 'utf8')), c.actual);
        if (diff.length > 0) {
          ok = false;
          details.push(`${tag}${c.name} vs ${rel}: ${diff[0]}`, ...diff.slice(1).map((l) => `  ${l}`));
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { file, status: updated ? 'updated' : ok ? 'pass' : 'fail', details, rows };
}

/**
 * `darq test DIR`: runs every `.sql` under DIR against its expected files and prints one line per case,
 * a diff for each mismatch and a closing count. Exit code 1 when any case fails.
 */
export async function testCommand(target: string, flags: TestFlags, io: Io): Promise<void> {
  if (flags.timeout !== undefined && !(Number(flags.timeout) > 0))
    throw new CliError(EXIT_USAGE, `--timeout expects seconds > 0, got '${flags.timeout}'`);
  const modes = (flags.modes ?? 'straight').split(',').map((m) => m.trim());
  for (const m of modes)
    if (!(TEST_MODES as readonly string[]).includes(m))
      throw new CliError(EXIT_USAGE, `--modes expects a list of ${TEST_MODES.join(', ')}, got '${m}'`);
  let files = sqlFiles(target);
  if (flags.filter) files = files.filter((f) => f.includes(flags.filter!));
  if (files.length === 0)
    throw new CliError(
      EXIT_USAGE,
      `darq test: no .sql files under ${target}${flags.filter ? ` matching '${flags.filter}'` : ''}`,
    );
  const started = performance.now();
  const tally = { pass: 0, fail: 0, updated: 0 };
  for (const f of files) {
    const r = await runCase(f, flags, modes as TestMode[]);
    tally[r.status]++;
    const label = r.status === 'pass' ? 'ok    ' : r.status === 'updated' ? 'update' : 'FAIL  ';
    io.stdout(
      `${label} ${path.relative(process.cwd(), f)}${r.status === 'fail' ? '' : ` (${r.rows} rows)`}\n`,
    );
    for (const d of r.details) if (r.status !== 'pass') io.stdout(`         ${d}\n`);
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  io.stdout(
    `darq test: ${tally.pass} passed, ${tally.fail} failed${tally.updated ? `, ${tally.updated} updated` : ''} (${files.length} file${files.length === 1 ? '' : 's'}, ${secs} s)\n`,
  );
  if (tally.fail > 0) throw new CliError(EXIT_RUNTIME, `${tally.fail} of ${files.length} cases failed`, true);
}
