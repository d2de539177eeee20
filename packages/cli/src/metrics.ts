import * as http from 'node:http';
import type { Progress, WorkerEvent } from '@darq/engine';
import { Counter, Gauge, Registry } from 'prom-client';
import { CliError, EXIT_USAGE } from './errors.ts';
import { COUNTS, type CountName, type Counts, WorkerCounts, zero } from './worker-counts.ts';

/**
 * Prometheus metrics of one run, fed from the engine's progress callback and served as text on
 * `http://127.0.0.1:<port>/metrics` (prom-client).
 *
 * ```ts
 * const m = await MetricsServer.start(9464);
 * job.run({ onProgress: (p) => m.update(p) });
 * ```
 */
export class MetricsServer {
  readonly registry = new Registry();
  private readonly eventsIn = new Counter({
    name: 'darq_events_in_total',
    help: 'Input records read by sources',
    registers: [this.registry],
  });
  private readonly rowsOut = new Counter({
    name: 'darq_rows_out_total',
    help: 'Rows released to sinks (committed)',
    registers: [this.registry],
  });
  private readonly badRecords = new Counter({
    name: 'darq_bad_records_total',
    help: 'Input records sent to the dead-letter file',
    registers: [this.registry],
  });
  private readonly lateRows = new Counter({
    name: 'darq_late_rows_total',
    help: 'Rows that arrived after the watermark passed their window',
    registers: [this.registry],
  });
  private readonly version = new Gauge({
    name: 'darq_committed_version',
    help: 'Last version (group commit) of worker w0',
    registers: [this.registry],
  });
  private readonly elapsed = new Gauge({
    name: 'darq_run_seconds',
    help: 'Seconds since the run started',
    registers: [this.registry],
  });
  private readonly rate = new Gauge({
    name: 'darq_events_per_second',
    help: 'Input records per second since the run started',
    registers: [this.registry],
  });
  private readonly stateBytes = new Gauge({
    name: 'darq_state_bytes',
    help: "Bytes of the worker's SQLite file in use (durable state and log)",
    registers: [this.registry],
  });
  private readonly watermarkLag = new Gauge({
    name: 'darq_watermark_lag_seconds',
    help: 'Wall clock minus the lowest source event-time watermark',
    registers: [this.registry],
  });
  private last: Progress | undefined;

  private constructor(private readonly server: http.Server) {}

  static async start(port: number): Promise<MetricsServer> {
    const server = http.createServer();
    const m = new MetricsServer(server);
    await serve(server, m.registry, port);
    return m;
  }

  update(p: Progress): void {
    const prev = this.last;
    this.eventsIn.inc(p.eventsIn - (prev?.eventsIn ?? 0));
    this.rowsOut.inc(p.rowsOut - (prev?.rowsOut ?? 0));
    this.badRecords.inc(p.badRecords - (prev?.badRecords ?? 0));
    this.lateRows.inc(p.lateRows - (prev?.lateRows ?? 0));
    this.version.set(p.version);
    this.elapsed.set(p.elapsedMs / 1000);
    this.rate.set(p.elapsedMs > 0 ? (p.eventsIn * 1000) / p.elapsedMs : 0);
    this.stateBytes.set(p.stateBytes);
    if (p.lagMs !== undefined) this.watermarkLag.set(p.lagMs / 1000);
    this.last = p;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}

interface WorkerSeries {
  /** What is exported: never less than before. */
  readonly shown: Counts;
  stateBytes: number;
  watermark: number | undefined;
  cut: number;
}

/** A process that died and is being restarted: recovered once the cut moves after it. */
interface Outage {
  readonly process: string;
  readonly at: number;
  readonly worldLineBefore: number;
}

/**
 * Prometheus metrics of a multi-process run (`darq run q.sql --workers 3 --metrics-port 9464`), kept by the
 * supervisor from the events its worker processes send: the single-worker metrics under the same names,
 * summed over the workers (the watermark lag from the lowest watermark); the same per worker as
 * `darq_worker_*{worker="w0"}`; and the cluster's own `darq_cluster_*` (committed cut, world-line, restarts,
 * recoveries, processes up).
 *
 * ```ts
 * const m = await ClusterMetrics.start(9464);
 * m.watch(['w0', 'w1'], ['finder', 'w0', 'w1']);
 * child.on('message', (e) => m.event(e as WorkerEvent, incarnation));
 * ```
 */
export class ClusterMetrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, WorkerSeries>();
  private readonly counts = new WorkerCounts();
  private readonly started = performance.now();
  private readonly outages: Outage[] = [];
  private worldLine = 0;
  private readonly total: Record<Exclude<CountName, 'versions'>, Counter>;
  private readonly perWorker: Record<Exclude<CountName, 'versions'>, Counter<'worker'>>;
  private readonly versions: Gauge;
  private readonly workerVersions: Gauge<'worker'>;
  private readonly workerStateBytes: Gauge<'worker'>;
  private readonly workerCut: Gauge<'worker'>;
  private readonly workerWorldLine: Gauge<'worker'>;
  private readonly recoveries: Counter;
  private readonly restarts: Counter<'process'>;
  private readonly lastRecovery: Gauge;
  private readonly up: Gauge<'process'>;

