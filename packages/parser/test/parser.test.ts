import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { SqlParser } from '../src/grammar/parser.ts';
import {
  CODES,
  compile,
  explain,
  type FunctionRegistry,
  formatDiagnostic,
  type LogicalNode,
  type Program,
  parse,
  typeToString,
  type WindowAggregate,
} from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');

function ok(sql: string, file?: string, functions?: FunctionRegistry): Program {
  const r = compile(sql, { ...(file === undefined ? {} : { file }), ...(functions ? { functions } : {}) });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !r.program)
    throw new Error(errors.map((d) => formatDiagnostic(d, sql)).join('\n') || 'no program');
  return r.program;
}

function chain(n: LogicalNode): string[] {
  const out: string[] = [n.kind];
  let cur: LogicalNode | undefined = n;
  while (cur && 'input' in cur) {
    cur = cur.input;
    out.push(cur.kind);
  }
  return out;
}

const SEARCH_TRENDS = `
CREATE SOURCE searches (
  term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0' MILLISECOND
) WITH (connector = 'file', path = 'searches.jsonl', format = 'jsonl');
CREATE SINK region_counts WITH (connector = 'file', path = 'region_counts.jsonl', format = 'jsonl');
CREATE FUNCTION region FROM 'udfs.ts';
INSERT INTO region_counts
SELECT MOD(CAST(SPLIT_INDEX(ip, '.', 0) AS INT) + CAST(SPLIT_INDEX(ip, '.', 1) AS INT) + CAST(SPLIT_INDEX(ip, '.', 2) AS INT) + CAST(SPLIT_INDEX(ip, '.', 3) AS INT), 8) AS region,
       window_start, window_end, COUNT(*) AS n
FROM TABLE(TUMBLE(TABLE searches, DESCRIPTOR(ts), INTERVAL '500' MILLISECOND))
WHERE term LIKE 'fever%'
GROUP BY MOD(CAST(SPLIT_INDEX(ip, '.', 0) AS INT) + CAST(SPLIT_INDEX(ip, '.', 1) AS INT) + CAST(SPLIT_INDEX(ip, '.', 2) AS INT) + CAST(SPLIT_INDEX(ip, '.', 3) AS INT), 8), window_start, window_end;
`;

test('the paper pipeline compiles to Project(WindowAggregate(Filter(Scan)))', (t) => {
  const p = ok(SEARCH_TRENDS);
  t.deepEqual(
    p.sources.map((s) => s.name),
    ['searches'],
  );
  t.deepEqual(p.sources[0]!.options, { connector: 'file', path: 'searches.jsonl', format: 'jsonl' });
  t.is(p.sources[0]!.watermark?.column, 3);
  t.is(p.sources[0]!.schema.fields[3]!.timeAttribute, 'event');
  t.deepEqual(
    p.sinks.map((s) => s.name),
    ['region_counts'],
  );
  t.deepEqual(p.functions, [
    { name: 'region', path: 'udfs.ts', aggregate: false, span: p.functions[0]!.span },
  ]);
  t.is(p.statements.length, 1);
  const st = p.statements[0]!;
  if (st.kind !== 'Insert') throw new Error('expected an INSERT');
  t.is(st.sink, 'region_counts');
  t.deepEqual(chain(st.plan), ['Project', 'WindowAggregate', 'Filter', 'Scan']);
  const wa = (st.plan as { input: WindowAggregate }).input;
  // user_id is pruned from the scan: ts is input column 2
  t.deepEqual(wa.window, { kind: 'TUMBLE', timeColumn: 2, sizeMs: 500 });
  t.is(wa.emit, 'final');
  t.is(wa.changelog, 'append');
  t.deepEqual(
    wa.aggs.map((a) => [a.fn, a.args.length, a.name]),
    [['COUNT', 0, 'n']],
  );
  t.deepEqual(
    wa.schema.fields.map((f) => `${f.name}:${f.type.kind}${f.timeAttribute ? `:${f.timeAttribute}` : ''}`),
    [
      'region:INT',
      'window_start:TIMESTAMP',
      'window_end:TIMESTAMP',
      'window_time:TIMESTAMP:event',
      'n:BIGINT',
    ],
  );
  t.deepEqual(
    st.plan.schema.fields.map((f) => f.name),
    ['region', 'window_start', 'window_end', 'n'],
  );
  t.is(st.plan.changelog, 'append');
  t.deepEqual((wa.input as unknown as { input: { columns: number[] } }).input.columns, [0, 2, 3]);
});

