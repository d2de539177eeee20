import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'packages/cli/bin/darq.js');
const goldenDir = path.join(root, 'packages/cli/test/golden');
const tutorial = 'queries/tutorial/clicks_per_minute.sql';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(p: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  p.stdout?.on('data', (d) => {
    stdout += d;
  });
  p.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

// Each child loads the engine through tsx (a few CPU-seconds): run at most two at a time on this 2-core box.
let running = 0;
const waiting: (() => void)[] = [];

/** Runs the real binary as a child process (stdin closed, stdout/stderr pipes: not a TTY). */
async function darq(args: string[], cwd = root, stdin?: string): Promise<Result> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(stdin);
    return await collect(child);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

test.beforeEach((t) => {
  t.timeout(10 * 60_000);
});

/** Compares with a committed golden file; UPDATE_GOLDEN=1 rewrites it. */
function golden(t: ExecutionContext, name: string, actual: string): void {
  const file = path.join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(goldenDir, { recursive: true });
    fs.writeFileSync(file, actual);
  }
  t.true(fs.existsSync(file), `golden ${name} is missing: run with UPDATE_GOLDEN=1`);
  t.is(actual, fs.readFileSync(file, 'utf8'), `differs from golden ${name} (UPDATE_GOLDEN=1 rewrites it)`);
}

/** The summary line with its timing figures replaced, so it can be compared with a golden. */
function stableSummary(stderr: string): string {
  return stderr
    .replace(/\d+\.\d\d s, [\d.]+( [kM])? events\/s/g, 'T s, R events/s')
    .replace(/\d+ versions? committed/g, 'N versions committed')
    .replace(/\/\S*darq-state-\w+/g, '<tmp-state>');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'darq-cli-test-'));
}

const CLICKS_SELECT = `CREATE SOURCE clicks (user_id VARCHAR, url VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH (connector = 'file', path = 'clicks.jsonl', format = 'jsonl');
SELECT user_id, url, ts FROM clicks WHERE user_id = 'alice';
`;

function selectScript(dir: string): string {
  fs.copyFileSync(path.join(root, 'queries/tutorial/clicks.jsonl'), path.join(dir, 'clicks.jsonl'));
  const file = path.join(dir, 'alice.sql');
  fs.writeFileSync(file, CLICKS_SELECT);
  return file;
}

// ---------------------------------------------------------------- explain

