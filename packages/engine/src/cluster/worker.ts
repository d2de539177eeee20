import * as fs from 'node:fs';
import * as path from 'node:path';
import { DprClient, type Lsn, TcpTransport, type Version, Worker } from '@darq/darq-core';
import { type LineStart, StdinLog } from '../connectors/stdin-source.ts';
import { StateError } from '../errors.ts';
import type { Job } from '../job.ts';
import { participantIds } from '../physical/graph.ts';
import { DEAD_LETTER_STAGE } from '../physical/lower.ts';
import { type RunCounters, RuntimeContext } from '../runtime/context.ts';
import type { OperatorParticipant } from '../runtime/participant.ts';
import { type Progress, Scheduler } from '../runtime/scheduler.ts';
import type { SourceParticipant } from '../runtime/source-participant.ts';
import { type ClusterSpec, placeParticipants } from './spec.ts';
import { TentativeFile, TentativeTap } from './tentative.ts';

/** What a worker tells whoever supervises it (the coordinator prints and measures from these). */
export type WorkerEvent =
  | { readonly type: 'ready'; readonly worker: string; readonly at: number }
  | {
      readonly type: 'recovered';
      readonly worker: string;
      readonly worldLine: number;
      readonly rollbackTo?: number;
      readonly at: number;
    }
  /** The cut moved (first move in a world-line, then at most every 50 ms): committed output flows. */
  | {
      readonly type: 'committed';
      readonly worker: string;
      readonly worldLine: number;
      /** This worker's committed cut: its versions up to this one are never rolled back. */
      readonly cut: number;
      /** A worker reading standard input: the records its cut has consumed (the supervisor may drop them). */
      readonly stdin?: number;
      readonly at: number;
    }
  | {
      readonly type: 'progress';
      readonly worker: string;
      /** Counters of this process: input and bad records are restored from state, the rest start at 0. */
      readonly counters: RunCounters;
      /** Bytes of the worker's SQLite file in use. */
      readonly stateBytes: number;
      /** The lowest event-time watermark of the sources on this worker (epoch ms), once they have one. */
      readonly watermark?: number;
      readonly cut: number;
      readonly worldLine: number;
      readonly at: number;
    }
  | { readonly type: 'done'; readonly worker: string; readonly counters: RunCounters; readonly at: number };

export interface ClusterWorkerOptions {
  readonly spec: ClusterSpec;
  readonly workerId: string;
  readonly stateDir: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: WorkerEvent) => void;
  readonly progressEveryMs?: number;
  /** Also write the tentative stream (rows before they are committed, with retractions) to this file. */
  readonly tentativePath?: string;
  /** Where this process's standard input starts in the stream (a restarted worker gets it from there). */
  readonly stdinStart?: LineStart;
}

