/**
 * Runs Arroyo conformance cases through the `darq` CLI and compares each output with its golden.
 *
 *   ./node_modules/.bin/tsx queries/harness/run-conformance.ts                 # all 28 cases
 *   ./node_modules/.bin/tsx queries/harness/run-conformance.ts --group part1   # the 13 of engine part 1
 *   ./node_modules/.bin/tsx queries/harness/run-conformance.ts session_window union -- --parallelism 2
 *   ./node_modules/.bin/tsx queries/harness/run-conformance.ts --kill-after 300 --group part1
 *
 * Arguments after `--` are passed to `darq run`. Each case runs in a fresh temporary directory holding
 * the rendered query (placeholders substituted) and its `udfs.ts`, with a fresh `--state`. With
 * `--kill-after MS` the first run is SIGKILLed after MS milliseconds and a second run with the same
 * `--state` must finish the job (the output is compared after the second run; a first run that ended on
 * its own before the kill is reported). Frequent commits: pass `-- --checkpoint-interval 0`. Prints one
 * line per case and a summary; exits 1 when a case fails. Nothing is asserted about time.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type ArroyoCase, arroyoCases, renderQuery } from '../conformance/arroyo/manifest.ts';
import { type CompareResult, compareOutput, splitLines } from './compare.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const darqBin = join(repo, 'packages', 'cli', 'bin', 'darq.js');

export interface CaseRun extends CompareResult {
  readonly name: string;
  /** `darq run`'s exit code (null when killed by a signal). */
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly ms: number;
  /** With `killAfterMs`: whether the first run was really killed (false: it finished first). */
  readonly killed?: boolean;
}

/** Runs one case with `darq run` in a temporary directory and compares its output with the golden. */
export function runCase(c: ArroyoCase, extraArgs: readonly string[] = [], killAfterMs?: number): CaseRun {
  const dir = mkdtempSync(join(tmpdir(), `darq-conformance-${c.name}-`));
  try {
    const output = join(dir, 'output.jsonl');
    const script = join(dir, 'query.sql');
    writeFileSync(script, renderQuery(c, output));
    if (c.udfs) copyFileSync(c.udfs, join(dir, 'udfs.ts'));
    // As in the repository, .ts files next to the query are ES modules.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const args = [darqBin, 'run', script, '--state', join(dir, 'state'), ...extraArgs];
    const start = performance.now();
    let killed: boolean | undefined;
    if (killAfterMs !== undefined) {
      const first = spawnSync(process.execPath, args, {
        cwd: dir,
        encoding: 'utf8',
        timeout: killAfterMs,
        killSignal: 'SIGKILL',
      });
      killed = first.signal === 'SIGKILL';
    }
    const p = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    const ms = performance.now() - start;
    const stderr = `${p.stderr ?? ''}${p.error ? `\n${p.error.message}` : ''}`.trim();
    const actual = existsSync(output) ? splitLines(readFileSync(output, 'utf8')) : [];
    const golden = splitLines(readFileSync(c.golden, 'utf8'));
    const r = compareOutput(actual, golden, c.pk);
    return {
      name: c.name,
      exitCode: p.status,
      stderr,
      ms,
      ok: r.ok && p.status === 0,
      message: r.message,
      ...(killed !== undefined ? { killed } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv: readonly string[]): number {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const extra = dash >= 0 ? argv.slice(dash + 1) : [];
  const groupAt = own.indexOf('--group');
  const group = groupAt >= 0 ? own[groupAt + 1] : undefined;
  const killAt = own.indexOf('--kill-after');
  const killAfter = killAt >= 0 ? Number(own[killAt + 1]) : undefined;
  const valueAt = new Set([groupAt + 1, killAt + 1].filter((i) => i > 0));
  const names = own.filter((a, i) => !a.startsWith('--') && !valueAt.has(i));
  if (killAfter !== undefined && !(killAfter > 0)) {
    console.error(`--kill-after needs a number of milliseconds > 0, got '${own[killAt + 1] ?? ''}'`);
    return 2;
  }
  const unknown = names.filter((n) => !arroyoCases.some((c) => c.name === n));
  if (unknown.length > 0 || (group !== undefined && group !== 'part1' && group !== 'part2')) {
    console.error(
      `usage: run-conformance.ts [--group part1|part2] [--kill-after MS] [case …] [-- darq run options]\n` +
        (unknown.length > 0 ? `unknown case(s): ${unknown.join(', ')}\n` : '') +
        `cases: ${arroyoCases.map((c) => c.name).join(', ')}`,
    );
    return 2;
  }
  const selected = arroyoCases.filter(
    (c) => (names.length === 0 || names.includes(c.name)) && (group === undefined || c.group === group),
  );
  let passed = 0;
  let partial = 0;
  for (const c of selected) {
    const r = runCase(c, extra, killAfter);
    if (r.ok) passed++;
    // A case marked partial in the manifest (every_aggregate) may differ; its diff is still printed.
    const allowed = !r.ok && r.exitCode === 0 && c.partial !== undefined;
    if (allowed) partial++;
    const status = r.ok
      ? 'PASS'
      : allowed
        ? 'PARTIAL'
        : r.exitCode === 0
          ? 'DIFF'
          : `EXIT ${r.exitCode ?? 'signal'}`;
    const kill =
      r.killed === undefined ? '' : r.killed ? '  (killed, resumed)' : '  (finished before the kill)';
    console.log(`${status.padEnd(8)} ${c.name.padEnd(30)} ${(r.ms / 1000).toFixed(1)} s  ${c.group}${kill}`);
    if (!r.ok) {
      const why = allowed ? `expected to differ: ${c.partial}\n` : '';
      const detail = r.exitCode === 0 ? why + r.message : `${r.stderr.split('\n').slice(0, 6).join('\n')}`;
      console.log(detail.replace(/^/gm, '         '));
    }
  }
  const partialNote = partial > 0 ? `, ${partial} partial as documented` : '';
  console.log(`${passed} of ${selected.length} cases match their goldens${partialNote}`);
  return passed + partial === selected.length ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