  private constructor(private readonly server: http.Server) {
    const registers = [this.registry];
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    const byWorker = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['worker'] as const, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Gauge<L>({ name, help, labelNames, registers });
    /** A gauge computed when scraped. */
    const live = (name: string, help: string, value: () => number | undefined) => {
      const g: Gauge = new Gauge({
        name,
        help,
        registers,
        collect: () => {
          const v = value();
          if (v !== undefined) g.set(v);
        },
      });
    };
    const seconds = () => (performance.now() - this.started) / 1000;
    const lag = (wm: number) => Math.max(0, Date.now() - wm) / 1000;

    this.total = {
      eventsIn: counter('darq_events_in_total', 'Input records read by sources (all workers)'),
      rowsOut: counter('darq_rows_out_total', 'Rows released to sinks, committed (all workers)'),
      badRecords: counter(
        'darq_bad_records_total',
        'Input records sent to the dead-letter file (all workers)',
      ),
      lateRows: counter(
        'darq_late_rows_total',
        'Rows that arrived after the watermark passed their window (all workers)',
      ),
    };
    this.versions = gauge(
      'darq_committed_version',
      'Versions (group commits) committed, summed over workers',
    );
    live('darq_run_seconds', 'Seconds since the run started', seconds);
    live('darq_events_per_second', 'Input records per second since the run started (all workers)', () =>
      seconds() > 0 ? this.sum('eventsIn') / seconds() : 0,
    );
    live('darq_state_bytes', "Bytes of the workers' SQLite files in use (durable state and log)", () => {
      let n = 0;
      for (const s of this.series.values()) n += s.stateBytes;
      return n;
    });
    live('darq_watermark_lag_seconds', 'Wall clock minus the lowest source event-time watermark', () => {
      let wm = Number.POSITIVE_INFINITY;
      for (const s of this.series.values()) if (s.watermark !== undefined) wm = Math.min(wm, s.watermark);
      return wm === Number.POSITIVE_INFINITY ? undefined : lag(wm);
    });

    this.perWorker = {
      eventsIn: byWorker('darq_worker_events_in_total', 'Input records read by the sources of a worker'),
      rowsOut: byWorker('darq_worker_rows_out_total', "Rows released by a worker's sinks (committed)"),
      badRecords: byWorker(
        'darq_worker_bad_records_total',
        "Input records a worker's sources could not read",
      ),
      lateRows: byWorker(
        'darq_worker_late_rows_total',
        'Rows a worker got after the watermark passed their window',
      ),
    };
    this.workerVersions = gauge(
      'darq_worker_committed_version',
      'Versions (group commits) a worker committed during the run',
      ['worker'],
    );
    this.workerStateBytes = gauge('darq_worker_state_bytes', "Bytes of a worker's SQLite file in use", [
      'worker',
    ]);
    const workerLag: Gauge<'worker'> = new Gauge({
      name: 'darq_worker_watermark_lag_seconds',
      help: "Wall clock minus the lowest event-time watermark of a worker's sources",
      labelNames: ['worker'] as const,
      registers,
      collect: () => {
        for (const [worker, s] of this.series)
          if (s.watermark !== undefined) workerLag.set({ worker }, lag(s.watermark));
      },
    });

    this.workerCut = gauge(
      'darq_cluster_committed_cut',
      "A worker's committed cut: its versions up to this one are final, never rolled back",
      ['worker'],
    );
    this.workerWorldLine = gauge('darq_cluster_worker_world_line', 'The world-line a worker last reported', [
      'worker',
    ]);
    live(
      'darq_cluster_world_line',
      'The newest world-line; each recovery round moves it on',
      () => this.worldLine,
    );
    this.recoveries = counter(
      'darq_cluster_recoveries_total',
      'Recovery rounds during the run (moves of the world-line after the one the run started in)',
    );
    this.restarts = new Counter({
      name: 'darq_cluster_restarts_total',
      help: 'Processes (a worker, or the finder) restarted after they died',
      labelNames: ['process'] as const,
      registers,
    });
    this.lastRecovery = gauge(
      'darq_cluster_last_recovery_seconds',
      "From the last process death to the first move of the cut after it (in a newer world-line, for a worker's)",
    );
    this.up = gauge('darq_cluster_up', 'A process of the run is up (1), or starting, dead or finished (0)', [
      'process',
    ]);
  }