interface Built {
  readonly rt: RuntimeContext;
  readonly scheduler: Scheduler;
  readonly sources: SourceParticipant[];
  readonly others: OperatorParticipant[];
  readonly unhook: () => void;
  readonly taps: TentativeTap[];
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Runs this worker's share of a job (the participants placed on it) in a cluster: one SQLite file with undo
 * records, a speculative transport to the other workers, and a DPR client. Steps run before their versions
 * are committed; sinks release output only once the cut covers it. When the finder runs a recovery round,
 * the worker freezes (commits and reports); when it is told to roll back, it restores the version and
 * rebuilds its participants from durable state, as a restart would, without leaving the process.
 */
export async function runClusterWorker(job: Job, opts: ClusterWorkerOptions): Promise<RunCounters> {
  const { spec, workerId } = opts;
  const me = spec.workers.find((w) => w.id === workerId);
  if (me === undefined) {
    throw new StateError(
      'CLUSTER_FILE',
      `worker '${workerId}' is not in the cluster (${spec.workers.map((w) => w.id).join(', ')})`,
    );
  }
  const stateDir = path.resolve(opts.stateDir);
  fs.mkdirSync(stateDir, { recursive: true });
  // Entries for a sink wait for the cut, and entries for another worker wait for its acknowledgement (after
  // its cut): both take a round trip through the finder, so sources may run further ahead than on one worker.
  const base = job.runtimeOptions();
  const runtimeOptions = {
    ...base,
    maxBacklog: Math.max(base.maxBacklog, 1024),
    maxRemoteBacklog: Math.max(base.maxRemoteBacklog ?? 0, 1024),
  };
  const placement = placeParticipants(
    job.graph,
    spec.workers.map((w) => w.id),
  );
  const worker = Worker.open({
    path: path.join(stateDir, `worker-${workerId}.sqlite`),
    workerId,
    persistence: runtimeOptions.persistence,
    undo: true,
    walCheckpointMs: 1000,
    // 'machine': the fsync runs in the thread pool while the worker goes on; the finder hears of a version
    // (and the cut can cover it) only once it is on disk.
    syncInBackground: runtimeOptions.persistence === 'machine',
  });
  const emit = opts.onEvent ?? (() => {});
  const total: RunCounters = { eventsIn: 0, rowsOut: 0, badRecords: 0, lateRows: 0, versions: 0 };
  let built: Built | undefined;
  let frozen = false;
  let pending: { worldLine: number; rollbackTo: number | undefined } | undefined;
  let committedInWorld = -1;
  let wakeMain: (() => void) | undefined;
  const wake = () => {
    wakeMain?.();
    built?.rt.wake();
  };

  const client = new DprClient({
    worker,
    finder: spec.finder,
    secret: spec.secret,
    host: {
      freeze: () => {
        frozen = true;
        built?.scheduler.commitIfDirty();
        if (worker.hasOpenChanges) worker.commit();
      },
      recover: (worldLine, rollbackTo) => {
        pending = { worldLine, rollbackTo };
        wake();
      },
    },
  });
  const peers: Record<string, { host: string; port: number }> = {};
  for (const w of spec.workers) if (w.id !== workerId) peers[w.id] = { host: w.host, port: w.port };
  let transport: TcpTransport;
  try {
    job.claimState(worker, stateDir);
    transport = await TcpTransport.listen({
      worker,
      secret: spec.secret,
      host: me.host,
      port: me.port,
      peers,
      locate: (p) => placement.get(p),
      dpr: client,
      speculative: runtimeOptions.speculative,
      autoCommit: false,
      onAcked: (n) => built?.rt.remoteAcked(n),
    });
  } catch (e) {
    client.close();
    worker.close();
    throw e;
  }
  // Standard input, kept from the last cut on: a rollback rebuilds the stdin source, which reads again from
  // its restored position. `stdinAt` holds the position each version ended with, until the cut covers it.
  const stdinLog = new StdinLog(process.stdin, opts.stdinStart);
  stdinLog.retain = true;
  const stdinAt: { version: number; pos: number }[] = [];
  let stdinCommitted: number | undefined;
  const cutStdin = (cut: number) => {
    let n = 0;
    while (n < stdinAt.length && stdinAt[n]!.version <= cut) n++;
    if (n === 0) return;
    stdinCommitted = stdinAt[n - 1]!.pos;
    stdinAt.splice(0, n);
    stdinLog.trimTo(stdinCommitted);
  };

  // The cut moved: reported on the first move in each world-line and then at most every 50 ms.
  let lastCutEvent = 0;
  const cutSub = worker.committed$.subscribe((cut) => {
    cutStdin(cut);
    const t = now();
    if (!client.running || (committedInWorld === client.worldLine && t - lastCutEvent < 50)) return;
    committedInWorld = client.worldLine;
    lastCutEvent = t;
    emit({
      type: 'committed',
      worker: workerId,
      worldLine: client.worldLine,
      cut: worker.cut,
      ...(stdinCommitted !== undefined ? { stdin: stdinCommitted } : {}),
      at: t,
    });
  });
  emit({ type: 'ready', worker: workerId, at: now() });

  const tentative = opts.tentativePath !== undefined ? new TentativeFile(opts.tentativePath) : undefined;
  let lastCommitMark = 0;
  const commitMarks = worker.committed$.subscribe((cut) => {
    const t = now();
    if (tentative === undefined || !client.running || t - lastCommitMark < 20) return;
    lastCommitMark = t;
    tentative.commit(workerId, cut);
  });
  const cctx = job.connectorContext(stateDir, runtimeOptions, stdinLog);
  const deadLetterPath = job.deadLetterPath(stateDir);
  const placedHere = (p: string) => placement.get(p) === workerId;

  const teardown = () => {
    if (built === undefined) return;
    total.eventsIn = built.rt.counters.eventsIn;
    total.badRecords = built.rt.counters.badRecords;
    built.unhook();
    for (const s of built.sources) s.close();
    for (const o of built.others) o.close();
    built.rt.dispose();
    const c = built.rt.counters;
    // Sources restore their durable event and bad-record counts when rebuilt: those are not added up.
    total.rowsOut += c.rowsOut;
    total.lateRows += c.lateRows;
    total.versions += c.versions;
    built = undefined;
  };

  const build = (): Built => {
    const rt = new RuntimeContext(worker, runtimeOptions, (p) => !placedHere(p));
    const { sources, others } = job.instantiate(rt, cctx, deadLetterPath, placedHere);
    const scheduler = new Scheduler(rt, sources, others);
    // Every commit — the scheduler's, or one the commit-ordering rule forces between turns — carries the
    // participants' buffered state, so no version holds consumed input without the state it produced.
    scheduler.open();
    const stdinSources = sources.filter((s) => s.readsStdin);
    const unhook = worker.onBeforeCommit(() => {
      for (const p of [...sources, ...others]) p.checkpoint();
      for (const o of others) o.beforeCommit();
      if (stdinSources.length > 0) {
        let pos = Number.POSITIVE_INFINITY;
        for (const s of stdinSources) pos = Math.min(pos, s.inputPosition as number);
        stdinAt.push({ version: worker.version, pos });
      }
    });
    const taps: TentativeTap[] = [];
    if (tentative !== undefined) {
      for (const s of job.graph.stages) {
        if (s.kind !== 'sink' || s.id === DEAD_LETTER_STAGE) continue;
        for (const pid of participantIds(s).filter(placedHere)) {
          // A sink stage with operators of its own would need them run twice; such sinks are not tapped.
          if (s.operators.length === 0)
            taps.push(new TentativeTap(tentative, worker.participant(pid), s, workerId));
        }
      }
    }
    let backlog = 0;
    for (const pid of worker.participantIds())
      backlog += worker.participant(pid).pendingOutputs(0 as Lsn, 100_000).length;
    rt.initialRemoteBacklog = backlog;
    return { rt, scheduler, sources, others, unhook, taps };
  };

  const waitForWork = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wakeMain = undefined;
        resolve();
      }, ms);
      wakeMain = () => {
        clearTimeout(timer);
        wakeMain = undefined;
        resolve();
      };
    });

  const outboxEmpty = () => {
    for (const pid of worker.participantIds()) {
      if (worker.participant(pid).pendingOutputs(0 as Lsn, 1).length > 0) return false;
    }
    return true;
  };

  let lastProgress = 0;
  const progressEvery = opts.progressEveryMs ?? 200;
  const report = (p: Progress) => {
    const t = now();
    if (t - lastProgress < progressEvery || built === undefined) return;
    lastProgress = t;
    const c = built.rt.counters;
    emit({
      type: 'progress',
      worker: workerId,
      counters: {
        eventsIn: c.eventsIn,
        rowsOut: total.rowsOut + c.rowsOut,
        badRecords: c.badRecords,
        lateRows: total.lateRows + c.lateRows,
        versions: total.versions + c.versions,
      },
      stateBytes: p.stateBytes,
      ...(p.watermark !== undefined ? { watermark: p.watermark } : {}),
      cut: worker.cut,
      worldLine: client.worldLine,
      at: t,
    });
  };

  let failed: unknown;
  try {
    for (;;) {
      if (opts.signal?.aborted) break;
      if (pending === undefined) {
        await waitForWork(50);
        continue;
      }
      // Move into the new world-line: drop soft state, roll back if told to, rebuild from durable state.
      const { worldLine, rollbackTo } = pending;
      pending = undefined;
      teardown();
      if (rollbackTo !== undefined) {
        worker.rollbackTo(rollbackTo as Version);
        while (stdinAt.length > 0 && stdinAt[stdinAt.length - 1]!.version > rollbackTo) stdinAt.pop();
        tentative?.retract(workerId, rollbackTo);
      }
      transport.reset();
      built = build();
      frozen = false;
      client.resumed();
      transport.flush();
      emit({
        type: 'recovered',
        worker: workerId,
        worldLine,
        ...(rollbackTo !== undefined ? { rollbackTo } : {}),
        at: now(),
      });
      const b = built;
      await b.scheduler.run({
        ...(opts.signal ? { signal: opts.signal } : {}),
        paused: () => frozen,
        interrupted: () => pending !== undefined,
        ...(b.taps.length > 0
          ? {
              afterTurn: () => {
                let n = 0;
                for (const tap of b.taps) n += tap.poll(b.rt);
                return n > 0;
              },
            }
          : {}),
        onProgress: report,
        progressEveryMs: progressEvery,
      });
      if (pending !== undefined) continue;
      // Input processed: stay until everything sent is acknowledged and everything done is committed (a
      // recovery round may still roll this worker back and make it redo work).
      while (pending === undefined && !opts.signal?.aborted) {
        if (worker.hasOpenChanges && !frozen) {
          b.scheduler.commitIfDirty();
          if (worker.hasOpenChanges) worker.commit();
        }
        if (!worker.hasOpenChanges && outboxEmpty() && worker.cut >= worker.persisted && !frozen) break;
        transport.flush();
        await waitForWork(2);
      }
      if (pending !== undefined) continue;
      if (opts.signal?.aborted) break;
      client.done();
      break;
    }
  } catch (e) {
    failed = e;
  } finally {
    teardown();
    cutSub.unsubscribe();
    commitMarks.unsubscribe();
    if (tentative !== undefined) {
      if (failed === undefined) tentative.commit(workerId, worker.cut);
      tentative.close();
    }
    await transport.close();
    client.close();
    if (failed === undefined) worker.close();
    else worker.abandon();
  }
  if (failed !== undefined) throw failed;
  emit({ type: 'done', worker: workerId, counters: total, at: now() });
  return total;
}
