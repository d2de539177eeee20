import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '@darq/parser';
import test from 'ava';
import { formatTimestamp, Job, regionOf, writeSearchTraceJsonl } from '../src/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const sqlFile = path.join(root, 'queries/paper/search-trends.sql');
const goldenFile = path.join(root, 'queries/paper/search-trends.golden.jsonl');
/** The committed golden was produced from this seeded trace. */
export const GOLDEN_TRACE = { rate: 50_000, events: 150_000, seed: 7 } as const;

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'darq-test-'));
}

/** A plain loop computing what the query means: the reference the engine is checked against. */
function reference(trace: string): { counts: string; anomalies: string } {
  const counts = new Map<number, Map<number, number>>();
  for (const line of fs.readFileSync(trace, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { term: string; ip: string; ts: number };
    if (!e.term.startsWith('fever')) continue;
    const w = e.ts - (e.ts % 500);
    let m = counts.get(w);
    if (!m) counts.set(w, (m = new Map()));
    const r = regionOf(e.ip);
    m.set(r, (m.get(r) ?? 0) + 1);
  }
  let out = '';
  const chains = new Map<number, number>();
  const alerts: { w: number; r: number; line: string }[] = [];
  for (const w of [...counts.keys()].sort((a, b) => a - b)) {
    const m = counts.get(w)!;
    for (const r of [...m.keys()].sort((a, b) => a - b)) {
      const row = {
        region: r,
        window_start: formatTimestamp(w),
        window_end: formatTimestamp(w + 500),
        searches: m.get(r)!,
      };
      out += `${JSON.stringify(row)}\n`;
      // The paper's detector: h = h * 31 + count (32-bit), from 17; an anomaly when h % 256 = 0.
      const chain = (Math.imul(chains.get(r) ?? 17, 31) + row.searches) | 0;
      chains.set(r, chain);
      if (chain % 256 === 0) alerts.push({ w, r, line: `${JSON.stringify({ ...row, chain })}\n` });
    }
  }
  return { counts: out, anomalies: alerts.map((a) => a.line).join('') };
}

async function runQuery(
  trace: string,
  out: string,
  state: string,
  extra: Record<string, unknown> = {},
  anomalies = `${out}.anomalies`,
) {
  const { program, diagnostics } = compile(fs.readFileSync(sqlFile, 'utf8'), { file: sqlFile });
  if (!program) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const job = await Job.create(program, {
    stateDir: state,
    baseDir: path.dirname(sqlFile),
    inputs: { searches: trace },
    outputs: { region_counts: out, anomalies },
    ...extra,
  });
  return job.run();
}

test('search-trends.sql matches its committed golden output and a hand-written reference', async (t) => {
  const dir = tmp();
  const trace = path.join(dir, 'searches.jsonl');
  writeSearchTraceJsonl(trace, GOLDEN_TRACE);
  const out = path.join(dir, 'out.jsonl');
  const summary = await runQuery(trace, out, path.join(dir, 'state'));
  const actual = fs.readFileSync(out, 'utf8');
  const ref = reference(trace);
  t.is(actual, ref.counts);
  t.is(fs.readFileSync(`${out}.anomalies`, 'utf8'), ref.anomalies);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(goldenFile, actual);
  t.is(actual, fs.readFileSync(goldenFile, 'utf8'));
  t.is(summary.eventsIn, GOLDEN_TRACE.events);
  t.is(
    summary.rowsOut,
    actual.split('\n').filter(Boolean).length + ref.anomalies.split('\n').filter(Boolean).length,
  );
  t.is(summary.badRecords, 0);
});

test('the same output with group commit, non-speculative mode, machine persistence and parallelism 2', async (t) => {
  const dir = tmp();
  const trace = path.join(dir, 'searches.jsonl');
  writeSearchTraceJsonl(trace, GOLDEN_TRACE);
  const golden = fs.readFileSync(goldenFile, 'utf8');
  const variants: Record<string, unknown>[] = [
    { checkpointIntervalMs: 0 },
    { speculative: false },
    { persistence: 'machine', checkpointIntervalMs: 1 },
  ];
  for (const [i, v] of variants.entries()) {
    const out = path.join(dir, `out${i}.jsonl`);
    await runQuery(trace, out, path.join(dir, `state${i}`), v);
    t.is(fs.readFileSync(out, 'utf8'), golden, JSON.stringify(v));
  }
  const out = path.join(dir, 'par.jsonl');
  await runQuery(trace, out, path.join(dir, 'state-par'), { parallelism: 2 });
  const sorted = (s: string) => s.split('\n').filter(Boolean).sort().join('\n');
  t.is(sorted(fs.readFileSync(out, 'utf8')), sorted(golden), 'parallelism 2: the same multiset of rows');
});

test('malformed and mistyped input lines go to the dead-letter file, are counted, and do not stop the run', async (t) => {
  const dir = tmp();
  const trace = path.join(dir, 'searches.jsonl');
  const good = (ts: number, term = 'fever x') => JSON.stringify({ term, user_id: 1, ip: '10.0.0.1', ts });
  fs.writeFileSync(
    trace,
    [
      good(1000),
      '{"term": "fever", broken',
      good(1100),
      JSON.stringify({ term: 'fever y', user_id: 'not a number', ip: '10.0.0.1', ts: 1200 }),
      JSON.stringify({ term: 'fever z', user_id: 2, ip: '10.0.0.1', ts: 'yesterday' }),
      JSON.stringify({ term: 'fever n', user_id: 2, ip: '10.0.0.1', ts: null }),
      // Nanoseconds where milliseconds were meant: year 55 000 and more.
      JSON.stringify({ term: 'fever f', user_id: 2, ip: '10.0.0.1', ts: 1_700_000_000_000_000_000 }),
      good(1700),
    ].join('\n'),
  );
  const out = path.join(dir, 'out.jsonl');
  const state = path.join(dir, 'state');
  const summary = await runQuery(trace, out, state);
  t.is(summary.badRecords, 5);
  t.is(summary.eventsIn, 3);
  const dead = fs
    .readFileSync(summary.deadLetterPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { position: string; reason: string; raw: string });
  t.deepEqual(
    dead.map((d) => d.position),
    [`${trace}:2`, `${trace}:4`, `${trace}:5`, 'searches#2', 'searches#2'],
  );
  t.regex(dead[0]!.reason, /malformed jsonl/);
  t.regex(dead[1]!.reason, /user_id.*BIGINT/);
  t.regex(dead[2]!.reason, /ts.*TIMESTAMP/);
  t.regex(dead[3]!.reason, /event time is NULL/);
  t.regex(dead[4]!.reason, /in the future/);
  t.is(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length, 2);
});

test('a state dir of another query is refused with a clear message', async (t) => {
  const dir = tmp();
  const trace = path.join(dir, 'searches.jsonl');
  writeSearchTraceJsonl(trace, { rate: 1000, events: 100, seed: 1 });
  const state = path.join(dir, 'state');
  await runQuery(trace, path.join(dir, 'a.jsonl'), state);
  const { program } = compile(fs.readFileSync(sqlFile, 'utf8').replace("'500'", "'250'"), { file: sqlFile });
  const job = await Job.create(program!, {
    stateDir: state,
    baseDir: path.dirname(sqlFile),
    inputs: { searches: trace },
    outputs: { region_counts: path.join(dir, 'b.jsonl'), anomalies: path.join(dir, 'b2.jsonl') },
  });
  const err = await t.throwsAsync(() => job.run());
  t.regex(err!.message, /belongs to a different query/);
});

test("the paper's detector: a per-region hash chain over window counts flags a count that makes it a multiple of 256", async (t) => {
  const dir = tmp();
  const trace = path.join(dir, 'searches.jsonl');
  // Region of 10.0.0.1 is 11 mod 8 = 3. First window: 241 searches → 17 * 31 + 241 = 768 = 3 * 256: an anomaly.
  // Second window: 5 searches → 768 * 31 + 5, not a multiple of 256.
  const lines: string[] = [];
  for (let i = 0; i < 241; i++)
    lines.push(JSON.stringify({ term: 'fever a', user_id: i, ip: '10.0.0.1', ts: i }));
  for (let i = 0; i < 5; i++)
    lines.push(JSON.stringify({ term: 'fever b', user_id: i, ip: '10.0.0.1', ts: 600 + i }));
  fs.writeFileSync(trace, `${lines.join('\n')}\n`);
  const out = path.join(dir, 'out.jsonl');
  await runQuery(trace, out, path.join(dir, 'state'));
  t.is(
    fs.readFileSync(`${out}.anomalies`, 'utf8'),
    `${JSON.stringify({ region: 3, window_start: formatTimestamp(0), window_end: formatTimestamp(500), searches: 241, chain: 768 })}\n`,
  );
  t.is(reference(trace).anomalies, fs.readFileSync(`${out}.anomalies`, 'utf8'));
});
