/**
 * Cross-checks NEXMark queries: runs `queries/nexmark/qN.sql` through the `darq` CLI on the seeded
 * generator, runs `queries/nexmark/batch/qN.sql` in SQLite over the same events, and compares the two.
 *
 *   ./node_modules/.bin/tsx queries/harness/run-nexmark-check.ts q0 q1 q2 q11 q14 q21 q22
 *   ./node_modules/.bin/tsx queries/harness/run-nexmark-check.ts --events 200000 --rate 100000 q5 -- --parallelism 2
 *
 * Options: `--events N` (default 100 000) and `--rate R` (default 10 000 000) replace the sources'
 * `events` / `rate` options; `--splits S` (default: the `--parallelism` passed to darq, else 1) is the
 * number of generator splits the batch side reproduces. Assumed of the `nexmark` connector: `events`,
 * `rate` and `seed` map to the generator's `events`, `rate` and `seedEvents`, with one split per
 * participant of the source. Append outputs compare as multisets; updating outputs (Debezium lines) by
 * final state keyed as `batch/reference.ts` says. Exits 1 when a query differs or fails.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { NexmarkGenerator } from '@darq/engine';

import {
  BATCH_QUERY_NUMBERS,
  type BatchDatabase,
  type BatchQuery,
  batchQuery,
  loadEvents,
  prepareBatchDatabase,
  runBatchQuery,
} from '../nexmark/batch/reference.ts';
import { type CompareResult, compareOutput, splitLines } from './compare.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nexmarkDir = join(repo, 'queries', 'nexmark');
const darqBin = join(repo, 'packages', 'cli', 'bin', 'darq.js');

export interface NexmarkCheckOptions {
  readonly events: number;
  readonly rate: number;
  readonly splits: number;
  /** Extra `darq run` arguments. */
  readonly darqArgs: readonly string[];
}

/** Query N's script with its sources' `events` and `rate` options replaced. */
export function nexmarkScript(n: number, events: number, rate: number): string {
  return readFileSync(join(nexmarkDir, `q${n}.sql`), 'utf8')
    .replace(/events = '\d+'/g, `events = '${events}'`)
    .replace(/rate = '\d+'/g, `rate = '${rate}'`);
}

/** The batch query's rows over the generator's events for these options, as JSON lines. */
export function batchExpected(
  q: BatchQuery,
  o: Pick<NexmarkCheckOptions, 'events' | 'rate' | 'splits'>,
): string[] {
  // better-sqlite3 is darq-core's dependency (the workspace root does not list it): resolve it from there.
  const requireFromCore = createRequire(join(repo, 'packages', 'darq-core', 'package.json'));
  const Database = requireFromCore('better-sqlite3') as new (
    path: string,
  ) => BatchDatabase & { close(): void };
  const db = new Database(':memory:');
  try {
    prepareBatchDatabase(db);
    for (let split = 0; split < o.splits; split++) {
      const gen = new NexmarkGenerator({ events: o.events, rate: o.rate, splits: o.splits }, split);
      const all = function* () {
        for (let batch = gen.nextBatch(4096); batch.length > 0; batch = gen.nextBatch(4096)) yield* batch;
      };
      loadEvents(db, all());
    }
    return runBatchQuery(db, q).map((r) => JSON.stringify(r));
  } finally {
    db.close();
  }
}

/** Runs query N both ways and compares. */
export function checkQuery(
  n: number,
  o: NexmarkCheckOptions,
): CompareResult & { readonly exitCode: number | null } {
  const q = batchQuery(n);
  const dir = mkdtempSync(join(tmpdir(), `darq-nexmark-q${n}-`));
  try {
    writeFileSync(join(dir, `q${n}.sql`), nexmarkScript(n, o.events, o.rate));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    copyFileSync(join(nexmarkDir, 'udfs.ts'), join(dir, 'udfs.ts'));
    mkdirSync(join(dir, 'data'));
    copyFileSync(join(nexmarkDir, 'data', 'side_input.csv'), join(dir, 'data', 'side_input.csv'));
    const output = join(dir, 'output.jsonl');
    const p = spawnSync(
      process.execPath,
      [darqBin, 'run', `q${n}.sql`, '--state', 'state', '--output', `nexmark_q${n}=${output}`, ...o.darqArgs],
      { cwd: dir, encoding: 'utf8', timeout: 600_000 },
    );
    if (p.status !== 0) {
      const err = `${p.stderr ?? ''}${p.error ? p.error.message : ''}`
        .trim()
        .split('\n')
        .slice(0, 6)
        .join('\n');
      return {
        ok: false,
        exitCode: p.status,
        message: `darq run exited with ${p.status ?? p.signal}: ${err}`,
      };
    }
    const actual = existsSync(output) ? splitLines(readFileSync(output, 'utf8')) : [];
    let expected = batchExpected(q, o);
    const debezium = actual[0] !== undefined && /"op"\s*:\s*"/.test(actual[0]);
    if (debezium) expected = expected.map((row) => `{"before":null,"after":${row},"op":"c"}`);
    const r = compareOutput(actual, expected, q.compare === 'final_state' ? q.key : undefined);
    const ties = !r.ok && q.ties ? `\n(q${n} may differ legitimately on ${q.ties})` : '';
    return { ok: r.ok, exitCode: p.status, message: r.message + ties };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv: readonly string[]): number {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const darqArgs = dash >= 0 ? argv.slice(dash + 1) : [];
  const value = (flag: string): number | undefined => {
    const at = own.indexOf(flag);
    return at >= 0 ? Number(own[at + 1]) : undefined;
  };
  const parallelismAt = darqArgs.indexOf('--parallelism');
  const o: NexmarkCheckOptions = {
    events: value('--events') ?? 100_000,
    rate: value('--rate') ?? 10_000_000,
    splits: value('--splits') ?? (parallelismAt >= 0 ? Number(darqArgs[parallelismAt + 1]) : 1),
    darqArgs,
  };
  const flagValues = new Set(
    ['--events', '--rate', '--splits'].map((f) => own.indexOf(f) + 1).filter((i) => i > 0),
  );
  const names = own.filter((a, i) => !a.startsWith('--') && !flagValues.has(i));
  const numbers = names.map((a) => Number(a.replace(/^q/, '')));
  const bad = names.filter((_, i) => !BATCH_QUERY_NUMBERS.includes(numbers[i]!));
  if (
    names.length === 0 ||
    bad.length > 0 ||
    ![o.events, o.rate, o.splits].every((x) => Number.isInteger(x) && x > 0)
  ) {
    console.error(
      'usage: run-nexmark-check.ts [--events N] [--rate R] [--splits S] qN … [-- darq run options]\n' +
        (bad.length > 0 ? `no batch form for: ${bad.join(', ')} (q6 and q12 have none)\n` : '') +
        `queries with a batch form: q${BATCH_QUERY_NUMBERS.join(', q')}`,
    );
    return 2;
  }
  let passed = 0;
  for (const n of numbers) {
    const r = checkQuery(n, o);
    if (r.ok) passed++;
    console.log(`${r.ok ? 'PASS' : 'FAIL'}  q${n}  ${r.message.split('\n')[0]}`);
    if (!r.ok) console.log(r.message.split('\n').slice(1).join('\n').replace(/^/gm, '      '));
  }
  console.log(
    `${passed} of ${numbers.length} queries match their batch form (${o.events} events, rate ${o.rate})`,
  );
  return passed === numbers.length ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
