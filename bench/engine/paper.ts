/**
 * The DARQ paper's pipeline replaying a search-trace file as fast as possible, exactly-once, beside a
 * hand-written loop over the same file in the same run (the ceiling: no durability, no engine).
 *
 *   node --import tsx bench/engine/paper.ts [events=2000000] [repeats=3]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSearchTraceJsonl } from '@darq/engine';
import { handWritten } from '../paper/baselines.ts';
import { dataDir, machine, measure, median, root, runSql, writeResult } from './common.ts';

const events = Number(process.argv[2] ?? 2_000_000);
const repeats = Number(process.argv[3] ?? 3);
fs.mkdirSync(dataDir, { recursive: true });
const trace = path.join(dataDir, `search-trace-${events}.jsonl`);
if (!fs.existsSync(trace)) writeSearchTraceJsonl(trace, { rate: 50_000, events, seed: 7 });

const sqlFile = path.join(root, 'queries/paper/search-trends.sql');
const sql = fs.readFileSync(sqlFile, 'utf8');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-bench-paper-'));
const rows: Record<string, unknown>[] = [];
const byVariant = new Map<string, number[]>();
for (let i = 0; i < repeats; i++) {
  const base = await measure(() => handWritten(trace, path.join(tmp, 'hand.jsonl')));
  const variants: [string, Record<string, unknown>][] = [
    ['hand-written loop (no durability)', {}],
    ['darq, persistence=process, interval 5 ms', { persistence: 'process' }],
    ['darq, persistence=machine (fsync), interval 5 ms', { persistence: 'machine' }],
  ];
  for (const [name, opts] of variants) {
    const m = name.startsWith('hand')
      ? base
      : await runSql(sql, sqlFile, {
          ...opts,
          inputs: { searches: trace },
          outputs: { region_counts: path.join(tmp, 'rc.jsonl'), anomalies: path.join(tmp, 'an.jsonl') },
        });
    const perCpu = events / (m.cpuMs / 1000);
    const perWall = events / (m.wallMs / 1000);
    rows.push({
      run: i,
      variant: name,
      wallMs: Math.round(m.wallMs),
      cpuMs: Math.round(m.cpuMs),
      eventsPerSec: Math.round(perWall),
      eventsPerCpuSec: Math.round(perCpu),
    });
    const list = byVariant.get(name) ?? [];
    list.push(perWall);
    byVariant.set(name, list);
    process.stderr.write(`${name}: ${Math.round(perWall)} events/s (${Math.round(perCpu)} per CPU-second)\n`);
  }
}
const ceiling = median(byVariant.get('hand-written loop (no durability)')!);
const summary = [...byVariant].map(([variant, xs]) => ({
  variant,
  medianEventsPerSec: Math.round(median(xs)),
  ratioToHandWritten: Number((median(xs) / ceiling).toFixed(3)),
}));
writeResult('engine-paper-replay', { events, repeats, machine: machine(), summary, runs: rows });
console.table(summary);
fs.rmSync(tmp, { recursive: true, force: true });
