/**
 * `darq bench nexmark [--quick]`: runs bench/engine/nexmark.ts (NEXMark q0–q2, q5, q7, q8 events per CPU-second,
 * exactly-once, fsync'd, beside the generator alone and Flink's published per-core figures) and writes its
 * figures as bench/results/nexmark{,-quick}.{json,csv,md} plus a bar chart.
 *
 *   node --import tsx bench/paper/nexmark.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resultsDir as engineResultsDir, root } from '../engine/common.ts';
import { si, table, writeCsv, writeJson, writeMarkdown, writeSvg } from './report.ts';

const smoke = process.argv.includes('--smoke');
const quick = smoke || process.argv.includes('--quick');
const NAME = smoke ? 'nexmark-smoke' : quick ? 'nexmark-quick' : 'nexmark';
const engineFile = path.join(engineResultsDir, 'engine-nexmark.json');
// A quick run must not replace the committed full figures of bench/engine/nexmark.ts.
const saved = quick && fs.existsSync(engineFile) ? fs.readFileSync(engineFile) : undefined;
const args = smoke ? ['20000', '1'] : quick ? ['100000', '1'] : ['2000000', '3'];
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', path.join(root, 'bench/engine/nexmark.ts'), ...args],
  {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: quick ? { ...process.env, QUERIES: process.env.QUERIES ?? 'q0,q1,q2,q5' } : process.env,
  },
);
const raw = JSON.parse(fs.readFileSync(engineFile, 'utf8')) as {
  events: number;
  repeats: number;
  machine: Record<string, unknown>;
  summary: { name: string; medianEventsPerCpuSec: number; flinkV2PerCore: number | null }[];
  hopCostRelativeToTumble: number;
};
if (saved) fs.writeFileSync(engineFile, saved);
if (r.status !== 0) process.exit(r.status ?? 1);

const rows = raw.summary.map((s) => ({
  query: s.name,
  darqEventsPerCpuSec: s.medianEventsPerCpuSec,
  flinkV2PublishedPerCore: s.flinkV2PerCore,
  ratioToFlink: s.flinkV2PerCore ? Number((s.medianEventsPerCpuSec / s.flinkV2PerCore).toFixed(2)) : null,
}));
writeJson(NAME, { name: NAME, quick, ...raw, rows });
writeCsv(NAME, rows);
const bars = rows.flatMap((x) => [
  { query: x.query, system: 'darq (measured, per CPU-second)', eventsPerSec: x.darqEventsPerCpuSec },
  ...(x.flinkV2PublishedPerCore
    ? [{ query: x.query, system: 'Flink V2 (published, per core)', eventsPerSec: x.flinkV2PublishedPerCore }]
    : []),
]);
await writeSvg(`${NAME}-throughput`, {
  title: `NEXMark events per CPU-second (${si(raw.events)} events, exactly-once, fsync'd)`,
  width: 480,
  data: { values: bars },
  mark: 'bar',
  encoding: {
    y: { field: 'query', type: 'nominal', title: null },
    yOffset: { field: 'system' },
    x: { field: 'eventsPerSec', type: 'quantitative', title: 'events per CPU-second' },
    color: { field: 'system', type: 'nominal', title: null, legend: { orient: 'bottom' } },
  },
});
writeMarkdown(
  NAME,
  `# ${NAME}: NEXMark per CPU-second

${raw.machine.date} · Node ${raw.machine.node} · ${raw.machine.cpus} cores · ${si(raw.events)} events, median of ${raw.repeats}.
Shared, noisy machine; Flink's figures are published per-core figures, not measured here.

${table(
  ['query', 'darq events/CPU-s', 'Flink V2 per core (published)', 'ratio'],
  rows.map((x) => [
    x.query,
    si(x.darqEventsPerCpuSec),
    x.flinkV2PublishedPerCore ? si(x.flinkV2PublishedPerCore) : '—',
    x.ratioToFlink ?? '—',
  ]),
)}

HOP (slide = size/100) costs ${raw.hopCostRelativeToTumble}× a TUMBLE of the same size. Plot: [${NAME}-throughput.svg](${NAME}-throughput.svg).
`,
);
