import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSearchTraceJsonl } from '@darq/engine';
import test, { type ExecutionContext } from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'packages/cli/bin/darq.js');

// A source in tail mode never ends by itself: the run lasts until it is interrupted, and the test decides how
// much input there is by appending to the file. Two stages downstream of the source spread the query over
// the three workers (placement is round-robin in stage order).
const QUERY = `
CREATE SOURCE searches (
  term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH (connector = 'file', path = 'searches.jsonl', format = 'jsonl', mode = 'tail');
CREATE SINK counts WITH (connector = 'file', path = 'counts.jsonl', format = 'jsonl');
CREATE SINK totals WITH (connector = 'file', path = 'totals.jsonl', format = 'jsonl');
CREATE VIEW per_ip AS
SELECT ip, window_start, window_end, COUNT(*) AS searches
FROM TABLE(TUMBLE(TABLE searches, DESCRIPTOR(ts), INTERVAL '500' MILLISECOND))
GROUP BY ip, window_start, window_end;
INSERT INTO counts SELECT * FROM per_ip;
INSERT INTO totals SELECT window_start, window_end, SUM(searches) AS searches FROM per_ip
GROUP BY window_start, window_end;
`;

const WORKERS = ['w0', 'w1', 'w2'];
const PROCESSES = ['finder', ...WORKERS];

interface Result {
  code: number | null;
  signal: string | null;
  stderr: string;
}

function exited(p: ChildProcess): Promise<Result> {
  let stderr = '';
  p.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => p.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** The samples of a Prometheus text page: `name{labels}` → value. */
type Scrape = Map<string, number>;

function parse(text: string): Scrape {
  const m: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

async function scrape(port: number): Promise<{ text: string; samples: Scrape } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await res.text();
    return { text, samples: parse(text) };
  } catch {
    return undefined; // not listening (yet, or any more)
  }
}

/**
 * A cluster run over a tail-mode file, scraped all along: `until(samples)` says when to stop waiting; every
 * scrape is kept, in order.
 */
class Scraper {
  readonly seen: Scrape[] = [];
  text = '';
  constructor(
    private readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  async until(what: string, ok: (s: Scrape) => boolean, ms = 60_000): Promise<Scrape> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && this.child.exitCode === null) {
      const r = await scrape(this.port);
      if (r !== undefined) {
        this.seen.push(r.samples);
        this.text = r.text;
        if (ok(r.samples)) return r.samples;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`gave up waiting for ${what}; last scrape:\n${this.text}`);
  }
}

const v = (s: Scrape, key: string) => s.get(key) ?? Number.NaN;
const sumOver = (s: Scrape, name: string, label: string, names: string[]) =>
  names.reduce((n, w) => n + v(s, `${name}{${label}="${w}"}`), 0);

/** Every counter series, the totals and each worker's, never decreases from one scrape to the next. */
function assertMonotone(t: ExecutionContext, seen: Scrape[]): void {
  const counters = [
    'darq_events_in_total',
    'darq_rows_out_total',
    'darq_bad_records_total',
    'darq_late_rows_total',
    'darq_committed_version',
    'darq_cluster_recoveries_total',
    ...['events_in', 'rows_out', 'bad_records', 'late_rows'].flatMap((c) =>
      WORKERS.map((w) => `darq_worker_${c}_total{worker="${w}"}`),
    ),
    ...WORKERS.map((w) => `darq_worker_committed_version{worker="${w}"}`),
    ...WORKERS.map((w) => `darq_cluster_committed_cut{worker="${w}"}`),
    ...PROCESSES.map((p) => `darq_cluster_restarts_total{process="${p}"}`),
  ];
  let drops = 0;
  for (const key of counters) {
    for (let i = 1; i < seen.length; i++) {
      const before = (seen[i - 1] as Scrape).get(key);
      const after = (seen[i] as Scrape).get(key);
      if (before !== undefined && after !== undefined && after < before) {
        drops++;
        t.fail(`${key} went down from ${before} to ${after} (scrape ${i})`);
      }
    }
  }
  t.is(drops, 0);
}

function setup(events: number, rate: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-cluster-metrics-'));
  const query = path.join(dir, 'q.sql');
  fs.writeFileSync(query, QUERY);
  const all = path.join(dir, 'all.jsonl');
  writeSearchTraceJsonl(all, { rate, events, seed: 4 });
  const lines = fs.readFileSync(all, 'utf8').split('\n').filter(Boolean);
  const input = path.join(dir, 'searches.jsonl');
  /** Appends the next `n` events of the trace to the source file. */
  let next = 0;
  const feed = (n: number) => {
    fs.appendFileSync(input, `${lines.slice(next, next + n).join('\n')}\n`);
    next += n;
  };
  return { dir, query, input, feed };
}

async function start(query: string, dir: string, extra: string[] = []) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      bin,
      'run',
      query,
      '--workers',
      '3',
      '--metrics-port',
      String(port),
      '--state',
      path.join(dir, 'st'),
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { port, child, done: exited(child) };
}