test('explain: text form of the tutorial query (golden)', async (t) => {
  const r = await darq(['explain', tutorial]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  golden(t, 'explain-clicks_per_minute.txt', r.stdout);
  // The things the plan must show, whatever the golden says.
  for (const s of [
    'Source clicks',
    'participants: s0.0',
    'watermark: (ts#2 - 5s)',
    'commit-gated',
    'speculative',
  ])
    t.true(r.stdout.includes(s), s);
});

test('explain: JSON form (golden), parseable, one entry per stage', async (t) => {
  const r = await darq(['explain', tutorial, '--format', 'json', '--no-speculative', '--parallelism', '2']);
  t.is(r.code, 0, r.stderr);
  golden(t, 'explain-clicks_per_minute.json', r.stdout);
  const m = JSON.parse(r.stdout) as {
    speculative: boolean;
    stages: { kind: string; boundary: string; participants: string[]; inputs: { partitioning: string }[] }[];
  };
  t.false(m.speculative);
  t.true(m.stages.some((s) => s.kind === 'source'));
  // Two participants of the window stage, fed by key; one sink gathering from both.
  t.true(m.stages.some((s) => s.participants.length === 2 && s.inputs[0]?.partitioning === 'hash(user_id)'));
  t.true(m.stages.some((s) => s.kind === 'sink' && s.inputs[0]?.partitioning === 'gather'));
  t.true(m.stages.filter((s) => s.kind === 'sink').every((s) => s.boundary === 'commit-gated'));
  t.true(m.stages.filter((s) => s.kind !== 'sink').every((s) => s.boundary === 'committed-input'));
});

test('explain: SVG rendered in-process, DOT as text', async (t) => {
  const [svg, dot] = await Promise.all([
    darq(['explain', tutorial, '--format', 'svg']),
    darq(['explain', tutorial, '--format', 'dot']),
  ]);
  t.is(svg.code, 0, svg.stderr);
  t.regex(svg.stdout, /^<\?xml[\s\S]*<svg[\s\S]*Source clicks[\s\S]*<\/svg>\s*$/);
  t.is(dot.code, 0, dot.stderr);
  t.regex(dot.stdout, /^digraph darq \{[\s\S]*"s0" -> "s1"[\s\S]*\}\n$/);
});

test('explain: an unknown format and a missing file are usage errors (exit 2)', async (t) => {
  const [fmt, missing] = await Promise.all([
    darq(['explain', tutorial, '--format', 'png']),
    darq(['explain', 'no/such/query.sql']),
  ]);
  t.is(fmt.code, 2);
  golden(t, 'explain-bad-format.stderr', fmt.stderr);
  t.is(missing.code, 2);
  t.is(missing.stderr, 'darq: error: cannot read no/such/query.sql: no such file\n');
});

// ---------------------------------------------------------------- run: formats and exit codes

test('run: a bare SELECT prints jsonl off a TTY, and table or csv on request (goldens)', async (t) => {
  const dir = tmpdir();
  const file = selectScript(dir);
  const [jsonl, table, csv] = await Promise.all([
    darq(['run', file]),
    darq(['run', file, '--format', 'table']),
    darq(['run', file, '--format', 'csv', '--quiet']),
  ]);
  for (const r of [jsonl, table, csv]) t.is(r.code, 0, r.stderr);
  golden(t, 'run-select.jsonl', jsonl.stdout);
  golden(t, 'run-select.table', table.stdout);
  golden(t, 'run-select.csv', csv.stdout);
  golden(t, 'run-select.stderr', stableSummary(jsonl.stderr));
  t.is(csv.stderr, '', '--quiet prints no summary');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('run: exit 1 for a runtime failure, 2 for a usage error, 3 past --max-bad-records', async (t) => {
  const dir = tmpdir();
  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(
    bad,
    '{"user_id":"a","url":"/x","ts":"2024-05-01T10:00:05Z"}\nnot json\n{"user_id":"b","url":"/y","ts":"2024-05-01T10:00:06Z"}\n',
  );
  const dead = path.join(dir, 'dead.jsonl');
  const [missingInput, badFlag, unknownCommand, tooBad, tolerated, piped] = await Promise.all([
    darq(['run', tutorial, '--input', 'clicks=/nonexistent/clicks.jsonl', '--output', 'clicks_per_minute=-']),
    darq(['run', tutorial, '--parallelism', 'two']),
    darq(['frobnicate']),
    darq([
      'run',
      tutorial,
      '--input',
      `clicks=${bad}`,
      '--output',
      'clicks_per_minute=-',
      '--max-bad-records',
      '0',
      '--dead-letter',
      dead,
    ]),
    darq([
      'run',
      tutorial,
      '--input',
      `clicks=${bad}`,
      '--output',
      'clicks_per_minute=-',
      '--max-bad-records',
      '1',
      '--dead-letter',
      `${dead}2`,
    ]),
    // A script piped into the shell: no prompts, and exit code 2 when a statement had a SQL error.
    darq(['sql', '--history', path.join(dir, 'history')], root, 'SELECT x FROM nowhere;\n'),
  ]);
  t.is(piped.code, 2);
  t.is(
    piped.stdout,
    "<shell>:1:15: error[E203]: unknown table 'nowhere'\n1 | SELECT x FROM nowhere;\n  |               ^^^^^^^\nhint: declare it with CREATE SOURCE\n",
  );
  t.is(piped.stderr, 'darq: error: 1 statement of the script failed\n');
  t.is(missingInput.code, 1, missingInput.stderr);
  t.regex(
    missingInput.stderr,
    /^darq: error: cannot open source file \/nonexistent\/clicks\.jsonl: no such file\. .*--input name=path\.\n$/,
  );
  t.is(badFlag.code, 2);
  t.is(badFlag.stderr, "darq: error: --parallelism expects a whole number ≥ 1, got 'two'\n");
  t.is(unknownCommand.code, 2);
  t.regex(unknownCommand.stderr, /unknown command 'frobnicate'/);
  t.is(tooBad.code, 3, tooBad.stderr);
  t.regex(tooBad.stderr, /more than --max-bad-records 0 input records could not be read; see .*dead\.jsonl/);
  // The dead-letter file is checked on the run that reaches its end: after an exit-3 stop the engine does not
  // always release the dead letters yet (an engine defect, reported to the lead).
  t.is(tolerated.code, 0, tolerated.stderr);
  t.regex(tolerated.stderr, /1 bad records? →/);
  t.regex(fs.readFileSync(`${dead}2`, 'utf8'), /not json/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('run --metrics-port: Prometheus text scraped during a run; Ctrl-C (SIGINT) stops after a final commit', async (t) => {
  const dir = tmpdir();
  const input = path.join(dir, 'clicks.jsonl');
  fs.copyFileSync(path.join(root, 'queries/tutorial/clicks.jsonl'), input);
  const file = path.join(dir, 'follow.sql');
  // A source in tail mode never ends by itself: the run lasts until it is interrupted.
  fs.writeFileSync(file, CLICKS_SELECT.replace("format = 'jsonl'", "format = 'jsonl', mode = 'tail'"));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, 'run', file, '--metrics-port', String(port), '--state', path.join(dir, 'st')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const done = collect(child);
  let body = '';
  const deadline = Date.now() + 5 * 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      body = await res.text();
      if (/^darq_events_in_total 16$/m.test(body)) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGINT');
  const r = await done;
  t.regex(body, /^# TYPE darq_events_in_total counter$/m);
  t.regex(body, /^darq_events_in_total 16$/m);
  t.regex(body, /^darq_rows_out_total \d+$/m);
  t.regex(body, /^darq_committed_version \d+$/m);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /interrupted after a final commit/);
  t.is(r.stdout.trim().split('\n').length, 6, 'the six alice rows were released before the stop');
  fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- generate

test('generate: nexmark JSONL with a kind field (golden hash) and search-trace; bad flags exit 2', async (t) => {
  const dir = tmpdir();
  const nx = path.join(dir, 'n.jsonl');
  const st = path.join(dir, 's.jsonl');
  const [a, b, unknown, noOut, badEvents] = await Promise.all([
    darq(['generate', 'nexmark', '--events', '500', '--rate', '1000', '--out', nx]),
    darq(['generate', 'search-trace', '--events', '1000', '--seed', '7', '--out', st]),
    darq(['generate', 'tpch', '--out', nx]),
    darq(['generate', 'nexmark', '--events', '5']),
    darq(['generate', 'nexmark', '--events', '-3', '--out', nx]),
  ]);
  t.is(a.code, 0, a.stderr);
  const lines = fs.readFileSync(nx, 'utf8').trimEnd().split('\n');
  t.is(lines.length, 500);
  const kinds = new Map<string, number>();
  for (const l of lines) {
    const e = JSON.parse(l) as { kind: string; dateTime: number };
    kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
    t.true(Number.isInteger(e.dateTime));
  }
  // NEXMark proportions 1 : 3 : 46 per 50 events.
  t.deepEqual([kinds.get('person'), kinds.get('auction'), kinds.get('bid')], [10, 30, 460]);
  golden(
    t,
    'generate-nexmark-500.sha256',
    `${createHash('sha256').update(fs.readFileSync(nx)).digest('hex')}\n`,
  );
  t.regex(a.stderr, /^darq: wrote 500 NEXMark events/);
  t.is(b.code, 0, b.stderr);
  t.is(fs.readFileSync(st, 'utf8').trimEnd().split('\n').length, 1000);
  t.is(unknown.code, 2);
  t.is(unknown.stderr, "darq: error: unknown generator 'tpch'; available: search-trace, nexmark\n");
  t.is(noOut.code, 2);
  t.is(noOut.stderr, 'darq: error: darq generate nexmark needs --out PATH (the JSONL file to write)\n');
  t.is(badEvents.code, 2);
  fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- test (golden runner)

test('test: passes, a readable diff on mismatch, -- fail: headers, --update rewrites expected files', async (t) => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'rows.jsonl'), '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n{"a":3,"b":"z"}\n');
  const source = "CREATE SOURCE s (a INT, b VARCHAR) WITH (connector = 'file', path = 'rows.jsonl');\n";
  fs.writeFileSync(path.join(dir, 'pass.sql'), `${source}SELECT a, b FROM s WHERE a > 1;\n`);
  fs.writeFileSync(path.join(dir, 'pass.expected.jsonl'), '{"b":"z","a":3}\n{"a":2,"b":"y"}\n');
  fs.writeFileSync(path.join(dir, 'wrong.sql'), `${source}SELECT a FROM s;\n`);
  fs.writeFileSync(path.join(dir, 'wrong.expected.jsonl'), '{"a":1}\n{"a":2}\n{"a":4}\n');
  fs.writeFileSync(path.join(dir, 'typo.sql'), `-- fail: unknown column 'c'\n${source}SELECT c FROM s;\n`);
  fs.writeFileSync(path.join(dir, 'runs.sql'), `-- fail: something\n${source}SELECT a FROM s;\n`);
  fs.writeFileSync(path.join(dir, 'runs.expected.jsonl'), '');
  const first = await darq(['test', '.'], dir);
  t.is(first.code, 1);
  golden(t, 'test-fixture.stdout', first.stdout.replace(/, [\d.]+ s\)/, ', T s)'));
  t.is(first.stderr, 'darq: error: 2 of 4 cases failed\n');

  fs.rmSync(path.join(dir, 'runs.sql'));
  const update = await darq(['test', '.', '--update'], dir);
  t.is(update.code, 0, `${update.stdout}${update.stderr}`);
  t.regex(update.stdout, /^update +wrong\.sql \(3 rows\)$/m);
  t.is(fs.readFileSync(path.join(dir, 'wrong.expected.jsonl'), 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
  t.is(
    fs.readFileSync(path.join(dir, 'pass.expected.jsonl'), 'utf8'),
    '{"b":"z","a":3}\n{"a":2,"b":"y"}\n',
    'equal rows are not rewritten',
  );
  // Each case straight, with a commit as soon as the previous one finished, and SIGKILLed then resumed.
  const again = await darq(['test', '.', '--modes', 'straight,frequent,killed'], dir);
  t.is(again.code, 0, `${again.stdout}${again.stderr}`);
  t.regex(again.stdout, /darq test: 3 passed, 0 failed/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('test: runs over queries/tutorial, one line per query and a count that matches the exit code', async (t) => {
  const r = await darq(['test', 'queries/tutorial']);
  const names = ['click_sessions.sql', 'clicks_per_minute.sql', 'clicks_sliding.sql', 'late_clicks.sql'];
  for (const n of names)
    t.regex(r.stdout, new RegExp(`^ok {5}queries/tutorial/${n.replace('.', '\\.')}`, 'm'));
  t.regex(r.stdout, /^ok {5}queries\/tutorial\/clicks_per_minute\.sql \(8 rows\)$/m);
  t.regex(r.stdout, /darq test: 4 passed, 0 failed \(4 files/);
  t.is(r.code, 0);
  t.false(fs.existsSync(path.join(root, 'queries/tutorial/out')), 'outputs go to a temporary dir');
});

// ---------------------------------------------------------------- help

test('--help on every command: a description, examples, exit 0', async (t) => {
  const commands = ['run', 'explain', 'test', 'generate', 'sql', 'demo'];
  const results = await Promise.all([darq(['--help']), ...commands.map((c) => darq([c, '--help']))]);
  for (const [i, r] of results.entries()) {
    const what = i === 0 ? 'darq --help' : `darq ${commands[i - 1]} --help`;
    t.is(r.code, 0, what);
    t.regex(r.stdout, /^Usage: darq/, what);
    t.regex(r.stdout, /Examples?:\n {2}\$ darq /, what);
  }
  t.regex(
    results[0]!.stdout,
    /Exit codes: 0 ok, 1 runtime failure, 2 usage or SQL error, 3 too many bad input records\./,
  );
});

// ---------------------------------------------------------------- sql (interactive, under a pseudo-terminal)

test('sql: multi-line statements, a SELECT as a table, \\explain, \\q and history, typed into tmux', async (t) => {
  const dir = tmpdir();
  fs.copyFileSync(path.join(root, 'queries/tutorial/clicks.jsonl'), path.join(dir, 'clicks.jsonl'));
  const socket = `darq-test-${process.pid}`;
  const session = 'shell';
  const history = path.join(dir, 'history');
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', session).stdout ?? '';
  /** Polls the screen until `ok` holds (bounded); returns the last screen. */
  const until = async (what: string, ok: (s: string) => boolean): Promise<string> => {
    const deadline = Date.now() + 5 * 60_000;
    let s = screen();
    while (!ok(s) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      s = screen();
    }
    t.true(ok(s), `waiting for ${what}; the screen shows:\n${s}`);
    return s;
  };
  // tmux reads an argument ending in ';' as a command separator: the ';' goes as a hex key.
  const typeLine = (text: string) => {
    const body = text.endsWith(';') ? text.slice(0, -1) : text;
    if (body) tmux('send-keys', '-t', session, '-l', body);
    if (text.endsWith(';')) tmux('send-keys', '-t', session, '-H', '3b');
    tmux('send-keys', '-t', session, 'Enter');
  };
  try {
    const started = tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '150',
      '-y',
      '50',
      '-c',
      dir,
      `${process.execPath} ${bin} sql --history ${history}`,
    );
    t.is(started.status, 0, started.stderr);
    await until('the prompt', (s) => s.includes('darq> '));
    typeLine('CREATE SOURCE clicks (user_id VARCHAR, url VARCHAR, ts TIMESTAMP(3))');
    await until('the continuation prompt', (s) => s.includes(' ...> '));
    typeLine("  WITH (connector = 'file', path = 'clicks.jsonl', format = 'jsonl');");
    await until('the source to be defined', (s) => /^ok: source clicks$/m.test(s));
    typeLine("SELECT user_id, url FROM clicks WHERE user_id = 'alice';");
    const s = await until('the result table', (x) => /^\(6 rows, 16 events in/m.test(x));
    t.regex(s, /^│ user_id │ url {10}│$/m);
    t.regex(s, /^│ alice {3}│ \/products\/42 │$/m);
    typeLine('\\explain SELECT url FROM clicks');
    await until('the plan', (x) => x.includes('Physical plan:') && x.includes('commit-gated'));
    typeLine('SELECT nope FROM clicks;');
    await until('the diagnostic', (x) => /unknown column 'nope'/.test(x) && /\^\^\^\^/.test(x));
    typeLine('\\q');
    const deadline = Date.now() + 60_000;
    while (tmux('has-session', '-t', session).status === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    t.not(tmux('has-session', '-t', session).status, 0, 'the shell exits on \\q');
    const saved = fs.readFileSync(history, 'utf8');
    t.true(saved.includes("SELECT user_id, url FROM clicks WHERE user_id = 'alice';"), saved);
    t.true(
      saved.includes('CREATE SOURCE clicks (user_id VARCHAR, url VARCHAR, ts TIMESTAMP(3)) WITH (connector'),
      saved,
    );
  } finally {
    tmux('kill-server');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('run on a terminal: rows as a table, a live progress line on stderr, Ctrl-C stops after a final commit (tmux)', async (t) => {
  const dir = tmpdir();
  fs.copyFileSync(path.join(root, 'queries/tutorial/clicks.jsonl'), path.join(dir, 'clicks.jsonl'));
  fs.writeFileSync(
    path.join(dir, 'follow.sql'),
    CLICKS_SELECT.replace("format = 'jsonl'", "format = 'jsonl', mode = 'tail'"),
  );
  const socket = `darq-test-run-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'run').stdout ?? '';
  const until = async (what: string, ok: (s: string) => boolean): Promise<string> => {
    const deadline = Date.now() + 5 * 60_000;
    let s = screen();
    while (!ok(s) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      s = screen();
    }
    t.true(ok(s), `waiting for ${what}; the screen shows:\n${s}`);
    return s;
  };
  try {
    // remain-on-exit keeps the pane (and the summary line) after darq exits.
    const started = tmux(
      'new-session',
      '-d',
      '-s',
      'run',
      '-x',
      '150',
      '-y',
      '40',
      '-c',
      dir,
      `${process.execPath} ${bin} run follow.sql --state st; echo "exit code $?"; sleep 600`,
    );
    t.is(started.status, 0, started.stderr);
    const live = await until('the progress line', (s) =>
      /^darq: 16 events in \([\d.]+( k)?\/s\), 6 rows out, watermark [\d-]+ [\d:.]+ \(lag [^)]+\), version \d+, state [\d.]+ [KMG]iB/m.test(
        s,
      ),
    );
    t.regex(live, /^│ alice {3}│ \/products\/42 │ 2024-05-01T10:00:48 │$/m);
    tmux('send-keys', '-t', 'run', 'C-c');
    const end = await until('the exit code', (s) => /^exit code \d+$/m.test(s));
    t.regex(
      end,
      /^darq: interrupted after a final commit \(resume with the same --state\): 16 events in, 6 rows out/m,
    );
    t.regex(end, /^exit code 0$/m);
    t.regex(end, /^└─+┴─+┴─+┘$/m);
  } finally {
    tmux('kill-server');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