test('epoch milliseconds become event time through a computed column', (t) => {
  const p = ok(`
    CREATE SOURCE s (ts BIGINT, term VARCHAR, rowtime AS TO_TIMESTAMP_LTZ(ts, 3), WATERMARK FOR rowtime AS rowtime)
      WITH (connector = 'file', path = 's.jsonl');
    SELECT term, window_end, COUNT(*) AS n
    FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(rowtime), INTERVAL '1' SECOND))
    GROUP BY term, window_start, window_end;`);
  const src = p.sources[0]!;
  t.is(src.columns[2]!.expr?.kind, 'Call');
  t.deepEqual(src.schema.fields[2], {
    name: 'rowtime',
    type: { kind: 'TIMESTAMP', precision: 3, ltz: true },
    nullable: true,
    timeAttribute: 'event',
  });
  const st = p.statements[0]!;
  if (st.kind !== 'Select') throw new Error('expected a SELECT');
  t.deepEqual(chain(st.plan), ['Project', 'WindowAggregate', 'Scan']);
});

test('a typo in a keyword and in a column give a caret and a suggestion', (t) => {
  const sql = `CREATE SOURCE searches (term VARCHAR, user_id BIGINT) WITH (connector = 'file');\nSELCT term FROM searches;\nSELECT user_idd FROM searches;`;
  const r = compile(sql, { file: 'q.sql' });
  t.is(r.program, undefined);
  t.deepEqual(
    r.diagnostics.map((d) => formatDiagnostic(d, sql)),
    [
      "q.sql:2:1: error[E105]: unknown statement 'SELCT'\n2 | SELCT term FROM searches;\n  | ^^^^^\nhint: did you mean 'SELECT'?",
      "q.sql:3:8: error[E201]: unknown column 'user_idd'\n3 | SELECT user_idd FROM searches;\n  |        ^^^^^^^^\nhint: did you mean 'user_id'?",
    ],
  );
});

test('parse keeps going after a broken statement and reports positions', (t) => {
  const r = parse('SELECT 1;\nSELECT (1 FROM t;\nSELECT 2', { file: 'x.sql' });
  t.is(r.statements.length, 2);
  t.is(r.diagnostics.length, 1);
  t.like(r.diagnostics[0]!.span, { file: 'x.sql', start: { line: 2, column: 11 } });
});

test('keywords are case-insensitive and quoted reserved words are names', (t) => {
  const p =
    ok(`create source "count" (\`timestamp\` timestamp(3), "window" bigint, watermark for \`timestamp\` as \`timestamp\`)
    with (connector = 'file');
    select "window", \`timestamp\` from "count" where "window" > 0;`);
  t.deepEqual(
    p.sources[0]!.schema.fields.map((f) => f.name),
    ['timestamp', 'window'],
  );
});

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.sql') ? [p] : [];
  });
}

