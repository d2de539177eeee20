/**
 * One worker process of the overhead benchmark (started by overhead.ts): worker 0 hosts `src`, which sends
 * entries of 1024 records to `sink` on worker 1 as fast as the outbox window allows; the sink consumes them.
 *
 * mode 'dpr':   Worker with undo records, a DprClient, a speculative TcpTransport (dependency tracking on).
 * mode 'plain': Worker without undo, a plain TcpTransport (committed entries only, no DPR headers).
 * Both: machine persistence with the fsync in the background, group commit after each turn that stepped
 * plus every 1 ms for what the transport wrote.
 */
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
import { childConfig, onParent, Packr, SECRET, toParent } from './common.ts';

export interface OverheadConfig {
  readonly mode: 'dpr' | 'plain';
  readonly index: 0 | 1;
  readonly dir: string;
  readonly finderPort: number;
  readonly recordsPerEntry: number;
  /** OUT entries sent and not yet acknowledged, at most. */
  readonly window: number;
}

const cfg = childConfig<OverheadConfig>();
const me = cfg.index;
const packr = new Packr({ useRecords: false });
const body = packr.pack(
  Array.from({ length: cfg.recordsPerEntry }, (_, i) => ({
    user_id: (i * 7919) % 1_000_003,
    region: i % 8,
    ts: 1_700_000_000_000 + i,
  })),
);

const worker = Worker.open({
  path: join(cfg.dir, `w${me}.sqlite`),
  workerId: `w${me}`,
  undo: cfg.mode === 'dpr',
  persistence: 'machine',
  syncInBackground: true,
  walCheckpointMs: 1000,
});
let commits = 0;
let commitScheduled = false;
const commit = () => {
  if (worker.hasOpenChanges) {
    worker.commit();
    commits++;
  }
};
const scheduleCommit = () => {
  if (commitScheduled) return;
  commitScheduled = true;
  setImmediate(() => {
    commitScheduled = false;
    commit();
  });
};
const ticker = setInterval(commit, 1);

let records = 0;
let inFlight = 0;
let sending = false;
let client: ColocatedProcessorClient | undefined;
let srcInc: Incarnation | undefined;
let running = cfg.mode === 'plain';

const startParticipants = () => {
  if (me === 1 && client === undefined) {
    let caps: ProcessorCapabilities | undefined;
    client = new ColocatedProcessorClient(worker.participant('sink'), {
      onRestart(c) {
        caps = c;
      },
      process(m: DarqMessage) {
        caps?.step(new StepBuilder().consume(m.lsn).build());
        records += cfg.recordsPerEntry;
        scheduleCommit();
        return true;
      },
    });
    client.start();
  }
  running = true;
};

let dpr: DprClient | undefined;
if (cfg.mode === 'dpr') {
  const c: DprClient = new DprClient({
    worker,
    finder: { host: '127.0.0.1', port: cfg.finderPort },
    secret: SECRET,
    host: {
      freeze: () => commit(),
      recover: (_wl, to) => {
        if (to !== undefined) worker.rollbackTo(to as Version);
        transport.reset();
        c.resumed();
        startParticipants();
        transport.flush();
      },
    },
  });
  dpr = c;
}
const transport: TcpTransport = await TcpTransport.listen({
  worker,
  secret: SECRET,
  locate: (p) => (p === 'sink' ? 'w1' : 'w0'),
  autoCommit: false,
  onAcked: (n) => {
    inFlight -= n;
    if (sending) pumpSource();
  },
  ...(dpr !== undefined ? { dpr, speculative: true } : {}),
});
if (cfg.mode === 'plain') startParticipants();
toParent({ t: 'listening', port: transport.port });

/** Steps the source until the window is full (at most 32 entries per turn, then yields). */
function pumpSource(): void {
  if (!running || srcInc === undefined) return;
  const src = worker.participant('src');
  let n = 0;
  while (inFlight < cfg.window && n < 32) {
    src.step(
      srcInc,
      new StepBuilder()
        .put('s', 'n', records + 1)
        .send('sink', body)
        .build(),
    );
    records += cfg.recordsPerEntry;
    inFlight++;
    n++;
  }
  if (n > 0) scheduleCommit();
  if (inFlight < cfg.window && sending) setImmediate(pumpSource);
}

let cpuAtStart = process.cpuUsage();
onParent((m) => {
  if (m.t === 'peers') {
    const ports = m.ports as number[];
    if (me === 0) transport.setPeer('w1', { host: '127.0.0.1', port: ports[1] as number });
    const poll = setInterval(() => {
      if (running && (me === 1 || transport.stats.connects > 0)) {
        clearInterval(poll);
        toParent({ t: 'ready' });
      }
    }, 5);
  } else if (m.t === 'start') {
    cpuAtStart = process.cpuUsage();
    if (me !== 0) return;
    srcInc = worker.participant('src').registerProcessor();
    sending = true;
    pumpSource();
  } else if (m.t === 'count') {
    const cpu = process.cpuUsage(cpuAtStart);
    toParent({ t: 'count', records, cpuMs: (cpu.user + cpu.system) / 1000, commits, at: performance.now() });
  } else if (m.t === 'exit') {
    sending = false;
    clearInterval(ticker);
    client?.stop();
    void transport.close().then(() => {
      dpr?.close();
      worker.close();
      process.exit(0);
    });
  }
});
