import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { QueryError, runQuery } from '../src/index.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'darq-api-'));

const CLICKS = `
  CREATE SOURCE clicks (user_id BIGINT, url VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
    WITH (connector = 'memory');
  CREATE SINK counts WITH (connector = 'memory');
  INSERT INTO counts
  SELECT user_id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND))
  GROUP BY user_id, window_start, window_end;`;

const clicks = [
  { user_id: 1, url: '/a', ts: 0 },
  { user_id: 2, url: '/b', ts: 100 },
  { user_id: 1, url: '/c', ts: 900 },
  { user_id: 1, url: '/d', ts: 1500 },
];

test('runQuery: arrays in, callbacks out, no CLI involved', async (t) => {
  const out: Record<string, unknown>[] = [];
  const summary = await runQuery(CLICKS, {
    sources: { clicks },
    sinks: { counts: (rows) => out.push(...rows) },
  });
  t.deepEqual(out, [
    { user_id: 1, window_start: 0, n: 2 },
    { user_id: 2, window_start: 0, n: 1 },
    { user_id: 1, window_start: 1000, n: 1 },
  ]);
  t.is(summary.eventsIn, 4);
});

test('runQuery: an async iterable is a live source', async (t) => {
  async function* live() {
    for (const c of clicks) {
      await new Promise((r) => setImmediate(r));
      yield c;
    }
  }
  const out: Record<string, unknown>[] = [];
  await runQuery(CLICKS, { sources: { clicks: live() }, sinks: { counts: (rows) => out.push(...rows) } });
  t.is(out.length, 3);
});

test('runQuery: a SQL error is a QueryError with line, caret and hint; nothing runs', async (t) => {
  let called = false;
  const err = await t.throwsAsync(
    () =>
      runQuery(CLICKS.replace('COUNT(*)', 'COUNT(*) + usr_id'), {
        sources: { clicks },
        sinks: { counts: () => (called = true) },
      }),
    { instanceOf: QueryError },
  );
  t.regex(err!.message, /usr_id/);
  t.regex(err!.message, /\^/);
  t.false(called);
});

test('runQuery: a memory source without rows is a clear error', async (t) => {
  const err = await t.throwsAsync(() => runQuery(CLICKS, { sinks: { counts: () => {} } }));
  t.regex(err!.message, /pass its rows/);
});

const UDF_SQL = (dir: string) => `
  CREATE FUNCTION risky(url VARCHAR) RETURNS VARCHAR FROM '${path.join(dir, 'udfs.ts')}';
  CREATE SOURCE clicks (user_id BIGINT, url VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'memory');
  CREATE SINK out WITH (connector = 'memory');
  INSERT INTO out SELECT user_id, risky(url) AS r FROM clicks;`;

function writeUdf(dir: string) {
  fs.writeFileSync(
    path.join(dir, 'udfs.ts'),
    `/** @returns VARCHAR */\nexport function risky(url: string): string {\n  if (url === '/c') throw new Error('cannot handle /c');\n  return url.toUpperCase();\n}\n`,
  );
}

test('a UDF that throws ends the run with an error naming the function and the row; nothing of the step is kept', async (t) => {
  const dir = tmp();
  writeUdf(dir);
  const out: Record<string, unknown>[] = [];
  const err = await t.throwsAsync(() =>
    runQuery(UDF_SQL(dir), {
      sources: { clicks },
      sinks: { out: (rows) => out.push(...rows) },
      batchSize: 2,
    }),
  );
  t.regex(err!.message, /risky/);
  t.regex(err!.message, /\/c/);
  t.regex(err!.message, /cannot handle/);
  // Rows of the failed batch never reached the sink: only committed output is released, and the version that
  // held the failing step was discarded.
  t.false(out.some((r) => r.r === '/D'));
});