// Every script under queries/ compiles (batch/ holds plain SQL for the batch cross-check, not our dialect).
const queryFiles = walk(join(root, 'queries')).filter((f) => !f.includes(`${join('nexmark', 'batch')}`));
test('every queries/**/*.sql script compiles (or fails as its header says)', (t) => {
  t.true(queryFiles.length > 0);
  for (const f of queryFiles) {
    const sql = readFileSync(f, 'utf8');
    const rel = relative(root, f);
    const expected = /^--\s*fail:\s*(.*)$/m.exec(sql)?.[1]?.trim();
    const r = compile(sql, { file: rel });
    if (expected !== undefined) {
      t.true(
        r.diagnostics.some((d) => d.message.includes(expected)),
        `${rel}: expected a diagnostic containing ${JSON.stringify(expected)}`,
      );
    } else {
      t.deepEqual(
        r.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, sql)),
        [],
        rel,
      );
      t.truthy(r.program, rel);
    }
  }
});

// Negative cases: test/cases/fail/<CODE>-<name>.sql with a `-- fail: <message>` header.
const failDir = join(here, 'cases/fail');
const failFiles = readdirSync(failDir).filter((f) => f.endsWith('.sql'));
test('negative cases: each gives its code and message, with a span inside the text', (t) => {
  t.true(failFiles.length >= 60);
  for (const f of failFiles) {
    const sql = readFileSync(join(failDir, f), 'utf8');
    const expected = /^--\s*fail:\s*(.*)$/m.exec(sql)?.[1]?.trim() ?? '';
    const code = basename(f).split('-')[0]!;
    const r = compile(sql, { file: f });
    t.is(r.program, undefined, f);
    const first = r.diagnostics[0];
    t.truthy(first, `${f}: no diagnostic`);
    if (!first) continue;
    t.is(first.code, code, `${f}: ${first.code} ${first.message}`);
    t.true(
      first.message.includes(expected),
      `${f}: ${JSON.stringify(first.message)} lacks ${JSON.stringify(expected)}`,
    );
    t.true(first.span.start.offset >= 0 && first.span.end.offset <= sql.length + 1, f);
    t.true(first.span.start.line >= 2, `${f}: the span should point past the header`);
    t.regex(formatDiagnostic(first, sql), /\^/, f);
  }
});

test('every diagnostic code has a negative case', (t) => {
  const covered = new Set(failFiles.map((f) => f.split('-')[0]));
  t.deepEqual(
    Object.keys(CODES).filter((c) => !covered.has(c)),
    [],
  );
});

// EXPLAIN goldens: test/golden/<name>.sql → <name>.explain (UPDATE_GOLDEN=1 rewrites them).
const goldenDir = join(here, 'golden');
const goldens = readdirSync(goldenDir).filter((f) => f.endsWith('.sql'));
for (const g of goldens) {
  test(`EXPLAIN golden: ${g}`, (t) => {
    const sql = readFileSync(join(goldenDir, g), 'utf8');
    const text = `${explain(ok(sql))}\n`;
    const goldenFile = join(goldenDir, g.replace(/\.sql$/, '.explain'));
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(goldenFile)) writeFileSync(goldenFile, text);
    t.is(text, readFileSync(goldenFile, 'utf8'));
  });
}

