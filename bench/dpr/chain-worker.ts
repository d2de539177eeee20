/**
 * One worker process of the depth / slow-storage chain (started by chain.ts). Participant i of the chain
 * p0 → p1 → … → pH lives on worker i % W, so every hop crosses a process boundary. p0 is the source: one
 * record every `periodMs`, stamped with the shared clock; pH measures.
 *
 * mode 'darq': a Worker (undo, machine persistence), a DprClient to the driver's finder, a TcpTransport
 *   (speculative or not); each participant's processor consumes its IN entry and forwards the bytes in one
 *   step; the worker commits right after the turn that stepped (group commit) and every millisecond for
 *   whatever the transport wrote (acks, enqueues).
 * mode 'floor': bare Node, no durability: the same chain forwarding 24-byte frames over loopback TCP.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  ColocatedProcessorClient,
  type DarqMessage,
  DprClient,
  type Incarnation,
  type ProcessorCapabilities,
  StepBuilder,
  TcpTransport,
  type Version,
  Worker,
} from '@darq/darq-core';
import { childConfig, now, onParent, Packr, SECRET, toParent } from './common.ts';

export interface ChainConfig {
  readonly mode: 'floor' | 'darq';
  readonly index: number;
  readonly workers: number;
  readonly hops: number;
  readonly speculative: boolean;
  readonly dir: string;
  readonly finderPort: number;
  readonly persistDelayMs: number;
  readonly syncInBackground: boolean;
  readonly periodMs: number;
  /** 0: group commit after each turn that stepped (+ every 1 ms); N: commit every N ms only. */
  readonly commitMs: number;
}

const cfg = childConfig<ChainConfig>();
const me = cfg.index;
const W = cfg.workers;
const H = cfg.hops;
const hosted: number[] = [];
for (let i = 0; i <= H; i++) if (i % W === me) hosted.push(i);
const next = (me + 1) % W;
const sendsOut = hosted.some((i) => i < H);
const packr = new Packr({ useRecords: false });

/** Latency samples at pH: [stamp, taken-in latency]; and [stamp, committed latency] once the cut covers it. */
const takenIn: Array<[number, number]> = [];
const committed: Array<[number, number]> = [];

let sourceTimer: NodeJS.Timeout | undefined;
let seq = 0;
let cpuAtStart = process.cpuUsage();
let cpu = process.cpuUsage(cpuAtStart);

/**
 * Calls `send` once per `periodMs` on average: a tick that comes late (timers are coarse, the loop may be
 * busy) sends every record that fell due meanwhile, each stamped when it is actually sent.
 */
function every(periodMs: number, send: () => void): NodeJS.Timeout {
  const t0 = performance.now();
  let sent = 0;
  return setInterval(() => {
    const due = Math.floor((performance.now() - t0) / periodMs) + 1;
    while (sent < due) {
      sent++;
      send();
    }
  }, periodMs);
}

if (cfg.mode === 'floor') await runFloor();
else await runDarq();

