/**
 * Per-row cost of the aggregate functions and of HOP window assignment.
 *
 *   node --import tsx bench/aggregates/aggregates.ts [rows]     → bench/results/aggregates.json
 *
 * Each case runs the Aggregator (compiled argument function + kernel, as a window or group operator calls it)
 * and, as the baseline in the same run, the same computation hand-written inline in one loop — the floor any
 * aggregate abstraction is measured against. Runs alternate measured/baseline so machine load hits both.
 * HOP assignment compares one pane per row (what a pane-based window aggregate does: `tumbleStart` with the
 * pane size) with assigning every window per row (`hopWindows`, size/slide windows each), and with an
 * inline floor-modulo baseline. Times are CPU time of the process (this machine is shared; wall time is
 * recorded too).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { AggCall, DataType, Span, WindowSpec } from '@darq/parser';
import {
  type Aggregator,
  aggregatorList,
  createAggregator,
  type Row,
} from '../../packages/engine/src/aggregates/index.ts';
import { hopWindows, paneSize, tumbleStart } from '../../packages/engine/src/windows/index.ts';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 7;

const SPAN: Span = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
const BIGINT: DataType = { kind: 'BIGINT' };
const DOUBLE: DataType = { kind: 'DOUBLE' };

function call(fn: string, argType: DataType | null, type: DataType, distinct = false): AggCall {
  return {
    kind: 'AggCall',
    fn,
    args: argType ? [{ kind: 'ColumnRef', index: 0, name: 'x', type: argType, span: SPAN }] : [],
    distinct,
    type,
    name: fn.toLowerCase(),
    span: SPAN,
  };
}

// Rows: [user_id BIGINT (0..9999), amount DOUBLE, ts epoch ms (1 ms apart)]
const rows: Row[] = [];
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
for (let i = 0; i < ROWS; i++) rows.push([Math.floor(rand() * 10_000), rand() * 100, 1_700_000_000_000 + i]);

const userId = (r: Row) => r[0];
const amount = (r: Row) => r[1];

function viaAggregator(agg: Aggregator): () => unknown {
  return () => {
    let acc = agg.init();
    for (let i = 0; i < rows.length; i++) acc = agg.add(acc, rows[i]!);
    return agg.result(acc);
  };
}

interface Case {
  name: string;
  measured: () => unknown;
  baseline: () => unknown;
}

const aggCase = (
  name: string,
  fn: string,
  argType: DataType | null,
  type: DataType,
  arg: ((r: Row) => unknown) | null,
  baseline: () => unknown,
  options: { distinct?: boolean; retractable?: boolean } = {},
): Case => ({
  name,
  measured: viaAggregator(
    createAggregator(call(fn, argType, type, options.distinct), arg ? [arg] : [], undefined, undefined, {
      retractable: options.retractable ?? false,
    }),
  ),
  baseline,
});

const cases: Case[] = [
  aggCase('COUNT(*)', 'COUNT', null, BIGINT, null, () => {
    let n = 0;
    for (let i = 0; i < rows.length; i++) if (rows[i]) n++;
    return n;
  }),
  aggCase('SUM(BIGINT)', 'SUM', BIGINT, BIGINT, userId, () => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![0] as number | null;
      if (v !== null) {
        s += v;
        n++;
      }
    }
    return n === 0 ? null : s;
  }),
  aggCase('SUM(DOUBLE) compensated', 'SUM', DOUBLE, DOUBLE, amount, () => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![1] as number | null;
      if (v !== null) {
        s += v;
        n++;
      }
    }
    return n === 0 ? null : s;
  }),
  aggCase('AVG(DOUBLE)', 'AVG', DOUBLE, DOUBLE, amount, () => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![1] as number | null;
      if (v !== null) {
        s += v;
        n++;
      }
    }
    return n === 0 ? null : s / n;
  }),
  aggCase('MIN(BIGINT)', 'MIN', BIGINT, BIGINT, userId, () => {
    let m: number | null = null;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![0] as number | null;
      if (v !== null && (m === null || v < m)) m = v;
    }
    return m;
  }),
  aggCase('MAX(DOUBLE)', 'MAX', DOUBLE, DOUBLE, amount, () => {
    let m: number | null = null;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![1] as number | null;
      if (v !== null && (m === null || v > m)) m = v;
    }
    return m;
  }),
  aggCase(
    'MIN(BIGINT) retractable (multiset)',
    'MIN',
    BIGINT,
    BIGINT,
    userId,
    () => {
      let m: number | null = null;
      for (let i = 0; i < rows.length; i++) {
        const v = rows[i]![0] as number | null;
        if (v !== null && (m === null || v < m)) m = v;
      }
      return m;
    },
    { retractable: true },
  ),
  aggCase(
    'COUNT(DISTINCT BIGINT)',
    'COUNT',
    BIGINT,
    BIGINT,
    userId,
    () => {
      const seen = new Set<number>();
      for (let i = 0; i < rows.length; i++) seen.add(rows[i]![0] as number);
      return seen.size;
    },
    { distinct: true },
  ),
];

// What a window operator does per row: several aggregates of one group, through one call site.
const four = [
  createAggregator(call('COUNT', null, BIGINT), []),
  createAggregator(call('SUM', BIGINT, BIGINT), [userId]),
  createAggregator(call('MAX', DOUBLE, DOUBLE), [amount]),
  createAggregator(call('AVG', DOUBLE, DOUBLE), [amount]),
];
cases.push({
  name: 'COUNT(*) + SUM + MAX + AVG per row, one operator loop',
  measured: () => {
    const accs = four.map((a) => a.init());
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      for (let j = 0; j < four.length; j++) accs[j] = four[j]!.add(accs[j], row);
    }
    return four.map((a, j) => a.result(accs[j]));
  },
  baseline: () => {
    let n = 0;
    let s = 0;
    let sn = 0;
    let m: number | null = null;
    let a = 0;
    let an = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      n++;
      const u = row[0] as number | null;
      if (u !== null) {
        s += u;
        sn++;
      }
      const v = row[1] as number | null;
      if (v !== null) {
        if (m === null || v > m) m = v;
        a += v;
        an++;
      }
    }
    return [n, sn === 0 ? null : s, m, an === 0 ? null : a / an];
  },
});

const fourList = aggregatorList(four);
cases.push({
  name: 'COUNT(*) + SUM + MAX + AVG per row through aggregatorList',
  measured: () => {
    const accs = fourList.init();
    for (let i = 0; i < rows.length; i++) fourList.add(accs, rows[i]!);
    return fourList.results(accs);
  },
  baseline: cases.at(-1)!.baseline,
});

// HOP 1 s slide, 10 s size: pane = 1 s.
const hop: WindowSpec = { kind: 'HOP', timeColumn: 2, slideMs: 1_000, sizeMs: 10_000 };
const pane = paneSize(hop);
cases.push(
  {
    name: 'HOP 1s/10s: pane per row (tumbleStart with the pane size)',
    measured: () => {
      let x = 0;
      for (let i = 0; i < rows.length; i++) x += tumbleStart(rows[i]![2] as number, pane, 0);
      return x;
    },
    baseline: () => {
      let x = 0;
      for (let i = 0; i < rows.length; i++) {
        const t = rows[i]![2] as number;
        const r = t % pane;
        x += t - (r < 0 ? r + pane : r);
      }
      return x;
    },
  },
  {
    name: 'HOP 1s/10s: every window per row (hopWindows), baseline = pane per row inline',
    measured: () => {
      let x = 0;
      for (let i = 0; i < rows.length; i++) x += hopWindows(rows[i]![2] as number, 1_000, 10_000).length;
      return x;
    },
    baseline: () => {
      let x = 0;
      for (let i = 0; i < rows.length; i++) {
        const t = rows[i]![2] as number;
        const r = t % pane;
        x += t - (r < 0 ? r + pane : r);
      }
      return x;
    },
  },
);

/**
 * Milliseconds of CPU time (user + system) of this process spent in f: on a machine shared with other jobs
 * wall time mostly measures waiting for a core, CPU time measures the work.
 */