test('NEXMark plans: window join, Top-N, dedup, interval join, lookup join', (t) => {
  const kinds = (file: string): string => {
    const p = ok(readFileSync(join(root, 'queries/nexmark', file), 'utf8'));
    const st = p.statements[0]!;
    const plan =
      st.kind === 'Explain' ? (st.target as { plan: LogicalNode }).plan : (st as { plan: LogicalNode }).plan;
    return explain({ ...p, sources: [], sinks: [], statements: [{ kind: 'Select', plan, span: st.span }] });
  };
  t.regex(kinds('q5.sql'), /Join inner variant=window/);
  t.regex(kinds('q8.sql'), /Join inner variant=window/);
  t.regex(kinds('q3.sql'), /Join inner variant=regular keys=\[seller#1=id#0\]/);
  t.regex(kinds('q9.sql'), /TopN partitionBy=\[id#0\] orderBy=\[price#12 DESC, dateTime#13 ASC\] limit=1/);
  t.regex(kinds('q18.sql'), /Deduplicate partitionBy=\[bidder#1, auction#0\] time=dateTime#5 keep=last/);
  t.regex(
    kinds('q19.sql'),
    /TopN partitionBy=\[auction#0\] orderBy=\[price#2 DESC\] limit=10 rowNumber=rank_number/,
  );
  t.regex(kinds('q11.sql'), /WindowAggregate SESSION\(time=dateTime#1, gap=10s, partitionBy=\[bidder#0\]\)/);
  t.regex(kinds('q12.sql'), /\*PROCTIME\*/);
  t.regex(kinds('q13.sql'), /variant=regular \(lookup\)/);
  const interval = ok(`
    CREATE SOURCE a (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'file');
    CREATE SOURCE b (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'file');
    SELECT a.id FROM a, b WHERE a.id = b.id AND b.ts BETWEEN a.ts - INTERVAL '1' MINUTE AND a.ts + INTERVAL '2' MINUTE;`);
  t.regex(
    explain(interval),
    /variant=interval keys=\[id#0=id#0\] interval=ts#1 in \[ts#1 \+ -1min, \+ 2min\]/,
  );
});

test('types follow Flink: decimal arithmetic, integer AVG, COUNT, CASE, UDF signatures', (t) => {
  const types = (file: string): string[] => {
    const p = ok(readFileSync(join(root, 'queries/nexmark', file), 'utf8'));
    const st = p.statements[0]!;
    if (st.kind !== 'Insert') throw new Error('expected an INSERT');
    return st.plan.schema.fields.map((f) => `${f.name} ${typeToString(f.type)}`);
  };
  t.deepEqual(types('q1.sql'), [
    'auction BIGINT',
    'bidder BIGINT',
    'price DECIMAL(23, 3)',
    'dateTime TIMESTAMP(3)',
    'extra VARCHAR',
  ]);
  t.deepEqual(types('q4.sql'), ['id BIGINT', 'final BIGINT']);
  t.deepEqual(types('q14.sql').slice(3), [
    'bidTimeType VARCHAR',
    'dateTime TIMESTAMP(3)',
    'extra VARCHAR',
    'c_counts BIGINT',
  ]);
  t.true(
    types('q15.sql')
      .slice(1)
      .every((c) => c.endsWith(' BIGINT')),
  );
  const p = ok(
    `CREATE SOURCE s (a INT, b DOUBLE, c DECIMAL(10, 2), d VARCHAR) WITH (connector = 'file');
     SELECT a + 1 AS i, a + b AS dbl, c * 2 AS dec, a / 2 AS q, CAST(d AS BIGINT) AS n, a || d AS s, f(d) AS u FROM s`,
    undefined,
    { f: { params: [{ kind: 'VARCHAR' }], returns: { kind: 'BOOLEAN' } } },
  );
  const st = p.statements[0]!;
  if (st.kind !== 'Select') throw new Error('expected a SELECT');
  t.deepEqual(
    st.plan.schema.fields.map((f) => `${f.name} ${typeToString(f.type)}`),
    ['i INT', 'dbl DOUBLE', 'dec DECIMAL(21, 2)', 'q INT', 'n BIGINT', 's VARCHAR', 'u BOOLEAN'],
  );
});

test('a broken definition is reported once, not again at every use', (t) => {
  const sql = `CREATE SOURCE s (a INT, b VARCAR) WITH (connector = 'file');
CREATE VIEW v AS SELECT a FROM s;
CREATE SINK o WITH (connector = 'file', connector = 'x');
SELECT * FROM v;
INSERT INTO o SELECT a FROM s;
SELECT nope FROM v;`;
  t.deepEqual(
    compile(sql).diagnostics.map((d) => `${d.span.start.line}:${d.code}`),
    ['1:E110', '3:E604'],
  );
});

test("the grammar passes chevrotain's validations (no ambiguity, no left recursion)", (t) => {
  t.notThrows(() => new SqlParser({ validate: true }));
});