async function runFloor(): Promise<void> {
  // Frame: u32 destination participant, f64 seq, f64 stamp (+ u32 padding) = 24 bytes.
  const FRAME = 24;
  let out: Socket | undefined;
  const deliver = (dest: number, buf: Buffer) => {
    if (dest === H) {
      const stamp = buf.readDoubleLE(12);
      const t = now() - stamp;
      takenIn.push([stamp, t]);
      committed.push([stamp, t]);
      return;
    }
    buf.writeUInt32LE(dest + 1, 0);
    out?.write(buf);
  };
  const server = createServer({ noDelay: true }, (socket) => {
    let rest = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      let b = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      while (b.length >= FRAME) {
        const f = Buffer.from(b.subarray(0, FRAME));
        b = b.subarray(FRAME);
        deliver(f.readUInt32LE(0), f);
      }
      rest = b.length > 0 ? Buffer.from(b) : Buffer.alloc(0);
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  toParent({ t: 'listening', port: typeof addr === 'object' && addr !== null ? addr.port : 0 });
  onParent((m) => {
    if (m.t === 'peers') {
      const ports = m.ports as number[];
      if (!sendsOut) return void toParent({ t: 'ready' });
      out = createConnection({ host: '127.0.0.1', port: ports[next] as number, noDelay: true }, () =>
        toParent({ t: 'ready' }),
      );
    } else if (m.t === 'start') {
      cpuAtStart = process.cpuUsage();
      if (me !== 0) return;
      sourceTimer = every(cfg.periodMs, () => {
        const f = Buffer.alloc(FRAME);
        f.writeUInt32LE(0, 0);
        f.writeDoubleLE(seq++, 4);
        f.writeDoubleLE(now(), 12);
        deliver(0, f);
      });
    } else if (m.t === 'stop') {
      if (sourceTimer !== undefined) clearInterval(sourceTimer);
      cpu = process.cpuUsage(cpuAtStart);
    } else if (m.t === 'collect') {
      toParent({ t: 'samples', takenIn, committed, stats: { commits: 0 } });
    } else if (m.t === 'cpu') {
      toParent({ t: 'cpu', cpuMs: (cpu.user + cpu.system) / 1000, sent: seq });
    } else if (m.t === 'exit') {
      out?.destroy();
      server.close();
      process.exit(0);
    }
  });
}

async function runDarq(): Promise<void> {
  const worker = Worker.open({
    path: join(cfg.dir, `w${me}.sqlite`),
    workerId: `w${me}`,
    undo: true,
    persistence: 'machine',
    syncInBackground: cfg.syncInBackground,
    persistDelayMs: cfg.persistDelayMs,
    walCheckpointMs: 1000,
  });
  let commits = 0;
  let recoveries = 0;
  let commitScheduled = false;
  const commit = () => {
    if (worker.hasOpenChanges) {
      worker.commit();
      commits++;
    }
  };
  // Group commit: right after the turn of the event loop that stepped (after the speculative send, which was
  // scheduled first), so a version closes as soon as there is work and nothing is waiting for it.
  const scheduleCommit = () => {
    if (commitScheduled || cfg.commitMs > 0) return;
    commitScheduled = true;
    setImmediate(() => {
      commitScheduled = false;
      commit();
    });
  };
  const ticker = setInterval(commit, Math.max(1, cfg.commitMs));

  /** Taken-in samples waiting for the cut: [stamp, version]. */
  const uncommitted: Array<[number, number]> = [];
  worker.committed$.subscribe((cut) => {
    const t = now();
    let kept = 0;
    for (const s of uncommitted) {
      if (s[1] <= cut) committed.push([s[0], t - s[0]]);
      else uncommitted[kept++] = s;
    }
    uncommitted.length = kept;
  });

  const clients: ColocatedProcessorClient[] = [];
  let started = false;
  const startProcessors = () => {
    if (started) return;
    started = true;
    for (const i of hosted) {
      if (i === 0) continue;
      const last = i === H;
      const dest = `p${i + 1}`;
      let caps: ProcessorCapabilities | undefined;
      const client = new ColocatedProcessorClient(worker.participant(`p${i}`), {
        onRestart(c) {
          caps = c;
        },
        process(m: DarqMessage) {
          if (last) {
            const [, stamp] = packr.unpack(m.body) as [number, number];
            takenIn.push([stamp, now() - stamp]);
            uncommitted.push([stamp, m.version]);
            caps?.step(new StepBuilder().consume(m.lsn).build());
          } else {
            caps?.step(new StepBuilder().consume(m.lsn).send(dest, m.body).build());
          }
          scheduleCommit();
          return true;
        },
      });
      clients.push(client);
      client.start();
    }
  };

  const dpr: DprClient = new DprClient({
    worker,
    finder: { host: '127.0.0.1', port: cfg.finderPort },
    secret: SECRET,
    host: {
      freeze: () => commit(),
      recover: (_wl, to) => {
        recoveries++;
        if (to !== undefined) worker.rollbackTo(to as Version);
        transport.reset();
        dpr.resumed();
        startProcessors();
        transport.flush();
      },
    },
  });
  const locate = (p: string) => `w${Number(p.slice(1)) % W}`;
  const transport: TcpTransport = await TcpTransport.listen({
    worker,
    secret: SECRET,
    locate,
    dpr,
    speculative: cfg.speculative,
    autoCommit: false,
  });
  toParent({ t: 'listening', port: transport.port });

  let sourceInc: Incarnation | undefined;
  let sourceRestarts = 0;
  onParent((m) => {
    if (m.t === 'peers') {
      const ports = m.ports as number[];
      if (sendsOut) transport.setPeer(`w${next}`, { host: '127.0.0.1', port: ports[next] as number });
      const poll = setInterval(() => {
        if (dpr.running && (!sendsOut || transport.stats.connects > 0)) {
          clearInterval(poll);
          toParent({ t: 'ready' });
        }
      }, 5);
    } else if (m.t === 'start') {
      cpuAtStart = process.cpuUsage();
      if (me !== 0) return;
      // Created after the first recovery round: a rollback to the persisted version removes what the open
      // version created.
      const source = worker.participant('p0');
      sourceInc = source.registerProcessor();
      sourceTimer = every(cfg.periodMs, () => {
        if (!dpr.running || sourceInc === undefined) return;
        const body = packr.pack([seq, now()]);
        const st = source.step(sourceInc, new StepBuilder().put('s', 'n', ++seq).send('p1', body).build());
        if (st === 'REINCARNATED') {
          // A recovery round rolled this worker back (every incarnation was bumped): register again.
          sourceRestarts++;
          sourceInc = source.registerProcessor();
        }
        scheduleCommit();
      });
    } else if (m.t === 'stop') {
      if (sourceTimer !== undefined) clearInterval(sourceTimer);
      cpu = process.cpuUsage(cpuAtStart);
    } else if (m.t === 'cpu') {
      toParent({ t: 'cpu', cpuMs: (cpu.user + cpu.system) / 1000, sent: seq, recoveries, sourceRestarts });
    } else if (m.t === 'collect') {
      toParent({
        t: 'samples',
        takenIn,
        committed,
        stats: {
          commits,
          persisted: worker.persisted,
          cut: worker.cut,
          worldLine: dpr.worldLine,
          recoveries,
          sourceRestarts,
          ...transport.stats,
        },
      });
    } else if (m.t === 'exit') {
      clearInterval(ticker);
      for (const c of clients) c.stop();
      void transport.close().then(() => {
        dpr.close();
        worker.close();
        process.exit(0);
      });
    }
  });
}
