import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSearchTraceJsonl } from '@darq/engine';
import { type Io, runCommand } from './run.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * `darq demo`: generates the DARQ paper's search trace (seeded), runs queries/paper/search-trends.sql over
 * it with exactly-once file output, and shows the first windows and the run summary.
 */
export async function demoCommand(flags: { events?: string; dir?: string }, io: Io): Promise<void> {
  const dir = path.resolve(flags.dir ?? '.darq-demo');
  const events = Number(flags.events ?? 500_000);
  fs.mkdirSync(dir, { recursive: true });
  const trace = path.join(dir, 'searches.jsonl');
  const out = path.join(dir, 'region_counts.jsonl');
  const state = path.join(dir, 'state');
  fs.rmSync(state, { recursive: true, force: true });
  io.stderr(`darq demo: generating ${events} seeded search events (50 k/s, 20 % 'fever…') → ${trace}\n`);
  writeSearchTraceJsonl(trace, { rate: 50_000, events, seed: 42 });
  const sql = path.join(repoRoot, 'queries/paper/search-trends.sql');
  io.stderr(
    `darq demo: darq run ${path.relative(process.cwd(), sql)} --state ${path.relative(process.cwd(), state)}\n`,
  );
  await runCommand(
    sql,
    {
      state,
      input: [`searches=${trace}`],
      output: [`region_counts=${out}`, `anomalies=${path.join(dir, 'anomalies.jsonl')}`],
      speculative: true,
    },
    { ...io, isTty: false },
  );
  const lines = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean);
  io.stdout(`first windows of ${out} (${lines.length} rows; region, window, searches):\n`);
  for (const l of lines.slice(0, 8)) io.stdout(`  ${l}\n`);
  io.stdout(
    'kill a run with Ctrl-C or kill -9 and re-run it with the same --state: it resumes exactly once.\n',
  );
}
