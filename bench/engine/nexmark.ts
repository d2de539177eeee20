/**
 * NEXMark q0–q22 throughput per core: events ÷ CPU-seconds of the darq process (generator included, as Flink
 * counts it), exactly-once on (`persistence: 'machine'`: every version committed to SQLite and fsync'd), beside
 * the generator alone in the same run and Flink's published V1 and V2 per-core figures; and the cost of a HOP
 * window with slide = size/100 against a TUMBLE of the same size (100 keys, so the output stays small and the
 * figure shows the windowing cost).
 *
 * Each query runs in a child process of its own (a fresh heap; a query that fails or runs out of time is
 * reported as such and the others still run). Sinks are the queries' own: blackholes, except q10's
 * partitioned CSV file sink, which writes into a temporary directory removed afterwards.
 *
 *   node --import tsx bench/engine/nexmark.ts [events=10000000] [repeats=1]
 *     [--queries q0,q1,…]        the queries to run (default q0–q22)
 *     [--cut q7,q15:1000000 --cut-events 2000000]   run these queries on fewer events (cut-events unless
 *                                given after a colon), marked "cut" in the results
 *     [--windowed-events N]      events of the TUMBLE/HOP comparison (default: events)
 *     [--timeout-s S]            a query still running after S seconds is killed; one that fails (out of time,
 *                                out of memory) on the full size runs again on the cut size, marked so
 *                                (default 1800)
 *     [--out NAME|FILE.json]     bench/results/NAME.json (default engine-nexmark), or that file
 *     [--in-process]             run everything in this process, one after the other (no child processes:
 *                                short runs, where a child's ~1–4 s of module loading would dominate)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NexmarkGenerator } from '@darq/engine';
import { machine, measure, median, root, runSql, writeResult } from './common.ts';

/**
 * Flink's published figures (specs/nexmark.md §5, from the nexmark guides, on their hardware): V1
 * "Throughput/Cores" (100 M events at 10 M events/s), and V2 throughput and mean cores (50 M events at
 * 100 k events/s after a 150 M warm-up and a restore), per core = throughput ÷ cores. q6 is in neither: Flink
 * cannot run it (FLINK-19059).
 */
const FLINK: Record<string, { v1PerCore: number; v2Throughput: number; v2Cores: number } | null> = {
  q0: { v1PerCore: 155_020, v2Throughput: 2_650_000, v2Cores: 7 },
  q1: { v1PerCore: 157_940, v2Throughput: 2_860_000, v2Cores: 7.24 },
  q2: { v1PerCore: 175_210, v2Throughput: 2_950_000, v2Cores: 7.13 },
  q3: { v1PerCore: 152_120, v2Throughput: 1_900_000, v2Cores: 8.69 },
  q4: { v1PerCore: 34_330, v2Throughput: 347_840, v2Cores: 12.33 },
  q5: { v1PerCore: 22_140, v2Throughput: 920_400, v2Cores: 12.35 },
  q6: null,
  q7: { v1PerCore: 12_330, v2Throughput: 262_460, v2Cores: 11.45 },
  q8: { v1PerCore: 146_140, v2Throughput: 2_080_000, v2Cores: 12.83 },
  q9: { v1PerCore: 14_240, v2Throughput: 149_520, v2Cores: 10.86 },
  q10: { v1PerCore: 57_810, v2Throughput: 904_320, v2Cores: 6.81 },
  q11: { v1PerCore: 39_700, v2Throughput: 427_880, v2Cores: 9.29 },
  q12: { v1PerCore: 75_670, v2Throughput: 1_950_000, v2Cores: 10.03 },
  q13: { v1PerCore: 130_730, v2Throughput: 1_500_000, v2Cores: 7.97 },
  q14: { v1PerCore: 161_230, v2Throughput: 2_030_000, v2Cores: 7.83 },
  q15: { v1PerCore: 72_420, v2Throughput: 1_370_000, v2Cores: 8.16 },
  q16: { v1PerCore: 18_650, v2Throughput: 487_290, v2Cores: 10.77 },
  q17: { v1PerCore: 116_800, v2Throughput: 1_630_000, v2Cores: 10.15 },
  q18: { v1PerCore: 53_700, v2Throughput: 769_770, v2Cores: 11.77 },
  q19: { v1PerCore: 44_040, v2Throughput: 558_840, v2Cores: 13.09 },
  q20: { v1PerCore: 18_980, v2Throughput: 194_960, v2Cores: 10.98 },
  q21: { v1PerCore: 98_490, v2Throughput: 1_150_000, v2Cores: 7.81 },
  q22: { v1PerCore: 129_960, v2Throughput: 1_630_000, v2Cores: 7.7 },
};
const ALL_QUERIES = Object.keys(FLINK);

