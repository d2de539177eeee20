/**
 * Issue 5 latency figures over a chain of worker processes (see chain-worker.ts for one process).
 *
 *   node --import tsx bench/dpr/chain.ts depth [--hops 1,2,4,8,16] [--seconds 3]   → bench/results/dpr-depth.json
 *   node --import tsx bench/dpr/chain.ts slow  [--delays 0,5,10,20,40] [--hops 4] → bench/results/dpr-slow-storage.json
 *
 * depth: p0 → … → pH over min(H+1, 4) processes, one record per millisecond from p0; at pH the latency when
 * the record is taken in (the processor sees it) and when it is committed (the cut covers its entry), for
 * speculative and non-speculative DPR with machine persistence, beside the floor (bare Node forwarding over
 * loopback TCP, no durability) — each hop count runs floor, speculative, non-speculative back to back.
 * slow: the same chain at a fixed depth with a simulated storage delay (Worker `persistDelayMs`).
 */
import { loadavg } from 'node:os';
import type { Finder } from '@darq/darq-core';
import type { ChainConfig } from './chain-worker.ts';
import {
  Child,
  machine,
  now,
  percentiles as pct,
  scratch,
  sleep,
  startFinder,
  writeDprResult,
} from './common.ts';

type Mode = 'floor' | 'speculative' | 'non-speculative';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}
const list = (s: string) => s.split(',').map(Number);

const WORKERS = 4;
const SECONDS = Number(arg('seconds', '3'));
const WARMUP = Number(arg('warmup', '0.7'));
const PERIOD_MS = 1;
const COMMIT_MS = list(arg('commit-ms', '0'));
const MODES = arg('modes', 'floor,speculative,non-speculative').split(',') as Mode[];
const SYNC_IN_BACKGROUND = arg('sync', 'background') === 'background';

interface RunResult {
  readonly mode: Mode;
  readonly hops: number;
  readonly processes: number;
  readonly persistDelayMs: number;
  readonly commitMs: number;
  readonly sent: number;
  readonly takenIn: ReturnType<typeof pct>;
  readonly committed: ReturnType<typeof pct>;
  readonly sourceRecords: number;
  readonly cpuMsPerProcess: number[];
  /** Recovery rounds each worker went through (1 = only the first, which moves it into world-line 1). */
  readonly recoveriesPerProcess: number[];
  readonly sourceRestarts: number;
  readonly loadAverage1m: number;
  readonly stats: unknown;
}

async function run(mode: Mode, hops: number, persistDelayMs = 0, commitMs = 0): Promise<RunResult> {
  const W = Math.min(hops + 1, WORKERS);
  const dir = scratch('dpr-chain');
  let finder: Finder | undefined;
  if (mode !== 'floor') {
    finder = await startFinder(
      dir,
      Array.from({ length: W }, (_, k) => `w${k}`),
    );
  }
  const children: Child[] = [];
  for (let k = 0; k < W; k++) {
    const cfg: ChainConfig = {
      mode: mode === 'floor' ? 'floor' : 'darq',
      index: k,
      workers: W,
      hops,
      speculative: mode === 'speculative',
      dir,
      finderPort: finder?.port ?? 0,
      persistDelayMs,
      syncInBackground: SYNC_IN_BACKGROUND,
      periodMs: PERIOD_MS,
      commitMs,
    };
    children.push(new Child('./chain-worker.ts', cfg));
  }
  try {
    const ports = (await Promise.all(children.map((c) => c.next('listening')))).map((m) => m.port as number);
    for (const c of children) c.send({ t: 'peers', ports });
    await Promise.all(children.map((c) => c.next('ready')));
    await sleep(100);
    const t0 = now();
    const from = t0 + WARMUP * 1000;
    const to = from + SECONDS * 1000;
    for (const c of children) c.send({ t: 'start' });
    await sleep((WARMUP + SECONDS) * 1000);
    for (const c of children) c.send({ t: 'stop' });
    // Let the last records reach pH and its cut (non-speculative hops each wait for a commit).
    await sleep(mode === 'floor' ? 100 : Math.max(600, hops * (persistDelayMs + 15) * 2));
    for (const c of children) c.send({ t: 'cpu' });
    const cpus = await Promise.all(children.map((c) => c.next('cpu')));
    const last = children[hops % W] as Child;
    last.send({ t: 'collect' });
    const m = await last.next('samples');
    const inWindow = (xs: Array<[number, number]>) =>
      xs.filter(([stamp]) => stamp >= from && stamp < to).map(([, ms]) => ms);
    const takenIn = inWindow(m.takenIn as Array<[number, number]>);
    const committed = inWindow(m.committed as Array<[number, number]>);
    const r: RunResult = {
      mode,
      hops,
      processes: W,
      persistDelayMs,
      commitMs,
      sent: Math.round((SECONDS * 1000) / PERIOD_MS),
      takenIn: pct(takenIn),
      committed: pct(committed),
      sourceRecords: cpus[0]?.sent as number,
      cpuMsPerProcess: cpus.map((c) => Math.round(c.cpuMs as number)),
      recoveriesPerProcess: cpus.map((c) => (c.recoveries as number | undefined) ?? 0),
      sourceRestarts: (cpus[0]?.sourceRestarts as number | undefined) ?? 0,
      loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
      stats: m.stats,
    };
    console.log(
      `${mode.padEnd(16)} commit ${commitMs} hops ${String(hops).padStart(2)} delay ${String(persistDelayMs).padStart(2)} ms: ` +
        `taken in p50 ${r.takenIn.p50Ms.toFixed(3)} p99 ${r.takenIn.p99Ms.toFixed(3)} (n ${r.takenIn.n}) | ` +
        `committed p50 ${r.committed.p50Ms.toFixed(3)} p99 ${r.committed.p99Ms.toFixed(3)} (n ${r.committed.n}) | cpu ms ${r.cpuMsPerProcess.join(' ')} load ${r.loadAverage1m}`,
    );
    return r;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await finder?.close();
  }
}