test.serial(
  '--workers 3 --metrics-port: the supervisor serves totals, per-worker and cluster series while the run lasts',
  async (t) => {
    t.timeout(60_000);
    const { dir, query, feed } = setup(6000, 1000);
    feed(3000);
    const { port, child, done } = await start(query, dir);
    const s = new Scraper(port, child);
    try {
      const first = await s.until('the first 3000 events', (m) => m.get('darq_events_in_total') === 3000);
      feed(3000);
      // Windows close as the second half of the trace passes them: rows flow to the workers downstream, each
      // commits versions, and the cut covers them.
      const last = await s.until(
        'all 6000 events, committed rows, and a version and a cut on every worker',
        (m) =>
          m.get('darq_events_in_total') === 6000 &&
          v(m, 'darq_rows_out_total') > 0 &&
          WORKERS.every(
            (w) =>
              v(m, `darq_worker_committed_version{worker="${w}"}`) > 0 &&
              v(m, `darq_cluster_committed_cut{worker="${w}"}`) > 0,
          ),
      );
      child.kill('SIGINT');
      const r = await done;
      t.is(r.code, 0, r.stderr);
      t.regex(r.stderr, /interrupted after a final commit/);

      t.regex(s.text, /^# TYPE darq_events_in_total counter$/m);
      t.regex(s.text, /^# TYPE darq_worker_events_in_total counter$/m);
      t.regex(s.text, /^# TYPE darq_committed_version gauge$/m);
      for (const m of [first, last]) {
        for (const w of WORKERS) {
          for (const name of [
            'darq_worker_events_in_total',
            'darq_worker_rows_out_total',
            'darq_worker_committed_version',
            'darq_worker_state_bytes',
            'darq_cluster_committed_cut',
          ])
            t.true(m.has(`${name}{worker="${w}"}`), `${name}{worker="${w}"} missing`);
        }
        // The totals are the workers' sums.
        for (const c of ['events_in', 'rows_out', 'bad_records', 'late_rows'])
          t.is(
            v(m, `darq_${c}_total`),
            sumOver(m, `darq_worker_${c}_total`, 'worker', WORKERS),
            `darq_${c}_total`,
          );
        t.is(v(m, 'darq_committed_version'), sumOver(m, 'darq_worker_committed_version', 'worker', WORKERS));
      }
      // The source runs on w0: all input is read there.
      t.is(v(last, 'darq_worker_events_in_total{worker="w0"}'), 6000);
      t.true(v(last, 'darq_committed_version') > 0);
      for (const w of WORKERS) {
        t.true(v(last, `darq_worker_committed_version{worker="${w}"}`) > 0, `${w} committed no version`);
        t.true(v(last, `darq_cluster_committed_cut{worker="${w}"}`) > 0, `${w} has no committed cut`);
        t.true(v(last, `darq_worker_state_bytes{worker="${w}"}`) > 0);
        t.is(v(last, `darq_cluster_worker_world_line{worker="${w}"}`), v(last, 'darq_cluster_world_line'));
      }
      for (const p of PROCESSES) {
        t.is(v(last, `darq_cluster_up{process="${p}"}`), 1, `${p} is not up`);
        t.is(v(last, `darq_cluster_restarts_total{process="${p}"}`), 0);
      }
      t.true(v(last, 'darq_cluster_world_line') >= 1);
      t.is(v(last, 'darq_cluster_recoveries_total'), 0);
      t.true(v(last, 'darq_state_bytes') > 0);
      // The trace is from 2023: event time trails the wall clock by years.
      t.true(v(last, 'darq_watermark_lag_seconds') > 86_400);
      t.true(v(last, 'darq_run_seconds') > 0);
      t.true(v(last, 'darq_events_per_second') > 0);
      assertMonotone(t, s.seen);
      t.true(s.seen.length >= 2);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test.serial(
  '--metrics-port on 3 workers: counters stay monotone while a worker and the finder are killed and restarted',
  async (t) => {
    t.timeout(90_000);
    const { dir, query, feed } = setup(6000, 1000);
    feed(3000);
    // Hidden chaos flags: the first kill of seed 1234 hits w0 (the source's worker, whose input count is
    // restored from its state and may come back lower); the second kill always hits the finder.
    const { port, child, done } = await start(query, dir, ['--chaos', '300:600:1234', '--chaos-kills', '2']);
    const s = new Scraper(port, child);
    try {
      await s.until(
        'two restarts',
        (m) => sumOver(m, 'darq_cluster_restarts_total', 'process', PROCESSES) >= 2,
      );
      feed(3000);
      const last = await s.until(
        'all 6000 events, every process up again, and a measured recovery',
        (m) =>
          m.get('darq_events_in_total') === 6000 &&
          v(m, 'darq_rows_out_total') > 0 &&
          v(m, 'darq_cluster_last_recovery_seconds') > 0 &&
          PROCESSES.every((p) => m.get(`darq_cluster_up{process="${p}"}`) === 1),
      );
      child.kill('SIGINT');
      const r = await done;
      t.is(r.code, 0, r.stderr);
      t.is(v(last, 'darq_cluster_restarts_total{process="w0"}'), 1, s.text);
      t.is(v(last, 'darq_cluster_restarts_total{process="finder"}'), 1, s.text);
      // w0's death moved the cluster to a new world-line in a recovery round.
      t.true(v(last, 'darq_cluster_recoveries_total') >= 1);
      t.true(v(last, 'darq_cluster_world_line') >= 2);
      t.true(v(last, 'darq_cluster_last_recovery_seconds') < 60);
      assertMonotone(t, s.seen);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test.serial(
  '--workers 3 --metrics-port on a port in use: exit 2, a clear message, nothing started',
  async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-cluster-metrics-'));
    const query = path.join(dir, 'q.sql');
    fs.writeFileSync(query, QUERY);
    fs.writeFileSync(path.join(dir, 'searches.jsonl'), '');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    try {
      const child = spawn(
        process.execPath,
        [
          bin,
          'run',
          query,
          '--workers',
          '3',
          '--metrics-port',
          String(port),
          '--state',
          path.join(dir, 'st'),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const r = await exited(child);
      t.is(r.code, 2);
      t.is(r.stderr, `darq: error: --metrics-port ${port}: the port is in use; pick another\n`);
      t.false(fs.existsSync(path.join(dir, 'st')), 'the run touched its state dir');
      t.false(fs.existsSync(path.join(dir, 'counts.jsonl')));
    } finally {
      busy.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