/** What is particular about running a query as a throughput bench (shown beside its figure). */
const QUERY_NOTES: Record<string, string> = {
  q6: 'Flink cannot run it (FLINK-19059), so no published figure',
  q10: "its own partitioned CSV file sink (fsync'd), into a temporary directory",
  q12: 'processing-time windows: the rows depend on the wall clock, the work does not',
  q13: 'side input: the committed 10 000-row data/side_input.csv',
  q14: 'count_char is the TypeScript UDF of udfs.ts',
};

const BID = (
  events: number,
) => `CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,
  url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR, WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', events = '${events}', rate = '10000');
CREATE SINK out WITH (connector = 'blackhole');`;
// NEXMark's 10 M events/s rate puts 2 M events in 0.2 s of event time: the comparison slows it to 10 k/s so a
// 10 s window holds realistic numbers of rows and the HOP has 100 overlapping windows per row.
const WINDOWED: Record<string, { label: string; sql: (events: number) => string }> = {
  tumble: {
    label: 'TUMBLE 10 s',
    sql: (events) => `${BID(events)}
INSERT INTO out SELECT MOD(bidder, 100) AS b, window_start, COUNT(*) AS n, MAX(price) AS top
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
GROUP BY MOD(bidder, 100), window_start, window_end;`,
  },
  hop: {
    label: 'HOP slide 100 ms, size 10 s',
    sql: (events) => `${BID(events)}
INSERT INTO out SELECT MOD(bidder, 100) AS b, window_start, COUNT(*) AS n, MAX(price) AS top
FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '100' MILLISECOND, INTERVAL '10' SECOND))
GROUP BY MOD(bidder, 100), window_start, window_end;`,
  },
};

/** One measurement, as a child process reports it. */
interface ChildResult {
  readonly cpuMs: number;
  readonly wallMs: number;
  /** Rows the sources passed on (events of the kinds the query reads). */
  readonly rowsIn?: number;
  readonly rowsOut?: number;
  readonly versions?: number;
  readonly lateRows?: number;
  readonly maxRssMb: number;
}

