/**
 * Issue 5 overhead figure: what dependency tracking costs in throughput without failures. Two worker
 * processes, a source sending entries of 1024 records to a sink as fast as an outbox window allows; with
 * DPR (undo records, DprClient, speculative transport, the finder in this process) vs without (no undo,
 * plain transport), alternating, 3 runs each, medians.
 *
 *   node --import tsx bench/dpr/overhead.ts [--runs 3] [--seconds 4]   → bench/results/dpr-overhead.json
 */
import { loadavg } from 'node:os';
import type { Finder } from '@darq/darq-core';
import { Child, machine, median, now, scratch, sleep, startFinder, writeDprResult } from './common.ts';
import type { OverheadConfig } from './overhead-worker.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}
const RUNS = Number(arg('runs', '3'));
const SECONDS = Number(arg('seconds', '4'));
const WARMUP = Number(arg('warmup', '1'));
const RECORDS_PER_ENTRY = 1024;
const WINDOW = 64;

interface Run {
  readonly mode: 'dpr' | 'plain';
  readonly recordsPerSecond: number;
  readonly cpuMsPerProcess: number[];
  readonly recordsPerCpuSecond: number;
  readonly commits: number[];
  readonly loadAverage1m: number;
}

async function run(mode: 'dpr' | 'plain'): Promise<Run> {
  const dir = scratch('dpr-overhead');
  let finder: Finder | undefined;
  if (mode === 'dpr') finder = await startFinder(dir, ['w0', 'w1']);
  const children = ([0, 1] as const).map((index) => {
    const cfg: OverheadConfig = {
      mode,
      index,
      dir,
      finderPort: finder?.port ?? 0,
      recordsPerEntry: RECORDS_PER_ENTRY,
      window: WINDOW,
    };
    return new Child('./overhead-worker.ts', cfg);
  });
  try {
    const ports = (await Promise.all(children.map((c) => c.next('listening')))).map((m) => m.port as number);
    for (const c of children) c.send({ t: 'peers', ports });
    await Promise.all(children.map((c) => c.next('ready')));
    for (const c of children) c.send({ t: 'start' });
    await sleep(WARMUP * 1000);
    const sink = children[1] as Child;
    sink.send({ t: 'count' });
    const a = await sink.next('count');
    await sleep(SECONDS * 1000);
    for (const c of children) c.send({ t: 'count' });
    const [src, b] = await Promise.all(children.map((c) => c.next('count')));
    const secs = ((b?.at as number) - (a.at as number)) / 1000;
    const recs = (b?.records as number) - (a.records as number);
    const cpu = [src?.cpuMs as number, b?.cpuMs as number] as const;
    const r: Run = {
      mode,
      recordsPerSecond: Math.round(recs / secs),
      cpuMsPerProcess: cpu.map(Math.round),
      // CPU of both processes over the whole run (warm-up included) per record the sink took in.
      recordsPerCpuSecond: Math.round((b?.records as number) / ((cpu[0] + cpu[1]) / 1000)),
      commits: [src?.commits as number, b?.commits as number],
      loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
    };
    console.log(
      `${mode.padEnd(6)} ${String(r.recordsPerSecond).padStart(9)} records/s  ` +
        `${r.recordsPerCpuSecond} records/CPU-s  cpu ms ${r.cpuMsPerProcess.join(' ')}  load ${r.loadAverage1m}`,
    );
    return r;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await finder?.close();
  }
}

const started = now();
const runs: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  runs.push(await run('dpr'));
  runs.push(await run('plain'));
}
const med = (mode: string, f: (r: Run) => number) => median(runs.filter((r) => r.mode === mode).map(f));
const dprRate = med('dpr', (r) => r.recordsPerSecond);
const plainRate = med('plain', (r) => r.recordsPerSecond);
const dprPerCpu = med('dpr', (r) => r.recordsPerCpuSecond);
const plainPerCpu = med('plain', (r) => r.recordsPerCpuSecond);
writeDprResult('overhead', {
  benchmark:
    'DPR overhead: 2 worker processes, source -> sink, entries of 1024 records as fast as a 64-entry outbox window allows; dependency tracking + speculative transport vs plain transport without undo',
  ...machine(),
  persistence: 'machine (fsync in the background)',
  commitPolicy: 'group commit after each turn that stepped, plus every 1 ms',
  runsPerMode: RUNS,
  seconds: SECONDS,
  warmupSeconds: WARMUP,
  medianRecordsPerSecond: { dpr: dprRate, plain: plainRate },
  medianRecordsPerCpuSecond: { dpr: dprPerCpu, plain: plainPerCpu },
  throughputCostPercent: Number((100 * (1 - dprRate / plainRate)).toFixed(1)),
  cpuCostPercent: Number((100 * (1 - dprPerCpu / plainPerCpu)).toFixed(1)),
  goal: 'dependency tracking costs <= 10 % throughput without failures',
  noise:
    '2 shared cores used by other engineers too: modes alternate, medians of the runs; see loadAverage1m per run',
  runs,
  wallSeconds: Number(((now() - started) / 1000).toFixed(1)),
});
