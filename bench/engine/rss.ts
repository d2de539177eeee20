/**
 * Bounded memory: the paper's pipeline over a 10 M-event seeded search trace (generated on the fly by the
 * search-trace connector), sampling the process RSS every 100 ms. Backpressure keeps at most a few batches in
 * flight, so RSS must stay flat however long the input is.
 *
 *   node --import tsx bench/engine/rss.ts [events=10000000]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { machine, root, runSql, writeResult } from './common.ts';

const events = Number(process.argv[2] ?? 10_000_000);
const sqlFile = path.join(root, 'queries/paper/search-trends.sql');
const sql = fs
  .readFileSync(sqlFile, 'utf8')
  .replace(
    "WITH (connector = 'file', path = 'searches.jsonl', format = 'jsonl')",
    `WITH (connector = 'search-trace', rate = '50000', events = '${events}', seed = '7')`,
  );
const samples: { t: number; rssMb: number; heapMb: number }[] = [];
const t0 = performance.now();
const timer = setInterval(() => {
  const m = process.memoryUsage();
  samples.push({
    t: Math.round(performance.now() - t0),
    rssMb: m.rss / 2 ** 20,
    heapMb: m.heapUsed / 2 ** 20,
  });
}, 100);
const tmp = fs.mkdtempSync('/tmp/darq-bench-rss-');
const m = await runSql(sql, sqlFile, {
  outputs: { region_counts: path.join(tmp, 'rc.jsonl'), anomalies: path.join(tmp, 'an.jsonl') },
});
clearInterval(timer);
const rss = samples.map((s) => s.rssMb);
const firstTenth = rss.slice(0, Math.max(1, Math.floor(rss.length / 10)));
const result = {
  events: m.value.eventsIn,
  wallMs: Math.round(m.wallMs),
  eventsPerSec: Math.round(m.value.eventsIn / (m.wallMs / 1000)),
  rssMbMax: Number(Math.max(...rss).toFixed(1)),
  rssMbMaxFirstTenth: Number(Math.max(...firstTenth).toFixed(1)),
  rssMbLast: Number(rss[rss.length - 1]!.toFixed(1)),
  heapMbMax: Number(Math.max(...samples.map((s) => s.heapMb)).toFixed(1)),
  machine: machine(),
  samplesEverySecond: samples
    .filter((_, i) => i % 10 === 0)
    .map((s) => ({ t: s.t, rssMb: Number(s.rssMb.toFixed(1)) })),
};
writeResult('engine-rss-10m', result);
console.log(JSON.stringify({ ...result, samplesEverySecond: undefined }, null, 2));
fs.rmSync(tmp, { recursive: true, force: true });
