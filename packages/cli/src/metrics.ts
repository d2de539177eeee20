import * as http from 'node:http';
import type { Progress } from '@darq/engine';
import { Counter, Gauge, Registry } from 'prom-client';
import { CliError, EXIT_USAGE } from './errors.ts';

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
    server.on('request', (req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('darq serves /metrics\n');
        return;
      }
      m.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': m.registry.contentType }).end(text),
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
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
