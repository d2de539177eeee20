/**
 * The DARQ paper's pipeline replaying a search-trace file as fast as possible, exactly-once, beside a
 * hand-written loop over the same file in the same run (the ceiling: no durability, no engine).
 *
 *   node --import tsx bench/engine/paper.ts [events=2000000] [repeats=3]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { regionOf, writeSearchTraceJsonl } from '@darq/engine';
import { dataDir, machine, measure, median, root, runSql, writeResult } from './common.ts';

const events = Number(process.argv[2] ?? 2_000_000);
const repeats = Number(process.argv[3] ?? 3);
fs.mkdirSync(dataDir, { recursive: true });
const trace = path.join(dataDir, `search-trace-${events}.jsonl`);
if (!fs.existsSync(trace)) writeSearchTraceJsonl(trace, { rate: 50_000, events, seed: 7 });

/** The query, hand-written: 4 MiB chunks, JSON.parse, filter, region, per-window counts, output lines. */
function handWritten(file: string, out: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let carry = '';
  let n = 0;
  let window = -1;
  const counts = new Map<number, number>();
  let text = '';
  const flush = () => {
    for (const r of [...counts.keys()].sort((a, b) => a - b)) {
      text += `${JSON.stringify({ region: r, window_start: window, window_end: window + 500, searches: counts.get(r) })}\n`;
    }
    counts.clear();
  };
  for (;;) {
    const got = fs.readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    const lines = (carry + buf.toString('utf8', 0, got)).split('\n');
    carry = lines.pop()!;
    for (const line of lines) {
      if (!line) continue;
      const e = JSON.parse(line) as { term: string; ip: string; ts: number };
      n++;
      if (!e.term.startsWith('fever')) continue;
      const w = e.ts - (e.ts % 500);
      if (w !== window) {
        if (window >= 0) flush();
        window = w;
      }
      const r = regionOf(e.ip);
      counts.set(r, (counts.get(r) ?? 0) + 1);
    }
  }
  flush();
  fs.closeSync(fd);
  fs.writeFileSync(out, text);
  return n;
}

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