function time(f: () => unknown): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function wall(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const nsPerRow = (ms: number) => Math.round((ms * 1e6 * 100) / ROWS) / 100;

const results = cases.map((c) => {
  if (JSON.stringify(c.measured()) === undefined) throw new Error(`${c.name}: no result`);
  c.baseline();
  const m: number[] = [];
  const b: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    m.push(time(c.measured));
    b.push(time(c.baseline));
  }
  for (let i = 0; i < 3; i++) w.push(wall(c.measured));
  const r = {
    case: c.name,
    nsPerRow: nsPerRow(median(m)),
    baselineNsPerRow: nsPerRow(median(b)),
    ratio: Math.round((median(m) / median(b)) * 100) / 100,
    wallNsPerRow: nsPerRow(median(w)),
    allMs: m.map((v) => Math.round(v)),
    baselineAllMs: b.map((v) => Math.round(v)),
  };
  console.log(
    `${c.name.padEnd(80)} ${String(r.nsPerRow).padStart(8)} ns/row  baseline ${r.baselineNsPerRow} ns/row`,
  );
  return r;
});

const out = {
  benchmark: 'aggregates: per-row cost of Aggregator.add and HOP assignment vs hand-written inline loops',
  timing:
    'nsPerRow/baselineNsPerRow: median CPU time (user+system) per row over the runs; wallNsPerRow: wall clock',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadAverage: (await import('node:os')).loadavg().map((v) => Math.round(v * 100) / 100),
  rows: ROWS,
  runs: RUNS,
  results,
};
writeFileSync(new URL('../results/aggregates.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