/** Runs one measurement in this process (the child side): `--child <qN|generator|tumble|hop> <events>`. */
async function child(name: string, events: number): Promise<ChildResult> {
  const rss = () => Math.round(process.resourceUsage().maxRSS / 1024);
  if (name === 'generator') {
    const m = await measure(() => {
      const g = new NexmarkGenerator({ events });
      let n = 0;
      for (let b = g.nextBatch(1024); b.length > 0; b = g.nextBatch(1024)) n += b.length;
      return n;
    });
    if (m.value !== events) throw new Error(`the generator gave ${m.value} events, not ${events}`);
    return { cpuMs: m.cpuMs, wallMs: m.wallMs, maxRssMb: rss() };
  }
  const windowed = WINDOWED[name];
  const file = windowed
    ? path.join(root, 'bench/engine/windowed.sql')
    : path.join(root, `queries/nexmark/${name}.sql`);
  let sql = windowed
    ? windowed.sql(events)
    : fs.readFileSync(file, 'utf8').replaceAll("events = '1000000'", `events = '${events}'`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-nexmark-out-'));
  try {
    // q10's file sink writes under the query's directory: point it at a temporary one instead.
    sql = sql.replace(/path = 'out\/([^']*)'/g, (_, rest: string) => `path = '${path.join(scratch, rest)}'`);
    const m = await runSql(sql, file, { persistence: 'machine' });
    return {
      cpuMs: m.cpuMs,
      wallMs: m.wallMs,
      rowsIn: m.value.eventsIn,
      rowsOut: m.value.rowsOut,
      versions: m.value.versions,
      lateRows: m.value.lateRows,
      maxRssMb: rss(),
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const r = await child(argv[1]!, Number(argv[2]));
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  process.exit(0);
}

const flags = new Map<string, string>();
const positional: string[] = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--in-process') flags.set('in-process', '');
  else if (a.startsWith('--')) flags.set(a.slice(2), argv[++i] ?? '');
  else positional.push(a);
}
const events = Number(positional[0] ?? 10_000_000);
const repeats = Number(positional[1] ?? 1);
const queries = (flags.get('queries') ?? process.env.QUERIES ?? ALL_QUERIES.join(','))
  .split(',')
  .filter(Boolean);
const cutEvents = Number(flags.get('cut-events') ?? 2_000_000);
/** Query → the events it runs on when fewer than `events`: `--cut q7,q15:1000000`. */
const cutTo = new Map(
  (flags.get('cut') ?? '')
    .split(',')
    .filter(Boolean)
    .map((c) => {
      const [q, n] = c.split(':');
      return [q!, n ? Number(n) : cutEvents] as const;
    }),
);
const windowedEvents = Number(flags.get('windowed-events') ?? events);
const timeoutS = Number(flags.get('timeout-s') ?? 1800);
const out = flags.get('out') ?? 'engine-nexmark';
const inProcess = flags.has('in-process');
const self = fileURLToPath(import.meta.url);

interface Run extends Partial<ChildResult> {
  readonly events: number;
  readonly error?: string;
}

/** Runs `--child name events` (or its function, in process); a failure is a result too (its reason kept). */
async function spawnChild(name: string, n: number): Promise<Run> {
  if (inProcess) {
    try {
      return { events: n, ...(await child(name, n)) };
    } catch (e) {
      return { events: n, error: String((e as Error).message ?? e).slice(0, 400) };
    }
  }
  // A larger heap than Node's default (~4 GB here): joins on 10 M events keep every row.
  const node = ['--max-old-space-size=12000', '--import', 'tsx'];
  const r = spawnSync(process.execPath, [...node, self, '--child', name, String(n)], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutS * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status === 0 && line) return { events: n, ...(JSON.parse(line.slice(7)) as ChildResult) };
  // The error's message line, not its stack.
  const lines = (r.stderr ?? '').split('\n').map((l) => l.trim());
  const tail = (
    lines.find((l) => /^\w*(Error|Exception)\b/.test(l)) ??
    lines.filter(Boolean).at(-1) ??
    ''
  ).slice(0, 400);
  const error =
    r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
      ? `still running after ${timeoutS} s (killed)`
      : r.signal
        ? `killed by ${r.signal}${tail ? `: ${tail}` : ''}`
        : tail || `exit code ${r.status}`;
  return { events: n, error };
}

const started = machine();
const t0 = performance.now();
const runs: Record<string, Run[]> = {};
const timedOut = new Map<string, string>();
const record = (name: string, run: Run) => {
  (runs[name] ??= []).push(run);
  const msg = run.error
    ? `FAILED: ${run.error}`
    : `${Math.round(run.events / (run.cpuMs! / 1000))} events per CPU-second, ${(run.wallMs! / 1000).toFixed(1)} s wall, ${run.maxRssMb} MB max RSS`;
  process.stderr.write(
    `[${((performance.now() - t0) / 1000).toFixed(0)} s, load ${os.loadavg()[0]!.toFixed(2)}] ${name} (${run.events} events): ${msg}\n`,
  );
};
// In one process, the first measurement would also pay for compiling the generator: warm it up unmeasured.
if (inProcess) await child('generator', 20_000);
// The generator alone first and last: its spread is the yardstick of how noisy the machine was meanwhile.
record('generator alone', await spawnChild('generator', events));
for (let i = 0; i < repeats; i++) {
  for (const q of queries) {
    const n = cutTo.get(q) ?? events;
    const run = await spawnChild(q, n);
    record(q, run);
    // Out of time or memory on the full size: measure it on the cut size rather than leave it out.
    if (run.error && n > cutEvents) {
      cutTo.set(q, cutEvents);
      timedOut.set(q, run.error);
      runs[q] = [];
      record(q, await spawnChild(q, cutEvents));
    }
  }
  for (const w of Object.keys(WINDOWED)) record(WINDOWED[w]!.label, await spawnChild(w, windowedEvents));
}
record('generator alone', await spawnChild('generator', events));

const summarize = (name: string, xs: Run[]) => {
  const ok = xs.filter((x) => !x.error);
  const flink = FLINK[name];
  const perCpu = ok.length ? Math.round(median(ok.map((x) => x.events / (x.cpuMs! / 1000)))) : null;
  const v2PerCore = flink ? Math.round(flink.v2Throughput / flink.v2Cores) : null;
  return {
    name,
    events: xs[0]!.events,
    cut: cutTo.has(name),
    status: ok.length === xs.length ? 'ok' : ok.length ? 'some runs failed' : 'failed',
    error: xs.find((x) => x.error)?.error,
    cutBecause: timedOut.has(name) ? `${events} events: ${timedOut.get(name)}` : undefined,
    medianEventsPerCpuSec: perCpu,
    medianWallSec: ok.length ? Number((median(ok.map((x) => x.wallMs!)) / 1000).toFixed(1)) : null,
    medianCpuSec: ok.length ? Number((median(ok.map((x) => x.cpuMs!)) / 1000).toFixed(1)) : null,
    cpuPerWall: ok.length ? Number(median(ok.map((x) => x.cpuMs! / x.wallMs!)).toFixed(2)) : null,
    rowsIn: ok[0]?.rowsIn,
    rowsOut: ok[0]?.rowsOut,
    maxRssMb: ok.length ? Math.max(...ok.map((x) => x.maxRssMb!)) : null,
    flinkV1PerCore: flink?.v1PerCore ?? null,
    flinkV2PerCore: v2PerCore,
    ratioToV1: perCpu && flink ? Number((perCpu / flink.v1PerCore).toFixed(2)) : null,
    ratioToV2: perCpu && v2PerCore ? Number((perCpu / v2PerCore).toFixed(2)) : null,
    note: QUERY_NOTES[name],
  };
};
const summary = Object.entries(runs).map(([name, xs]) => summarize(name, xs));
const per = (label: string) => summary.find((s) => s.name === label)?.medianEventsPerCpuSec;
const tumble = per(WINDOWED.tumble!.label);
const hop = per(WINDOWED.hop!.label);
const result = {
  events,
  repeats,
  cut: Object.fromEntries(cutTo),
  cutEvents,
  windowedEvents,
  persistence: 'machine',
  rate: 10_000_000,
  totalWallSec: Math.round((performance.now() - t0) / 1000),
  machine: started,
  machineAtEnd: machine(),
  summary,
  hopCostRelativeToTumble: tumble && hop ? Number((tumble / hop).toFixed(2)) : null,
  runs,
};
if (out.endsWith('.json')) fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
else writeResult(out, result);
console.table(
  summary.map((s) => ({
    name: s.name,
    events: s.events,
    perCpuSec: s.medianEventsPerCpuSec ?? s.status,
    wallSec: s.medianWallSec,
    ratioToV2: s.ratioToV2,
  })),
);
if (tumble && hop)
  console.log(`HOP (size/slide = 100) costs ${(tumble / hop).toFixed(2)}x a TUMBLE of the same size`);