test("with onUdfError 'skip' the failing row goes to the dead-letter file and the run goes on", async (t) => {
  const dir = tmp();
  writeUdf(dir);
  const out: Record<string, unknown>[] = [];
  const stateDir = path.join(dir, 'state');
  const summary = await runQuery(UDF_SQL(dir), {
    sources: { clicks },
    sinks: { out: (rows) => out.push(...rows) },
    onUdfError: 'skip',
    stateDir,
  });
  t.deepEqual(
    out.map((r) => r.r),
    ['/A', '/B', '/D'],
  );
  t.is(summary.badRecords, 1);
  const dead = fs.readFileSync(summary.deadLetterPath, 'utf8').trim().split('\n');
  t.is(dead.length, 1);
  t.regex(dead[0]!, /risky/);
  t.regex(dead[0]!, /cannot handle/);
});

test('CSV input with a header; a follow-mode file source picks up appended lines', async (t) => {
  const dir = tmp();
  const csv = path.join(dir, 'clicks.csv');
  fs.writeFileSync(csv, 'user_id,url,ts\n1,"/a,x",1970-01-01T00:00:00\n2,/b,1970-01-01T00:00:00.100\n');
  const sql = (extra: string) => `
    CREATE SOURCE clicks (user_id BIGINT, url VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
      WITH (connector = 'file', path = '${csv}', format = 'csv', header = 'true'${extra});
    CREATE SINK out WITH (connector = 'memory');
    INSERT INTO out SELECT user_id, url FROM clicks;`;
  const out: Record<string, unknown>[] = [];
  await runQuery(sql(''), { sinks: { out: (rows) => out.push(...rows) } });
  t.deepEqual(out, [
    { user_id: 1, url: '/a,x' },
    { user_id: 2, url: '/b' },
  ]);

  const live: Record<string, unknown>[] = [];
  const abort = new AbortController();
  const run = runQuery(sql(", mode = 'tail'"), {
    sinks: { out: (rows) => live.push(...rows) },
    signal: abort.signal,
    checkpointIntervalMs: 1,
  });
  while (live.length < 2) await new Promise((r) => setTimeout(r, 5));
  fs.appendFileSync(csv, '3,/c,1970-01-01T00:00:01\n');
  while (live.length < 3) await new Promise((r) => setTimeout(r, 5));
  abort.abort();
  const summary = await run;
  t.is(summary.stopped, 'interrupted');
  t.deepEqual(
    live.map((r) => r.user_id),
    [1, 2, 3],
  );
});

test('an idle source stops holding back the watermark after its idle timeout', async (t) => {
  const dir = tmp();
  const quiet = path.join(dir, 'quiet.jsonl');
  fs.writeFileSync(quiet, '');
  const sql = (timeout: string) => `
    SET 'table.exec.source.idle-timeout' = '${timeout}';
    CREATE SOURCE busy (user_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'memory');
    CREATE SOURCE quiet (user_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
      WITH (connector = 'file', path = '${quiet}', format = 'jsonl', mode = 'tail');
    CREATE SINK out WITH (connector = 'memory');
    CREATE VIEW both_sources AS SELECT * FROM busy UNION ALL SELECT * FROM quiet;
    INSERT INTO out
    SELECT window_start, COUNT(*) AS n
    FROM TABLE(TUMBLE(TABLE both_sources, DESCRIPTOR(ts), INTERVAL '1' SECOND))
    GROUP BY window_start, window_end;`;
  async function* busy() {
    yield { user_id: 1, ts: 0 };
    yield { user_id: 2, ts: 500 };
    yield { user_id: 3, ts: 1500 };
    // Keep the run alive (a live source) until the test has seen the first window.
    while (!seen) await new Promise((r) => setTimeout(r, 5));
  }
  let seen = false;
  const out: Record<string, unknown>[] = [];
  const abort = new AbortController();
  const run = runQuery(sql('50 ms'), {
    sources: { busy: busy() },
    sinks: {
      out: (rows) => {
        out.push(...rows);
        seen = true;
      },
    },
    signal: abort.signal,
    checkpointIntervalMs: 1,
  });
  let failed: unknown;
  run.catch((e) => {
    failed = e;
  });
  while (!seen && failed === undefined) await new Promise((r) => setTimeout(r, 5));
  abort.abort();
  await run;
  // The quiet tail file never produced anything; without the idle timeout the window [0, 1 s) could not close.
  t.deepEqual(out[0], { window_start: 0, n: 2 });
});

