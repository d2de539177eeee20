/**
 * Real-time replay of the search trace into `darq run` (a separate process, as a user runs it: the trace
 * piped to standard input) and the latency of every window: the wall time the detector's row for a window
 * reaches standard output — the stdout sink releases only committed rows — minus the wall time at which the
 * window's largest event timestamp was due. Event time maps to wall time as `t0 + (ts − trace start)`, so a
 * producer that falls behind (or a darq that does not read its input) shows up as latency too.
 *
 * A multi-worker run can instead lose one worker process at `workerKillAtMs`: darq (started with the hidden
 * `--chaos-target W`) SIGKILLs worker W when it gets SIGUSR2, and its supervisor restarts it; the producer goes on.
 *
 * A kill-and-restart run SIGKILLs darq at `killAtMs` and starts it again over the same state directory; as a
 * replayable broker would, the producer re-sends the stream from its first event (darq skips what it had
 * committed) and then continues in real time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REGION_IPS, SearchTraceGenerator, type SearchTraceOptions } from '@darq/engine';

export const LIVE_SQL = path.join(import.meta.dirname, 'search-trends-live.sql');

export interface LiveRun {
  /** Trace options (rate, seconds, seed, trend parameters). */
  readonly trace: SearchTraceOptions & { seconds: number };
  /** The darq command: argv after `node`. */
  readonly darq: readonly string[];
  /** Extra `darq run` flags: persistence, checkpoint interval, future modes. */
  readonly flags: readonly string[];
  readonly stateDir: string;
  /** SIGKILL darq this many ms after the trace started, then restart it. */
  readonly killAtMs?: number;
  /** Send darq SIGUSR2 this many ms after the trace started (with `--chaos-target W`: worker W is killed). */
  readonly workerKillAtMs?: number;
  /** Wait this long after darq is up before the trace starts. */
  readonly settleMs?: number;
  /** The `--tentative` file darq writes: each window's row is timed when it first appears there too. */
  readonly tentativePath?: string;
}

export interface LatencySample {
  /** ms since the trace started (wall) when the row arrived. */
  readonly atMs: number;
  readonly latencyMs: number;
  readonly windowStart: number;
}

export interface LiveResult {
  readonly events: number;
  readonly elapsedMs: number;
  readonly samples: LatencySample[];
  /** First tentative sighting of each window's row (runs with `tentativePath`). */
  readonly tentativeSamples: LatencySample[];
  /** Bytes darq wrote to storage (/proc/<pid>/io write_bytes, summed over restarts). */
  readonly bytesWritten: number;
  /** Largest delay of the producer behind the trace's schedule (its own lateness, included in latency). */
  readonly producerLagMaxMs: number;
  readonly startupMs: number;
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly restartedAtMs?: number;
}

const NAP_MS = 0.25;
const napCell = new Int32Array(new SharedArrayBuffer(4));

const line = (term: string, user: number, ip: string, ts: number) =>
  `{"term":"${term}","user_id":${user},"ip":"${ip}","ts":${ts}}\n`;

function writeBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /write_bytes: (\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export async function runLive(run: LiveRun): Promise<LiveResult> {
  const startMs = run.trace.startMs ?? 1700000000000;
  const trace = { ...run.trace, startMs };
  // Two warm-up searches before the trace: the first window's row tells that darq is up and reading.
  const warmup =
    line(`fever${'w'.repeat(75)}`, 1, REGION_IPS[0]!, startMs - 2000) +
    line(`fever${'w'.repeat(75)}`, 1, REGION_IPS[0]!, startMs - 1000);
  const windowMax = new Map<number, number>();
  const seen = new Set<string>();
  const samples: LatencySample[] = [];
  const tentativeSamples: LatencySample[] = [];
  const seenTentative = new Set<string>();
  let stderr = '';
  let bytesBefore = 0;
  let bytesNow = 0;
  let t0 = Number.POSITIVE_INFINITY;
  let ready: (() => void) | undefined;
  let child!: ChildProcess;
  let exited!: Promise<number | null>;

  const start = () => {
    const c = spawn(process.execPath, [...run.darq, 'run', LIVE_SQL, '--state', run.stateDir, ...run.flags], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let carry = '';
    c.stdout!.setEncoding('utf8');
    c.stdout!.on('data', (chunk: string) => {
      const now = performance.now();
      const lines = (carry + chunk).split('\n');
      carry = lines.pop()!;
      for (const l of lines) {
        if (!l) continue;
        const row = JSON.parse(l) as { region: number; window_start: string };
        const ws = Date.parse(`${row.window_start}Z`);
        if (ws < startMs) {
          ready?.();
          continue;
        }
        const key = `${row.region}@${ws}`;
        if (seen.has(key)) continue; // a restarted run re-emits nothing committed, but be safe
        seen.add(key);
        const max = windowMax.get(ws);
        if (max === undefined) continue;
        samples.push({ atMs: now - t0, latencyMs: now - (t0 + (max - startMs)), windowStart: ws });
      }
    });
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (s: string) => {
      stderr = (stderr + s).slice(-4000);
    });
    c.stdin!.on('error', () => {}); // EPIPE when darq dies: the run's exit code tells
    const poll = setInterval(() => {
      const b = writeBytes(c.pid);
      if (b > 0) bytesNow = b;
    }, 100);
    exited = new Promise((resolve) =>
      c.on('exit', (code) => {
        clearInterval(poll);
        resolve(code);
      }),
    );
    child = c;
    return c;
  };

  // The tentative file: read as it grows, on every inotify event and on every producer turn.
  let tentFd: number | undefined;
  let tentCarry = '';
  const tentBuf = Buffer.allocUnsafe(1 << 20);
  let tentWatch: fs.FSWatcher | undefined;
  const readTentative = () => {
    if (!run.tentativePath) return;
    if (tentFd === undefined) {
      try {
        tentFd = fs.openSync(run.tentativePath, 'r');
        tentWatch = fs.watch(run.tentativePath, readTentative);
      } catch {
        return; // not created yet
      }
    }
    const now = performance.now();
    for (;;) {
      const n = fs.readSync(tentFd, tentBuf, 0, tentBuf.length, null);
      if (n <= 0) break;
      const lines = (tentCarry + tentBuf.toString('utf8', 0, n)).split('\n');
      tentCarry = lines.pop()!;
      for (const l of lines) {
        if (!l.startsWith('{"row"')) continue;
        const row = (JSON.parse(l) as { row: { region: number; window_start: string } }).row;
        const ws = Date.parse(`${row.window_start}Z`);
        const key = `${row.region}@${ws}`;
        const max = windowMax.get(ws);
        if (ws < startMs || max === undefined || seenTentative.has(key)) continue;
        seenTentative.add(key);
        tentativeSamples.push({ atMs: now - t0, latencyMs: now - (t0 + (max - startMs)), windowStart: ws });
      }
    }
  };

  // Start darq and wait until it has read the warm-up.
  const s0 = performance.now();
  start();
  const isReady = new Promise<void>((r) => (ready = r));
  child.stdin!.write(warmup);
  const up = await Promise.race([isReady.then(() => true), exited.then(() => false)]);
  if (!up)
    throw new Error(`darq exited before reading its input (stdin): ${stderr.trim() || '(no message)'}`);
  ready = undefined;
  const startupMs = performance.now() - s0;
  // A multi-worker run starts its warm spares once every worker is up: let them load before the trace, so
  // that the figures are the steady state, not four Node start-ups sharing the cores with the first seconds.
  if (run.settleMs) await new Promise((r) => setTimeout(r, run.settleMs));

  let gen = new SearchTraceGenerator(trace);
  let cols = gen.fillColumns(8192);
  let idx = 0;
  let sent = 0;
  let lagMax = 0;
  let restartedAtMs: number | undefined;
  let killed = false;
  t0 = performance.now() + 2;

  await new Promise<void>((finish) => {
    const pump = () => {
      if (!killed && run.workerKillAtMs !== undefined && performance.now() - t0 >= run.workerKillAtMs) {
        killed = true;
        restartedAtMs = performance.now() - t0;
        child.kill('SIGUSR2');
      }
      if (!killed && run.killAtMs !== undefined && performance.now() - t0 >= run.killAtMs) {
        killed = true;
        restartedAtMs = performance.now() - t0;
        const old = child;
        bytesBefore += bytesNow;
        bytesNow = 0;
        old.kill('SIGKILL');
        void exited.then(() => {
          // The broker replays from the start; darq skips the events its last commit had consumed.
          start();
          child.stdin!.write(warmup);
          gen = new SearchTraceGenerator(trace);
          cols = gen.fillColumns(8192);
          idx = 0;
          setImmediate(pump);
        });
        return;
      }
      readTentative();
      const now = performance.now();
      const horizon = startMs + (now - t0);
      let text = '';
      let first = true;
      const pool = cols.pool;
      const len = cols.termLength;
      for (;;) {
        if (idx >= cols.n) {
          cols = gen.fillColumns(8192);
          idx = 0;
          if (cols.n === 0) break;
        }
        const ts = cols.ts[idx]!;
        if (ts > horizon) break;
        if (first) {
          lagMax = Math.max(lagMax, now - (t0 + (ts - startMs)));
          first = false;
        }
        windowMax.set(ts - (ts % 500), ts);
        const at = cols.termAt[idx]!;
        text += line(pool.substring(at, at + len), cols.userId[idx]!, REGION_IPS[cols.region[idx]!]!, ts);
        idx++;
        if (gen.position - cols.n + idx > sent) sent = gen.position - cols.n + idx;
        if (text.length > 1 << 20) {
          child.stdin!.write(text);
          text = '';
        }
      }
      if (text) child.stdin!.write(text);
      if (cols.n === 0) {
        child.stdin!.end();
        finish();
        return;
      }
      const next = () => {
        const delay = t0 + (cols.ts[idx]! - startMs) - performance.now();
        // Node's timers are millisecond-coarse: a timer only when the next event is well ahead; closer, a short
        // blocking nap (so the producer does not spin a whole core of this 2-core machine) and then a turn of the
        // event loop, which reads darq's output: arrival times are accurate to about NAP_MS.
        if (delay > 3) setTimeout(pump, delay - 2);
        else {
          if (delay > 0.05) Atomics.wait(napCell, 0, 0, Math.min(delay, NAP_MS));
          setImmediate(pump);
        }
      };
      if (child.stdin!.writableLength > 32 << 20) child.stdin!.once('drain', next);
      else next();
    };
    pump();
  });
  const exitCode = await exited;
  const elapsedMs = performance.now() - t0;
  readTentative();
  tentWatch?.close();
  if (tentFd !== undefined) fs.closeSync(tentFd);
  return {
    events: sent,
    elapsedMs,
    samples,
    tentativeSamples,
    bytesWritten: bytesBefore + bytesNow,
    producerLagMaxMs: lagMax,
    startupMs,
    exitCode,
    stderr,
    ...(restartedAtMs !== undefined ? { restartedAtMs } : {}),
  };
}

/** p-quantile (0..1) of a sorted array, nearest rank. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
