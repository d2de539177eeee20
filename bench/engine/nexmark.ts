/**
 * NEXMark q0–q2, q5, q7, q8 throughput per core (events ÷ CPU-seconds of the darq process, generator included), exactly
 * once on (file-free blackhole sinks, but every version committed to SQLite), beside the generator alone in the
 * same run and Flink's published per-core figures; and the cost of a HOP window with slide = size/100 against a
 * TUMBLE of the same size (100 keys, so the output stays small and the figure shows the windowing cost).
 *
 *   node --import tsx bench/engine/nexmark.ts [events=2000000] [repeats=3]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NexmarkGenerator } from '@darq/engine';
import { machine, measure, median, root, runSql, writeResult } from './common.ts';

const events = Number(process.argv[2] ?? 2_000_000);
const repeats = Number(process.argv[3] ?? 3);
const FLINK_V2_PER_CORE: Record<string, number> = {
  q0: 379_000,
  q1: 370_000,
  q2: 395_000,
  q5: 75_000,
  q7: 23_000,
  q8: 162_000,
};
const QUERIES = (process.env.QUERIES ?? 'q0,q1,q2,q5,q7,q8').split(',');

function query(q: string): [string, string] {
  const file = path.join(root, `queries/nexmark/${q}.sql`);
  return [fs.readFileSync(file, 'utf8').replaceAll("events = '1000000'", `events = '${events}'`), file];
}

const BID = `CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR, WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '${events}');
CREATE SINK out WITH (connector = 'blackhole');`;
const WINDOWED = {
  'TUMBLE 10 s': `${BID}
INSERT INTO out SELECT MOD(bidder, 100) AS b, window_start, COUNT(*) AS n, MAX(price) AS top
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
GROUP BY MOD(bidder, 100), window_start, window_end;`,
  'HOP slide 100 ms, size 10 s': `${BID}
INSERT INTO out SELECT MOD(bidder, 100) AS b, window_start, COUNT(*) AS n, MAX(price) AS top
FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '100' MILLISECOND, INTERVAL '10' SECOND))
GROUP BY MOD(bidder, 100), window_start, window_end;`,
};

const results: Record<string, number[]> = {};
const note = (name: string, perCpu: number) => {
  (results[name] ??= []).push(perCpu);
  process.stderr.write(`${name}: ${Math.round(perCpu)} events per CPU-second\n`);
};
for (let i = 0; i < repeats; i++) {
  const gen = await measure(() => {
    const g = new NexmarkGenerator({ events });
    let n = 0;
    for (let b = g.nextBatch(1024); b.length > 0; b = g.nextBatch(1024)) n += b.length;
    return n;
  });
  note('generator alone', events / (gen.cpuMs / 1000));
  for (const q of QUERIES) {
    const [sql, file] = query(q);
    const m = await runSql(sql, file, { persistence: 'machine' });
    note(`${q} (machine persistence)`, events / (m.cpuMs / 1000));
  }
  for (const [name, sql] of Object.entries(WINDOWED)) {
    // NEXMark's 10 M events/s rate puts 2 M events in 0.2 s of event time: slow it to 10 k/s so a 10 s
    // window holds realistic numbers of rows and the HOP has 100 overlapping windows per row.
    const m = await runSql(
      sql.replace(`events = '${events}'`, `events = '${events}', rate = '10000'`),
      path.join(root, 'bench/engine/x.sql'),
      {
        persistence: 'machine',
      },
    );
    note(name, events / (m.cpuMs / 1000));
  }
}
const summary = Object.entries(results).map(([name, xs]) => ({
  name,
  medianEventsPerCpuSec: Math.round(median(xs)),
  flinkV2PerCore: FLINK_V2_PER_CORE[name.split(' ')[0]!] ?? null,
}));
const tumble = median(results['TUMBLE 10 s']!);
const hop = median(results['HOP slide 100 ms, size 10 s']!);
writeResult('engine-nexmark', {
  events,
  repeats,
  machine: machine(),
  summary,
  hopCostRelativeToTumble: Number((tumble / hop).toFixed(2)),
  runs: results,
});
console.table(summary);
console.log(`HOP (size/slide = 100) costs ${(tumble / hop).toFixed(2)}x a TUMBLE of the same size`);