test('past maxBadRecords the run stops, and the dead-letter file already holds the bad records', async (t) => {
  const dir = tmp();
  const file = path.join(dir, 'clicks.jsonl');
  fs.writeFileSync(file, '{"user_id":1,"url":"/a","ts":0}\nnot json\n{"user_id":1,"url":"/a","ts":"bad"}\n');
  const sql = `CREATE SOURCE clicks (user_id BIGINT, url VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
      WITH (connector = 'file', path = '${file}', format = 'jsonl');
    CREATE SINK out WITH (connector = 'memory');
    INSERT INTO out SELECT user_id, url FROM clicks;`;
  for (let i = 0; i < 3; i++) {
    const stateDir = path.join(dir, `state${i}`);
    const summary = await runQuery(sql, { sinks: { out: () => {} }, maxBadRecords: 0, stateDir });
    t.is(summary.stopped, 'too-many-bad-records');
    const dead = fs.readFileSync(summary.deadLetterPath, 'utf8').trim().split('\n');
    t.is(dead.length, 2);
  }
});

test('allowed lateness: a late row within it revises its window (-U/+U); past it the row is late', async (t) => {
  const sql = `SET 'table.exec.emit.allow-lateness' = '2 s';
    CREATE SOURCE clicks (user_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'memory');
    CREATE SINK out WITH (connector = 'memory');
    INSERT INTO out SELECT window_start, COUNT(*) AS n
    FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;`;
  const clicks = [
    { user_id: 1, ts: 100 },
    { user_id: 1, ts: 1500 }, // closes [0, 1 s): n = 1
    { user_id: 1, ts: 200 }, // late by 1.3 s, within 2 s: [0, 1 s) becomes n = 2
    { user_id: 1, ts: 3500 }, // closes [1 s, 2 s) and ends [0, 1 s)'s lateness
    { user_id: 1, ts: 300 }, // too late: dropped
  ];
  const out: Record<string, unknown>[] = [];
  for (const batchSize of [1, 1024]) {
    out.length = 0;
    const summary = await runQuery(sql, {
      sources: { clicks },
      sinks: { out: (rows) => out.push(...rows) },
      batchSize,
    });
    // An updating result's rows carry their change kind as "op".
    t.is(summary.lateRows, 1, `batch ${batchSize}`);
    t.deepEqual(
      out.map((r) => [r.op, r.window_start, r.n]),
      [
        ['+I', 0, 1],
        ['-U', 0, 1],
        ['+U', 0, 2],
        ['+I', 1000, 1],
        ['+I', 3000, 1],
      ],
      `batch ${batchSize}`,
    );
  }
});

test('processing-time windows fire on the wall clock while the input is still live', async (t) => {
  const sql = `CREATE SOURCE clicks (user_id BIGINT, pt AS PROCTIME()) WITH (connector = 'memory');
    CREATE SINK out WITH (connector = 'memory');
    INSERT INTO out SELECT window_start, COUNT(*) AS n
    FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(pt), INTERVAL '50' MILLISECOND)) GROUP BY window_start, window_end;`;
  let seen = false;
  async function* live() {
    for (let i = 0; i < 3; i++) yield { user_id: i };
    // The input stays open until a window has fired: only the clock can close it.
    while (!seen) await new Promise((r) => setTimeout(r, 5));
  }
  const out: Record<string, unknown>[] = [];
  await runQuery(sql, {
    sources: { clicks: live() },
    sinks: {
      out: (rows) => {
        out.push(...rows);
        seen = true;
      },
    },
    checkpointIntervalMs: 1,
  });
  t.true(seen);
  t.is(
    out.reduce((s, r) => s + (r.n as number), 0),
    3,
  );
});

test('SELECT DISTINCT, LIMIT and a window TVF without GROUP BY', async (t) => {
  const src = `CREATE SOURCE clicks (user_id BIGINT, url VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
    WITH (connector = 'memory');
    CREATE SINK out WITH (connector = 'memory');`;
  const run = async (query: string) => {
    const out: Record<string, unknown>[] = [];
    await runQuery(`${src} INSERT INTO out ${query};`, {
      sources: { clicks },
      sinks: { out: (r) => out.push(...r) },
    });
    return out;
  };
  t.deepEqual(await run('SELECT DISTINCT user_id FROM clicks'), [{ user_id: 1 }, { user_id: 2 }]);
  t.deepEqual(await run('SELECT url FROM clicks LIMIT 2'), [{ url: '/a' }, { url: '/b' }]);
  t.deepEqual(
    (
      await run(
        "SELECT url, window_start, window_end FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '2' SECOND))",
      )
    ).filter((r) => r.url === '/d'),
    [
      { url: '/d', window_start: 0, window_end: 2000 },
      { url: '/d', window_start: 1000, window_end: 3000 },
    ],
  );
});