const what = process.argv[2] ?? 'depth';
const started = now();
if (what === 'depth') {
  const hopsList = list(arg('hops', '1,2,4,8,16'));
  const runs: RunResult[] = [];
  for (const hops of hopsList) {
    for (const mode of MODES) {
      if (mode === 'floor') runs.push(await run(mode, hops));
      else for (const c of COMMIT_MS) runs.push(await run(mode, hops, 0, c));
    }
  }
  const byHops = hopsList
    .flatMap((hops) => COMMIT_MS.map((commitMs) => ({ hops, commitMs })))
    .map(({ hops, commitMs }) => {
      const get = (mode: Mode) =>
        runs.find(
          (r) => r.hops === hops && r.mode === mode && (mode === 'floor' || r.commitMs === commitMs),
        ) as RunResult;
      const floor = get('floor');
      const spec = get('speculative');
      const nonspec = get('non-speculative');
      return {
        hops,
        commitMs,
        floorP50Ms: floor.takenIn.p50Ms,
        floorP99Ms: floor.takenIn.p99Ms,
        speculativeTakenInP50Ms: spec.takenIn.p50Ms,
        speculativeTakenInP99Ms: spec.takenIn.p99Ms,
        speculativeCommittedP50Ms: spec.committed.p50Ms,
        speculativeCommittedP99Ms: spec.committed.p99Ms,
        nonSpeculativeTakenInP50Ms: nonspec.takenIn.p50Ms,
        nonSpeculativeTakenInP99Ms: nonspec.takenIn.p99Ms,
        nonSpeculativeCommittedP50Ms: nonspec.committed.p50Ms,
        nonSpeculativeCommittedP99Ms: nonspec.committed.p99Ms,
        speculativeP99OverFloorP99: Number((spec.takenIn.p99Ms / floor.takenIn.p99Ms).toFixed(2)),
        goalSpeculativeP50Met: spec.takenIn.p50Ms <= 1,
        goalSpeculativeP99Met: spec.takenIn.p99Ms <= 1.5 * floor.takenIn.p99Ms,
      };
    });
  writeDprResult('depth', {
    benchmark:
      'DPR chain depth: p0 -> ... -> pH, participant i on worker process i % 4 (min(H+1,4) processes), one record per ms; latency at pH when taken in and when committed',
    ...machine(),
    persistence: 'machine',
    syncInBackground: SYNC_IN_BACKGROUND,
    commitPolicy:
      'commitMs 0: group commit right after each turn that stepped, plus every 1 ms for transport writes; commitMs N: a commit every N ms only',
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    periodMs: PERIOD_MS,
    goal: 'speculative taken-in p50 <= 1 ms and p99 <= 1.5x the floor p99 (DARQ paper 16 hops: 20.9 ms speculative, 249 ms not)',
    noise:
      '2 shared cores: 4 worker processes + the driver/finder on 2 vCPUs used by other engineers too; compare within a row',
    summary: byHops,
    runs,
    wallSeconds: Number(((now() - started) / 1000).toFixed(1)),
  });
} else if (what === 'slow') {
  const hops = Number(arg('hops', '4'));
  const delays = list(arg('delays', '0,5,10,20,40'));
  const runs: RunResult[] = [];
  runs.push(await run('floor', hops));
  for (const d of delays) {
    for (const mode of ['speculative', 'non-speculative'] as const)
      runs.push(await run(mode, hops, d, COMMIT_MS[0]));
  }
  const floor = runs[0] as RunResult;
  const summary = delays.map((d) => {
    const get = (mode: Mode) => runs.find((r) => r.persistDelayMs === d && r.mode === mode) as RunResult;
    const spec = get('speculative');
    const nonspec = get('non-speculative');
    return {
      persistDelayMs: d,
      speculativeTakenInP50Ms: spec.takenIn.p50Ms,
      speculativeTakenInP99Ms: spec.takenIn.p99Ms,
      speculativeCommittedP50Ms: spec.committed.p50Ms,
      nonSpeculativeTakenInP50Ms: nonspec.takenIn.p50Ms,
      nonSpeculativeTakenInP99Ms: nonspec.takenIn.p99Ms,
      nonSpeculativeCommittedP50Ms: nonspec.committed.p50Ms,
    };
  });
  writeDprResult('slow-storage', {
    benchmark: `DPR under slow storage: the ${hops}-hop chain with each version reported durable persistDelayMs late (Worker persistDelayMs, on top of the real fsync)`,
    ...machine(),
    persistence: 'machine',
    syncInBackground: SYNC_IN_BACKGROUND,
    hops,
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    periodMs: PERIOD_MS,
    goal: 'speculative latency (taken in) stays flat as storage slows; non-speculative grows with the delay (paper: ~0.2 ms vs 13.6 -> 61.9 ms for 5 -> 40 ms)',
    noise: '2 shared cores; compare within the run',
    floorTakenIn: floor.takenIn,
    summary,
    runs,
    wallSeconds: Number(((now() - started) / 1000).toFixed(1)),
  });
} else {
  console.error(`unknown benchmark '${what}': use depth or slow`);
  process.exit(2);
}
