import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSearchTraceJsonl } from '@darq/engine';
import test from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'packages/cli/bin/darq.js');
const sql = path.join(root, 'queries/paper/search-trends.sql');
const LONG = process.env.DARQ_LONG === '1';

function exited(p: ChildProcess): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  p.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

function run(args: string[]) {
  return exited(spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }));
}

const queryArgs = (trace: string, out: string, state: string) => [
  'run',
  sql,
  '--input',
  `searches=${trace}`,
  '--output',
  `region_counts=${out}.counts`,
  '--output',
  `anomalies=${out}.anomalies`,
  '--state',
  state,
];

/** Rows missing from, duplicated in, and foreign to `actual`, compared with `expected` (as multisets). */
function diff(expected: string, actual: string): { missing: number; duplicated: number; different: number } {
  const count = (text: string) => {
    const m = new Map<string, number>();
    for (const line of text.split('\n')) if (line) m.set(line, (m.get(line) ?? 0) + 1);
    return m;
  };
  const e = count(expected);
  const a = count(actual);
  let missing = 0;
  let duplicated = 0;
  let different = 0;
  for (const [line, n] of e) {
    const got = a.get(line) ?? 0;
    if (got < n) missing += n - got;
    if (got > n) duplicated += got - n;
  }
  for (const [line, n] of a) if (!e.has(line)) different += n;
  return { missing, duplicated, different };
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'darq-cluster-'));
}