test('EMIT CHANGES: a window emits its new result after every batch that changes it', async (t) => {
  const sql = `CREATE SOURCE clicks (user_id BIGINT, url VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
      WITH (connector = 'memory');
    CREATE SINK out WITH (connector = 'memory');
    INSERT INTO out SELECT window_start, COUNT(*) AS n
    FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end
    EMIT CHANGES;`;
  const out: Record<string, unknown>[] = [];
  await runQuery(sql, { sources: { clicks }, sinks: { out: (r) => out.push(...r) }, batchSize: 1 });
  t.deepEqual(
    out.map((r) => [r.op, r.window_start, r.n]),
    [
      ['+I', 0, 1],
      ['-U', 0, 1],
      ['+U', 0, 2],
      ['-U', 0, 2],
      ['+U', 0, 3],
      ['+I', 1000, 1],
    ],
  );
});

test("a regular join's kept rows expire after 'table.exec.state.ttl'", async (t) => {
  const sql = (ttl: string) => `${ttl ? `SET 'table.exec.state.ttl' = '${ttl}';` : ''}
    CREATE SOURCE l (k BIGINT, a VARCHAR) WITH (connector = 'memory');
    CREATE SOURCE r (k BIGINT, b VARCHAR) WITH (connector = 'memory');
    CREATE SINK out WITH (connector = 'memory');
    INSERT INTO out SELECT l.k, a, b FROM l JOIN r ON l.k = r.k;`;
  const run = async (ttl: string) => {
    // The left row comes at once; the right row only after 300 ms.
    async function* left() {
      yield { k: 1, a: 'x' };
    }
    async function* right() {
      await new Promise((res) => setTimeout(res, 300));
      yield { k: 1, b: 'y' };
    }
    const out: Record<string, unknown>[] = [];
    await runQuery(sql(ttl), {
      sources: { l: left(), r: right() },
      sinks: { out: (rows) => out.push(...rows) },
    });
    return out;
  };
  t.deepEqual(await run(''), [{ k: 1, a: 'x', b: 'y' }]);
  t.deepEqual(await run('50 ms'), [], 'the left row expired before the right one came');
});

test('interval join: matches within the interval, state dropped as the watermark passes, outer rows padded', async (t) => {
  const sql = (kind: string) => `
    CREATE SOURCE orders (id BIGINT, ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH (connector = 'memory');
    CREATE SOURCE ships (oid BIGINT, sts TIMESTAMP(3), WATERMARK FOR sts AS sts) WITH (connector = 'memory');
    CREATE SINK out WITH (connector = 'memory');
    INSERT INTO out SELECT id, oid, ots, sts FROM orders ${kind} JOIN ships
      ON id = oid AND sts BETWEEN ots AND ots + INTERVAL '10' SECOND;`;
  const orders = [
    { id: 1, ots: 1000 },
    { id: 2, ots: 2000 },
    { id: 3, ots: 3000 },
  ];
  const ships = [
    { oid: 1, sts: 5000 }, // within 10 s of order 1
    { oid: 2, sts: 15000 }, // 13 s after order 2: too late
    { oid: 3, sts: 2000 }, // before order 3: outside
    { oid: 4, sts: 6000 }, // no order
  ];
  const run = async (kind: string) => {
    const out: Record<string, unknown>[] = [];
    await runQuery(sql(kind), { sources: { orders, ships }, sinks: { out: (r) => out.push(...r) } });
    return out.map((r) => [r.id, r.oid]).sort((a, b) => String(a).localeCompare(String(b)));
  };
  t.deepEqual(await run('INNER'), [[1, 1]]);
  t.deepEqual(await run('LEFT'), [
    [1, 1],
    [2, null],
    [3, null],
  ]);
});