  /** Binds `127.0.0.1:port` (a port in use is a usage error, exit 2) and serves `/metrics`. */
  static async start(port: number): Promise<ClusterMetrics> {
    const server = http.createServer();
    const m = new ClusterMetrics(server);
    await serve(server, m.registry, port);
    return m;
  }

  /** The workers whose series to keep (the others' events are ignored), and the processes to watch. */
  watch(workers: readonly string[], processes: readonly string[]): void {
    for (const worker of workers) {
      this.series.set(worker, {
        shown: zero(),
        stateBytes: 0,
        watermark: undefined,
        cut: 0,
      });
      for (const c of Object.values(this.perWorker)) c.inc({ worker }, 0);
      this.workerVersions.set({ worker }, 0);
      this.workerStateBytes.set({ worker }, 0);
      this.workerCut.set({ worker }, 0);
    }
    for (const process of processes) {
      this.up.set({ process }, 0);
      this.restarts.inc({ process }, 0);
    }
  }

  /**
   * An event of a worker process. `incarnation` numbers the processes that have run this worker, higher for
   * a later one: counters that start again at 0 in a new process add to the last values of the old ones.
   */
  event(e: WorkerEvent, incarnation: number): void {
    if (e.type === 'recovered' || e.type === 'committed' || e.type === 'progress')
      this.sawWorldLine(e.worldLine);
    const s = this.series.get(e.worker);
    if (s === undefined) return;
    const worker = e.worker;
    if (e.type === 'recovered') this.workerWorldLine.set({ worker }, e.worldLine);
    if (e.type === 'committed' || e.type === 'progress') {
      this.workerWorldLine.set({ worker }, e.worldLine);
      // A restarted worker knows its cut only once the finder sends it: until then it reports 0.
      s.cut = Math.max(s.cut, e.cut);
      this.workerCut.set({ worker }, s.cut);
    }
    if (e.type === 'committed') this.recovered(e.at, e.worldLine);
    if (e.type !== 'progress' && e.type !== 'done') return;
    if (!this.counts.report(worker, incarnation, e.counters)) return; // a process already replaced
    const now = this.counts.of(worker);
    for (const k of COUNTS) {
      const delta = now[k] - s.shown[k];
      if (delta <= 0) continue;
      s.shown[k] += delta;
      if (k === 'versions') continue;
      this.total[k].inc(delta);
      this.perWorker[k].inc({ worker }, delta);
    }
    this.workerVersions.set({ worker }, s.shown.versions);
    this.versions.set(this.sum('versions'));
    if (e.type === 'progress') {
      s.stateBytes = e.stateBytes;
      s.watermark = e.watermark;
      this.workerStateBytes.set({ worker }, e.stateBytes);
    }
  }

  /** `process` died and is being restarted: counts a restart, and times the recovery from now. */
  died(process: string): void {
    this.restarts.inc({ process });
    this.outages.push({
      process,
      at: performance.timeOrigin + performance.now(),
      worldLineBefore: this.worldLine,
    });
  }

  setUp(process: string, up: boolean): void {
    this.up.set({ process }, up ? 1 : 0);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private sum(k: CountName): number {
    let n = 0;
    for (const s of this.series.values()) n += s.shown[k];
    return n;
  }

  private sawWorldLine(w: number): void {
    // The first world-line seen is the one the run starts in (its start-up round): not a recovery.
    if (this.worldLine > 0 && w > this.worldLine) this.recoveries.inc(w - this.worldLine);
    this.worldLine = Math.max(this.worldLine, w);
  }

  /** The cut moved at `at` in `worldLine`: that ends the outages before it (timed as the chaos report does). */
  private recovered(at: number, worldLine: number): void {
    const open = this.outages.filter((o) => {
      if (at <= o.at || (o.process !== 'finder' && worldLine <= o.worldLineBefore)) return true;
      this.lastRecovery.set((at - o.at) / 1000); // oldest first: the newest outage sets it last
      return false;
    });
    this.outages.splice(0, this.outages.length, ...open);
  }
}

/** Answers `/metrics` with the registry's text and binds the port; a port in use is a usage error (exit 2). */
async function serve(server: http.Server, registry: Registry, port: number): Promise<void> {
  server.on('request', (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('darq serves /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          EXIT_USAGE,
          `--metrics-port ${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use; pick another' : e.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