test.serial(
  '1 worker, 3 workers speculative and 3 workers non-speculative commit the same output',
  async (t) => {
    t.timeout(5 * 60_000);
    const dir = tmp();
    const trace = path.join(dir, 'searches.jsonl');
    writeSearchTraceJsonl(trace, { rate: 10_000, events: 100_000, seed: 5 });
    const one = await run(queryArgs(trace, path.join(dir, 'one'), path.join(dir, 's1')));
    t.is(one.code, 0, one.stderr);
    const spec = await run([
      ...queryArgs(trace, path.join(dir, 'three'), path.join(dir, 's3')),
      '--workers',
      '3',
    ]);
    t.is(spec.code, 0, spec.stderr);
    t.regex(spec.stderr, /3 workers/);
    const base = await run([
      ...queryArgs(trace, path.join(dir, 'base'), path.join(dir, 'sb')),
      '--workers',
      '3',
      '--no-speculative',
    ]);
    t.is(base.code, 0, base.stderr);
    const golden = fs.readFileSync(path.join(dir, 'one.counts'), 'utf8');
    t.true(golden.split('\n').length > 100);
    for (const name of ['three', 'base']) {
      t.is(fs.readFileSync(path.join(dir, `${name}.counts`), 'utf8'), golden, `${name}: region_counts`);
      t.is(
        fs.readFileSync(path.join(dir, `${name}.anomalies`), 'utf8'),
        fs.readFileSync(path.join(dir, 'one.anomalies'), 'utf8'),
        `${name}: anomalies`,
      );
    }
    // A state dir remembers its cluster: resuming with another worker count is refused before anything runs.
    const wrong = await run([
      ...queryArgs(trace, path.join(dir, 'three'), path.join(dir, 's3')),
      '--workers',
      '2',
    ]);
    t.is(wrong.code, 2);
    t.regex(wrong.stderr, /--workers 3/);
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test.serial(
  `chaos: SIGKILL random workers and the finder while the paper pipeline runs on 3 workers; committed output equals a failure-free run${LONG ? ' (long form)' : ''}`,
  async (t) => {
    t.timeout(15 * 60_000);
    const dir = tmp();
    const trace = path.join(dir, 'searches.jsonl');
    const events = LONG ? 16_000_000 : 600_000;
    let query = sql;
    if (LONG) {
      // The long form needs a run of a minute or more: the trace is generated in the source (replayable by
      // position, no 1 GB file); the query is otherwise the same.
      query = path.join(dir, 'search-trends.sql');
      fs.copyFileSync(path.join(path.dirname(sql), 'udfs.ts'), path.join(dir, 'udfs.ts'));
      fs.writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}\n');
      fs.writeFileSync(
        query,
        fs
          .readFileSync(sql, 'utf8')
          .replace(
            /\) WITH \(connector = 'file', path = 'searches.jsonl', format = 'jsonl'\);/,
            `) WITH (connector = 'search-trace', events = '${events}', rate = '50000', seed = '21');`,
          ),
      );
      t.regex(fs.readFileSync(query, 'utf8'), /search-trace/);
    } else {
      writeSearchTraceJsonl(trace, { rate: 50_000, events, seed: 21 });
    }
    const args = (out: string, state: string) =>
      LONG
        ? [
            'run',
            query,
            '--output',
            `region_counts=${out}.counts`,
            '--output',
            `anomalies=${out}.anomalies`,
            '--state',
            state,
          ]
        : queryArgs(trace, out, state);
    const golden = await run(args(path.join(dir, 'golden'), path.join(dir, 'sg')));
    t.is(golden.code, 0, golden.stderr);
    const seed = Number(process.env.DARQ_SEED ?? Date.now() % 100_000);
    t.log(`chaos seed ${seed}`);
    const report = path.join(dir, 'chaos.json');
    const started = Date.now();
    const chaos = await run([
      ...args(path.join(dir, 'chaos'), path.join(dir, 'sc')),
      '--workers',
      '3',
      '--chaos',
      LONG ? `500:2000:${seed}` : `400:900:${seed}`,
      // Bounded, so a run on a loaded machine (slow restarts) still ends.
      '--chaos-kills',
      LONG ? '40' : '8',
      '--chaos-report',
      report,
    ]);
    t.is(chaos.code, 0, chaos.stderr);
    const r = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      kills: number;
      workerKills: number;
      finderKills: number;
      recoveryMs: { p50?: number; p99?: number; max?: number; measured: number };
    };
    t.log(
      `${r.kills} kills (${r.finderKills} of the finder), recovery p50 ${r.recoveryMs.p50?.toFixed(0)} ms, p99 ${r.recoveryMs.p99?.toFixed(0)} ms`,
    );
    t.true(r.kills >= (LONG ? 20 : 5), `only ${r.kills} kills happened before the run ended`);
    t.true(r.finderKills >= 1, 'the finder was never killed');
    t.true(r.workerKills >= 1, 'no worker was killed');
    let rows = 0;
    for (const sink of ['counts', 'anomalies']) {
      const expected = fs.readFileSync(path.join(dir, `golden.${sink}`), 'utf8');
      const actual = fs.readFileSync(path.join(dir, `chaos.${sink}`), 'utf8');
      const d = diff(expected, actual);
      t.deepEqual(
        d,
        { missing: 0, duplicated: 0, different: 0 },
        `${sink}: rows differ from the failure-free run`,
      );
      t.is(actual, expected, `${sink}: same rows, same order`);
      rows += expected.split('\n').filter(Boolean).length;
    }
    if (LONG) {
      fs.writeFileSync(
        path.join(root, 'bench/results/chaos-paper-long.json'),
        `${JSON.stringify(
          {
            what: 'paper pipeline on 3 worker processes + finder; random SIGKILL every 0.5-2 s (finder included); committed output compared with a failure-free single-worker run',
            date: new Date().toISOString(),
            events,
            rowsCompared: rows,
            missing: 0,
            duplicated: 0,
            different: 0,
            wallSeconds: (Date.now() - started) / 1000,
            seed,
            ...r,
          },
          null,
          2,
        )}\n`,
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test.serial(
  'the tentative stream, with its retractions applied, equals the committed output (workers killed meanwhile)',
  async (t) => {
    t.timeout(10 * 60_000);
    const { applyTentative } = await import('@darq/engine');
    const dir = tmp();
    const trace = path.join(dir, 'searches.jsonl');
    writeSearchTraceJsonl(trace, { rate: 20_000, events: 300_000, seed: 8 });
    const tentative = path.join(dir, 'tentative.jsonl');
    const r = await run([
      ...queryArgs(trace, path.join(dir, 'out'), path.join(dir, 'st')),
      '--workers',
      '3',
      '--tentative',
      tentative,
      '--chaos',
      `600:900:${Date.now() % 1000}`,
      '--chaos-kills',
      '3',
    ]);
    t.is(r.code, 0, r.stderr);
    const text = fs.readFileSync(tentative, 'utf8');
    t.regex(text, /"retract":/, 'a kill always leaves a retraction marker');
    t.regex(text, /"commit":/);
    const applied = applyTentative(text);
    for (const [sink, file] of [
      ['region_counts', 'out.counts'],
      ['anomalies', 'out.anomalies'],
    ] as const) {
      const committed = fs
        .readFileSync(path.join(dir, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown);
      t.deepEqual(applied.get(sink) ?? [], committed, `${sink}: tentative stream ≠ committed output`);
    }
    t.true((applied.get('region_counts') ?? []).length > 100);
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test.serial(
  '--cluster FILE: a cluster file places the workers; a bad one is refused before anything starts',
  async (t) => {
    t.timeout(5 * 60_000);
    const dir = tmp();
    const trace = path.join(dir, 'searches.jsonl');
    writeSearchTraceJsonl(trace, { rate: 10_000, events: 30_000, seed: 3 });
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({ secret: 'short', finder: { host: '127.0.0.1', port: 1 }, workers: [] }),
    );
    const refused = await run([
      ...queryArgs(trace, path.join(dir, 'x'), path.join(dir, 'sx')),
      '--cluster',
      bad,
    ]);
    t.is(refused.code, 2);
    t.regex(refused.stderr, /bad\.json: "secret" must be a string of at least 16 bytes/);
    t.false(fs.existsSync(path.join(dir, 'x.counts')));

    const { createServer } = await import('node:net');
    const port = () =>
      new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
    const spec = path.join(dir, 'cluster.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        secret: 'a-test-secret-with-enough-bytes-0123456789',
        finder: { host: '127.0.0.1', port: await port() },
        workers: [
          { id: 'east', host: '127.0.0.1', port: await port() },
          { id: 'west', host: '127.0.0.1', port: await port() },
        ],
      }),
    );
    const one = await run(queryArgs(trace, path.join(dir, 'one'), path.join(dir, 's1')));
    t.is(one.code, 0, one.stderr);
    const two = await run([
      ...queryArgs(trace, path.join(dir, 'two'), path.join(dir, 's2')),
      '--cluster',
      spec,
    ]);
    t.is(two.code, 0, two.stderr);
    t.true(fs.existsSync(path.join(dir, 's2', 'worker-east.sqlite')));
    t.true(fs.existsSync(path.join(dir, 's2', 'worker-west.sqlite')));
    t.is(
      fs.readFileSync(path.join(dir, 'two.counts'), 'utf8'),
      fs.readFileSync(path.join(dir, 'one.counts'), 'utf8'),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test.serial(
  'standard input survives the SIGKILL of the worker reading it: the supervisor re-feeds what its cut had not covered',
  async (t) => {
    t.timeout(3 * 60_000);
    const dir = tmp();
    const trace = path.join(dir, 'searches.jsonl');
    writeSearchTraceJsonl(trace, { rate: 10_000, events: 60_000, seed: 11 });
    const one = await run(queryArgs(trace, path.join(dir, 'one'), path.join(dir, 's1')));
    t.is(one.code, 0, one.stderr);
    // w0 runs the stdin source (participants are placed round-robin, the source first).
    const child = spawn(
      process.execPath,
      [
        bin,
        ...queryArgs('-', path.join(dir, 'three'), path.join(dir, 's3')),
        '--workers',
        '3',
        '--checkpoint-interval',
        '5',
        '--chaos-target',
        'w0',
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    const done = exited(child);
    const lines = fs.readFileSync(trace, 'utf8').split('\n');
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // A blank line and a CRLF line on the way: they must count exactly as the worker counts them.
    const chunks: string[] = [];
    for (let i = 0; i < lines.length; i += 2000) chunks.push(`${lines.slice(i, i + 2000).join('\n')}\n`);
    chunks[3] = `\n${chunks[3]!.replace('\n', '\r\n')}`;
    let killedAt = -1;
    for (let i = 0; i < chunks.length; i++) {
      if (!child.stdin!.write(chunks[i]!)) await new Promise((r) => child.stdin!.once('drain', r));
      await sleep(40);
      if (i === 12) {
        child.kill('SIGUSR2'); // the supervisor SIGKILLs w0 and restarts it
        killedAt = i;
      }
    }
    child.stdin!.end();
    const r = await done;
    t.is(r.code, 0, r.stderr);
    t.true(killedAt > 0);
    t.regex(r.stderr, /60,000 events in/);
    t.regex(r.stderr, /1 processes killed and recovered/);
    for (const ext of ['counts', 'anomalies']) {
      const want = fs.readFileSync(path.join(dir, `one.${ext}`), 'utf8');
      const got = fs.readFileSync(path.join(dir, `three.${ext}`), 'utf8');
      t.deepEqual(diff(want, got), { missing: 0, duplicated: 0, different: 0 }, ext);
      t.is(got, want, `${ext}: the same rows in the same order`);
    }
  },
);

test.serial(
  '--chaos-target names a process that is not there: exit 2 with the processes it could name',
  async (t) => {
    const dir = tmp();
    const trace = path.join(dir, 'searches.jsonl');
    writeSearchTraceJsonl(trace, { rate: 10_000, events: 1_000, seed: 1 });
    const r = await run([
      ...queryArgs(trace, path.join(dir, 'x'), path.join(dir, 's')),
      '--workers',
      '3',
      '--chaos-target',
      'w9',
    ]);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /--chaos-target w9: no such process here; use one of w0, w1, w2, finder/);
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
