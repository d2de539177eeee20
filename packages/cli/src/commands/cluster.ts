import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import type { ClusterSpec, LineStart, RunSummary, WorkerEvent } from '@darq/engine';
import type { Program } from '@darq/parser';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from '../errors.ts';
import type { ClusterMetrics } from '../metrics.ts';
import { summaryLine } from '../render/summary.ts';
import { StdinFeed } from '../stdin-feed.ts';
import { WorkerCounts } from '../worker-counts.ts';
import { buildJob, type Io, intFlag, type RunFlags } from './run.ts';

/** Hidden flags of the coordinator, for the chaos harness and benchmarks. */
export interface ChaosFlags {
  /** "MIN:MAX[:SEED]": SIGKILL a random process (a worker or the finder) every MIN..MAX ms. */
  chaos?: string;
  /** Stop killing after this many kills. */
  chaosKills?: string;
  /** Write what happened (kills, recovery times) as JSON here. */
  chaosReport?: string;
  /** Kill only this process (a worker's name, or `finder`); SIGUSR2 to the supervisor kills it at once. */
  chaosTarget?: string;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', os.hostname()]);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The cluster of a `--workers N` run: kept in the state dir so a resumed run finds the same workers. */
async function localSpec(stateDir: string, workers: number): Promise<ClusterSpec> {
  const file = path.join(stateDir, 'cluster.json');
  let secret = randomBytes(32).toString('hex');
  if (fs.existsSync(file)) {
    const old = JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterSpec;
    if (old.workers.length !== workers) {
      throw new CliError(
        EXIT_USAGE,
        `state dir ${stateDir} holds a run on ${old.workers.length} workers; resume it with --workers ${old.workers.length}, or use a fresh --state dir`,
      );
    }
    secret = old.secret;
  }
  const spec: ClusterSpec = {
    secret,
    finder: { host: '127.0.0.1', port: await freePort() },
    workers: await Promise.all(
      Array.from({ length: workers }, async (_, i) => ({
        id: `w${i}`,
        host: '127.0.0.1',
        port: await freePort(),
      })),
    ),
  };
  fs.writeFileSync(file, JSON.stringify(spec, null, 2), { mode: 0o600 });
  return spec;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

interface Kill {
  target: string;
  at: number;
  worldLineBefore: number;
  recoveredMs?: number;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * `darq run q.sql --workers N` (or `--cluster FILE`): plans the query once to check it, then supervises one
 * process per worker and one for the finder, restarting any that dies, until every worker has finished and
 * its output is committed.
 */
export async function runCluster(
  file: string,
  flags: RunFlags & ChaosFlags,
  io: Io,
  workers: number,
): Promise<RunSummary> {
  // The port is bound before anything else: when it is in use, the run stops before it touches the state dir
  // or starts a process.
  const port = intFlag(flags.metricsPort, '--metrics-port', 1);
  const metrics =
    port === undefined ? undefined : await (await import('../metrics.ts')).ClusterMetrics.start(port);
  try {
    return await supervise(file, flags, io, workers, metrics);
  } finally {
    await metrics?.close();
  }
}

async function supervise(
  file: string,
  flags: RunFlags & ChaosFlags,
  io: Io,
  workers: number,
  metrics: ClusterMetrics | undefined,
): Promise<RunSummary> {
  const temporaryState = flags.state === undefined;
  const stateDir = path.resolve(flags.state ?? fs.mkdtempSync(path.join(os.tmpdir(), 'darq-state-')));
  fs.mkdirSync(stateDir, { recursive: true });
  // Plan here first: a bad query or flag fails before any process starts (and the output is discarded).
  const job = await buildJob(file, flags, io, stateDir, () => {});
  // Workers and spares plan from the compiled program: they skip building the SQL parser (≈0.5 s each).
  const programFile = path.join(stateDir, 'program.json');
  fs.writeFileSync(programFile, JSON.stringify(job.program));
  if (flags.verbose) io.stderr(`${job.explainStages()}\n`);
  let spec: ClusterSpec;
  let specFile: string;
  if (flags.cluster !== undefined) {
    const { readClusterSpec } = await import('@darq/engine');
    specFile = path.resolve(flags.cluster);
    try {
      spec = readClusterSpec(specFile);
    } catch (e) {
      throw new CliError(EXIT_USAGE, (e as Error).message);
    }
  } else {
    spec = await localSpec(stateDir, workers);
    specFile = path.join(stateDir, 'cluster.json');
  }
  const resumed = fs.existsSync(path.join(stateDir, 'finder.json'));
  // A fresh run starts a fresh tentative stream; a resumed one appends to it (its lines stay valid).
  if (flags.tentative !== undefined && !resumed) fs.writeFileSync(path.resolve(flags.tentative), '');
  const runFinder = LOCAL_HOSTS.has(spec.finder.host);
  const localWorkers = spec.workers.filter((w) => LOCAL_HOSTS.has(w.host)).map((w) => w.id);
  const target = flags.chaosTarget;
  if (target !== undefined && target !== 'finder' && !localWorkers.includes(target))
    throw new CliError(
      EXIT_USAGE,
      `--chaos-target ${target}: no such process here; use one of ${[...localWorkers, 'finder'].join(', ')}`,
    );
  if (metrics !== undefined) {
    metrics.watch(localWorkers, runFinder ? ['finder', ...localWorkers] : localWorkers);
    if (flags.verbose) io.stderr(`darq: metrics on http://127.0.0.1:${flags.metricsPort}/metrics\n`);
  }
  const bin = process.argv[1] as string;
  // For profiling a cluster: extra node flags for every child, e.g. DARQ_CHILD_NODE_ARGS='--cpu-prof'.
  const nodeArgs = (process.env.DARQ_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const childFlags = JSON.stringify({
    ...flags,
    state: stateDir,
    chaos: undefined,
    chaosReport: undefined,
    chaosTarget: undefined,
  });
  const started = now();
  const children = new Map<string, ChildProcess>();
  const finished = new Set<string>();
  // Per worker, over every process that ran it (a restarted worker's counters start again at 0).
  const counts = new WorkerCounts();
  const failures = new Map<string, number>();
  const kills: Kill[] = [];
  let worldLine = 0;
  let stopping = false;
  let fatal: string | undefined;
  let resolveDone: () => void = () => {};
  const allDone = new Promise<void>((r) => {
    resolveDone = r;
  });

  const debug = process.env.DARQ_CLUSTER_DEBUG !== undefined;
  // Spares and chaos start once the cluster runs (every local worker joined the first world-line).
  let startChaos: (() => void) | undefined;
  let startSpares: () => void = () => {};
  const joined = new Set<string>();
  const onEvent = (e: WorkerEvent, incarnation: number) => {
    if (e.type === 'recovered' && !localWorkers.every((w) => joined.has(w))) {
      joined.add(e.worker);
      if (localWorkers.every((w) => joined.has(w))) {
        startSpares();
        const go = startChaos;
        startChaos = undefined;
        go?.();
      }
    }
    if (debug) io.stderr(`[cluster] ${JSON.stringify(e)}\n`);
    if (e.type === 'recovered' && e.worldLine > worldLine) worldLine = e.worldLine;
    if (e.type === 'progress' || e.type === 'done') counts.report(e.worker, incarnation, e.counters);
    if (e.type === 'committed') {
      // Recovered: after a worker's death, the cut moves in a newer world-line; after the finder's, it moves.
      for (const k of kills) {
        if (k.recoveredMs !== undefined || e.at <= k.at) continue;
        if (k.target === 'finder' || e.worldLine > k.worldLineBefore) k.recoveredMs = e.at - k.at;
      }
    }
  };

  // A warm spare: a worker process that has loaded and planned the job and waits to be told which worker to
  // become. When a worker dies, the spare takes its file over at once; restart time is then the time to open
  // a SQLite file and join a recovery round, not the time to start Node and load the engine.
  // The worker hosting the stdin source is fed by the supervisor (`StdinFeed`), a spare taking its place too.
  const { placeParticipants } = await import('@darq/engine');
  const placement = placeParticipants(
    job.graph,
    spec.workers.map((w) => w.id),
  );
  const overrides = new Map(
    flags.input.map((i) => [i.slice(0, i.indexOf('=')).toLowerCase(), i.slice(i.indexOf('=') + 1)]),
  );
  const stdinWorkers = new Set<string>();
  for (const s of job.graph.stages) {
    const def = s.source?.def;
    if (def === undefined) continue;
    if (
      (def.options.connector ?? '').toLowerCase() !== 'stdin' &&
      overrides.get(def.name.toLowerCase()) !== '-'
    )
      continue;
    for (let i = 0; i < s.parallelism; i++) {
      const w = placement.get(`${s.id}.${i}`);
      if (w !== undefined) stdinWorkers.add(w);
    }
  }
  if (stdinWorkers.size > 1)
    throw new CliError(
      EXIT_USAGE,
      `standard input can feed one worker, but the stdin sources of this query run on ${[...stdinWorkers].join(', ')}; give them parallelism 1 or read files instead`,
    );
  const stdinFeed = stdinWorkers.size > 0 ? new StdinFeed() : undefined;
  const feedStdin = (feed: StdinFeed, child: ChildProcess, pipe: NodeJS.WritableStream) => {
    feed.attach(pipe as Writable);
    child.on('exit', () => feed.detach(pipe as Writable));
    child.on('message', (m) => {
      const e = m as WorkerEvent;
      if (e.type === 'committed' && e.stdin !== undefined) feed.committed(e.stdin);
    });
  };
  const spares: Array<{ child: ChildProcess; ready: boolean }> = [];
  const SPARES = Math.min(3, localWorkers.length);
  const spawnSpare = () => {
    if (stopping || spares.length >= SPARES) return;
    const child = spawn(
      process.execPath,
      [...nodeArgs, bin, '__worker', file, '--cluster-spec', specFile, '--standby'],
      {
        // Any spare may become the stdin source's worker: it then gets the stream through this pipe.
        stdio: [stdinFeed ? 'pipe' : 'ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, DARQ_RUN_FLAGS: childFlags, DARQ_PROGRAM_FILE: programFile },
      },
    );
    const s = { child, ready: false };
    spares.push(s);
    child.on('message', (m: unknown) => {
      if ((m as { type?: string }).type === 'standby') s.ready = true;
    });
    child.once('exit', () => {
      const i = spares.indexOf(s);
      if (i >= 0) spares.splice(i, 1);
    });
  };

  /** Processes that are up: a worker listening, a finder serving. */
  const up = new Set<string>();
  let finderSpare: { child: ChildProcess; ready: boolean } | undefined;
  const spawnFinderSpare = () => {
    if (stopping || !runFinder) return;
    const child = spawn(
      process.execPath,
      [...nodeArgs, bin, '__finder', '--cluster-spec', specFile, '--state', stateDir, '--standby'],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const s = { child, ready: false };
    finderSpare = s;
    child.on('message', (m: unknown) => {
      if ((m as { type?: string }).type === 'standby') s.ready = true;
    });
    child.once('exit', () => {
      if (finderSpare === s) finderSpare = undefined;
    });
  };

  let adopted = 0;
  const adopt = (name: string, child: ChildProcess) => {
    children.set(name, child);
    up.delete(name);
    // Numbers the processes: a worker's counters start again in a new process (see ClusterMetrics.event).
    const incarnation = ++adopted;
    child.on('message', (m) => {
      const t = (m as { type?: string }).type;
      if (t === 'ready' || t === 'finder-ready') {
        up.add(name);
        metrics?.setUp(name, true);
      }
    });
    child.on('message', (m) => onEvent(m as WorkerEvent, incarnation));
    if (metrics !== undefined) child.on('message', (m) => metrics.event(m as WorkerEvent, incarnation));
    child.on('exit', (code, signal) => {
      if (children.get(name) === child) {
        children.delete(name);
        metrics?.setUp(name, false);
      }
      if (name !== 'finder' && code === 0) {
        finished.add(name);
        if (localWorkers.every((w) => finished.has(w))) resolveDone();
        return;
      }
      if (stopping) return;
      if (code === 2) {
        fatal = `${name} refused to start (exit 2); see the message above`;
        resolveDone();
        return;
      }
      if (signal === null) {
        // A crash that is not a kill: retry a few times, then give up (a bug, or a UDF that always throws).
        const n = (failures.get(name) ?? 0) + 1;
        failures.set(name, n);
        if (n > 5) {
          fatal = `${name} failed ${n} times (last exit code ${code}); see the messages above`;
          resolveDone();
          return;
        }
      }
      metrics?.died(name);
      start(name);
    });
  };

  const start = (name: string) => {
    if (name === 'finder' && finderSpare?.ready && finderSpare.child.connected) {
      const { child } = finderSpare;
      finderSpare = undefined;
      child.send({ type: 'take', worker: 'finder' });
      adopt(name, child);
      spawnFinderSpare();
      return;
    }
    const ready = name === 'finder' ? -1 : spares.findIndex((s) => s.ready && s.child.connected);
    if (ready >= 0) {
      const child = (spares.splice(ready, 1)[0] as { child: ChildProcess }).child;
      const feed = stdinWorkers.has(name) ? stdinFeed : undefined;
      const stdinStart = feed?.start();
      child.send({ type: 'take', worker: name, ...(stdinStart ? { stdinStart } : {}) });
      if (feed && child.stdin) feedStdin(feed, child, child.stdin);
      else child.stdin?.end();
      adopt(name, child);
      spawnSpare();
      return;
    }
    const args =
      name === 'finder'
        ? [...nodeArgs, bin, '__finder', '--cluster-spec', specFile, '--state', stateDir]
        : [...nodeArgs, bin, '__worker', file, '--cluster-spec', specFile, '--worker-id', name];
    const feed = stdinWorkers.has(name) ? stdinFeed : undefined;
    // Our stdin feeds the worker running the stdin source, from the first record its cut has not covered.
    const stdinStart = feed?.start();
    const child = spawn(process.execPath, args, {
      stdio: [feed ? 'pipe' : 'ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        DARQ_RUN_FLAGS: childFlags,
        DARQ_PROGRAM_FILE: programFile,
        ...(stdinStart ? { DARQ_STDIN_START: `${stdinStart.index}:${stdinStart.line}` } : {}),
      },
    });
    if (feed && child.stdin) feedStdin(feed, child, child.stdin);
    adopt(name, child);
  };

  if (runFinder) start('finder');
  for (const w of localWorkers) start(w);
  // Spares start once the cluster runs, so they do not slow its start down.
  let sparesStarted = false;
  startSpares = () => {
    if (sparesStarted) return;
    sparesStarted = true;
    for (let i = 0; i < SPARES; i++) spawnSpare();
    spawnFinderSpare();
  };

  // Chaos: kill a random live process now and then (the finder included); the supervisor restarts it.
  let chaosTimer: NodeJS.Timeout | undefined;
  const killNow = (target: string) => {
    const child = children.get(target);
    if (child?.pid === undefined) return;
    kills.push({ target, at: now(), worldLineBefore: worldLine });
    child.kill('SIGKILL');
  };
  // A benchmark picks the moment: SIGUSR2 kills the target now.
  const onUsr2 = () => {
    if (target !== undefined && !stopping) killNow(target);
  };
  if (target !== undefined) process.on('SIGUSR2', onUsr2);
  if (flags.chaos !== undefined) {
    const [min, max, seed] = flags.chaos.split(':').map(Number) as [number, number, number?];
    if (!(min > 0 && max >= min))
      throw new CliError(EXIT_USAGE, `--chaos expects MIN:MAX[:SEED] in ms, got '${flags.chaos}'`);
    const maxKills = intFlag(flags.chaosKills, '--chaos-kills', 1) ?? Number.POSITIVE_INFINITY;
    const random = rng(seed ?? 1);
    const schedule = () => {
      chaosTimer = setTimeout(
        () => {
          if (stopping || kills.length >= maxKills) return;
          // Kill running processes, not ones still starting: a restart that is killed again before it is up
          // measures start-up, not recovery.
          const live = [...children.keys()].filter((n) => !finished.has(n) && up.has(n));
          if (live.length > 0) {
            // The second kill always hits the finder (when it runs here), so short runs exercise both kinds.
            const target =
              flags.chaosTarget ??
              (kills.length === 1 && live.includes('finder')
                ? 'finder'
                : (live[Math.floor(random() * live.length)] as string));
            if (live.includes(target)) killNow(target);
          }
          schedule();
        },
        min + random() * (max - min),
      );
    };
    startChaos = schedule;
  }

  // On a terminal: one live status line over all workers (their counters add up).
  const showProgress = io.isTty && !flags.quiet;
  const progressTimer = showProgress
    ? setInterval(() => {
        const { eventsIn, rowsOut, badRecords } = counts.total();
        const secs = (now() - started) / 1000;
        io.stderr(
          `\r\x1b[2K${eventsIn.toLocaleString('en-US')} events in, ${rowsOut.toLocaleString('en-US')} rows out, ${children.size} processes up, world-line ${worldLine}${kills.length ? `, ${kills.length} killed` : ''}${badRecords ? `, ${badRecords} bad` : ''}, ${secs.toFixed(1)} s`,
        );
      }, 250)
    : undefined;

  const onSigint = () => {
    stopping = true;
    for (const c of children.values()) c.kill('SIGTERM');
    fatal = 'interrupted';
    resolveDone();
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  await allDone;
  stopping = true;
  if (chaosTimer !== undefined) clearTimeout(chaosTimer);
  process.off('SIGUSR2', onUsr2);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  const all = [
    ...children.values(),
    ...spares.map((x) => x.child),
    ...(finderSpare ? [finderSpare.child] : []),
  ];
  const exits = all
    .filter((c) => c.exitCode === null && c.signalCode === null)
    .map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of all) c.kill('SIGTERM');
  await Promise.all(exits);
  const elapsedMs = now() - started;
  if (flags.chaosReport !== undefined) {
    const rec = kills
      .map((k) => k.recoveredMs)
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    const pct = (p: number) => rec[Math.min(rec.length - 1, Math.floor(p * rec.length))];
    fs.writeFileSync(
      flags.chaosReport,
      `${JSON.stringify(
        {
          kills: kills.length,
          workerKills: kills.filter((k) => k.target !== 'finder').length,
          finderKills: kills.filter((k) => k.target === 'finder').length,
          recoveryMs: { p50: pct(0.5), p99: pct(0.99), max: rec[rec.length - 1], measured: rec.length },
          elapsedMs,
          worldLine,
          killLog: kills,
        },
        null,
        2,
      )}\n`,
    );
  }
  if (showProgress) io.stderr('\r\x1b[2K');
  if (progressTimer !== undefined) clearInterval(progressTimer);
  const interrupted = fatal === 'interrupted';
  if (fatal !== undefined && !interrupted) throw new CliError(EXIT_RUNTIME, `darq: ${fatal}`);
  const { eventsIn, rowsOut, badRecords, lateRows, versions } = counts.total();
  const summary: RunSummary = {
    eventsIn,
    rowsOut,
    badRecords,
    lateRows,
    versions,
    elapsedMs,
    deadLetterPath: job.deadLetterPath(stateDir),
    resumed,
    ...(interrupted ? { stopped: 'interrupted' as const } : {}),
  };
  if (!flags.quiet) {
    io.stderr(
      `${summaryLine(summary, temporaryState ? undefined : stateDir)}, ${localWorkers.length} workers${kills.length ? `, ${kills.length} processes killed and recovered` : ''}\n`,
    );
  }
  if (temporaryState && !interrupted) fs.rmSync(stateDir, { recursive: true, force: true });
  return summary;
}

function runFlagsFromEnv(): RunFlags {
  const raw = process.env.DARQ_RUN_FLAGS;
  if (raw === undefined) throw new CliError(EXIT_USAGE, 'darq __worker is started by `darq run --workers N`');
  return JSON.parse(raw) as RunFlags;
}

/**
 * `darq __worker q.sql --cluster-spec F --worker-id W`: one worker process of a cluster run. With `--standby`
 * instead of an id it plans the job, says so, and waits for the supervisor to name the worker to become.
 */
export async function workerCommand(
  file: string,
  specFile: string,
  workerId: string | undefined,
  io: Io,
): Promise<void> {
  const flags = runFlagsFromEnv();
  const { readClusterSpec, runClusterWorker } = await import('@darq/engine');
  const spec = readClusterSpec(specFile);
  const stateDir = flags.state as string;
  const programFile = process.env.DARQ_PROGRAM_FILE;
  const compiled =
    programFile !== undefined && fs.existsSync(programFile)
      ? (JSON.parse(fs.readFileSync(programFile, 'utf8')) as Program)
      : undefined;
  const job = await buildJob(file, flags, io, stateDir, (t) => process.stdout.write(t), compiled);
  const abort = new AbortController();
  process.once('SIGTERM', () => abort.abort());
  process.once('SIGINT', () => abort.abort());
  const send = process.send?.bind(process);
  let id = workerId;
  let takenStdin: LineStart | undefined;
  if (id === undefined) {
    if (send === undefined)
      throw new CliError(EXIT_USAGE, 'darq __worker --standby runs under `darq run --workers N`');
    id = await new Promise<string>((resolve) => {
      abort.signal.addEventListener('abort', () => process.exit(0));
      process.on('message', (m) => {
        const msg = m as { type?: string; worker?: string; stdinStart?: LineStart };
        if (msg.type === 'take' && typeof msg.worker === 'string') {
          if (msg.stdinStart !== undefined) takenStdin = msg.stdinStart;
          resolve(msg.worker);
        }
      });
      send({ type: 'standby' });
    });
  }
  const fromEnv = /^(\d+):(\d+)$/.exec(process.env.DARQ_STDIN_START ?? '');
  const stdinStart =
    takenStdin ?? (fromEnv ? { index: Number(fromEnv[1]), line: Number(fromEnv[2]) } : undefined);
  const { EngineError } = await import('@darq/engine');
  try {
    await runClusterWorker(job, {
      spec,
      workerId: id,
      stateDir,
      ...(stdinStart ? { stdinStart } : {}),
      ...(flags.tentative !== undefined ? { tentativePath: path.resolve(flags.tentative) } : {}),
      signal: abort.signal,
      ...(send ? { onEvent: (e: WorkerEvent) => void send(e) } : {}),
    });
  } catch (e) {
    // As `darq run` on one worker reports them; exit 2 (a state dir of another query, a plan problem, an input
    // that cannot be opened) ends the whole run, since a restart would fail the same way.
    if (e instanceof EngineError) {
      const final = e.name === 'StateError' || e.name === 'PlanError' || e.code === 'SOURCE_FILE_UNREADABLE';
      throw new CliError(final ? EXIT_USAGE : EXIT_RUNTIME, `${id}: ${e.message}`);
    }
    throw e;
  }
  if (abort.signal.aborted) process.exit(1);
  // The IPC channel must not hold the process open once the work is done.
  process.channel?.unref();
}

/** `darq __finder --cluster-spec F --state DIR [--standby]`: the DPR finder of a cluster run. */
export async function finderCommand(specFile: string, stateDir: string, standby = false): Promise<void> {
  const { readClusterSpec } = await import('@darq/engine');
  const { Finder } = await import('@darq/darq-core');
  const spec = readClusterSpec(specFile);
  const stop = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  if (standby) {
    // Loaded and waiting: the supervisor says when to take over from a finder that died.
    const go = new Promise<void>((resolve) => {
      process.on('message', (m) => {
        if ((m as { type?: string }).type === 'take') resolve();
      });
      process.send?.({ type: 'standby' });
    });
    if ((await Promise.race([go.then(() => 'go'), stop.then(() => 'stop')])) === 'stop') process.exit(0);
  }
  const finder = await Finder.listen({
    statePath: path.join(stateDir, 'finder.json'),
    secret: spec.secret,
    members: spec.workers.map((w) => w.id),
    host: spec.finder.host,
    port: spec.finder.port,
  });
  process.send?.({ type: 'finder-ready' });
  process.channel?.unref();
  await stop;
  await finder.close();
}
