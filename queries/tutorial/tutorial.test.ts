import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

import { compareMultisetExact, splitLines } from '../harness/compare.ts';
import { formatTimestamp } from '../harness/format.ts';
import { computeExpected, readClicks } from './expected.ts';

const here = dirname(fileURLToPath(import.meta.url));
const committed = (name: string): string[] => splitLines(readFileSync(join(here, name), 'utf8'));
const rows = (name: string): Record<string, string | number>[] =>
  committed(name).map((l) => JSON.parse(l) as Record<string, string | number>);

test('the committed expected files are what expected.ts computes from the inputs', (t) => {
  const expected = computeExpected();
  t.is(expected.size, 5);
  for (const [name, lines] of expected) {
    const r = compareMultisetExact(committed(name), lines);
    t.true(r.ok, `${name}: ${r.message} (run tsx queries/tutorial/expected.ts --write)`);
  }
});

test('every tutorial query names the expected files that hold its output', (t) => {
  const pairs: [string, string[]][] = [
    ['clicks_per_minute.sql', ['clicks_per_minute.expected.jsonl']],
    ['clicks_sliding.sql', ['clicks_sliding.expected.jsonl']],
    ['click_sessions.sql', ['click_sessions.expected.jsonl']],
    ['late_clicks.sql', ['clicks_per_minute_all.expected.jsonl', 'late_clicks.expected.jsonl']],
  ];
  for (const [sql, outputs] of pairs) {
    const text = readFileSync(join(here, sql), 'utf8');
    for (const o of outputs) t.true(text.includes(o), `${sql} mentions ${o}`);
    for (const o of outputs)
      t.true(text.includes(`CREATE SINK ${o.replace('.expected.jsonl', '')} `), `${sql} sink`);
  }
});

test('hand-checked facts about the expected outputs', (t) => {
  const clicks = readClicks('clicks.jsonl');
  t.is(clicks.length, 16);
  // Each click is in exactly one tumbling window, two hopping windows (size / slide = 2) and one session.
  const sum = (name: string, col: string): number => rows(name).reduce((s, r) => s + (r[col] as number), 0);
  t.is(sum('clicks_per_minute.expected.jsonl', 'clicks'), 16);
  t.is(sum('clicks_sliding.expected.jsonl', 'clicks'), 32);
  t.is(sum('click_sessions.expected.jsonl', 'clicks'), 16);
  // alice clicked at 10:00:05, 10:00:20 and 10:00:48.
  t.true(
    committed('clicks_per_minute.expected.jsonl').includes(
      '{"user_id":"alice","window_start":"2024-05-01T10:00:00","window_end":"2024-05-01T10:01:00","clicks":3}',
    ),
  );
  // alice's first four clicks are each < 30 s apart: one session from 10:00:05 to 10:01:10 + 30 s.
  t.true(
    committed('click_sessions.expected.jsonl').includes(
      '{"user_id":"alice","session_start":"2024-05-01T10:00:05","session_end":"2024-05-01T10:01:40","clicks":4}',
    ),
  );
  // Late: the two rows the SQL comment names; the rest of the 13 rows are counted in windows.
  t.deepEqual(
    rows('late_clicks.expected.jsonl').map((r) => r.ts),
    ['2024-05-01T10:00:58', '2024-05-01T10:01:30'],
  );
  t.is(readClicks('clicks_late.jsonl').length, 13);
  t.is(sum('clicks_per_minute_all.expected.jsonl', 'clicks'), 11);
});

test('timestamps are written as naive ISO-8601 with milliseconds only when non-zero', (t) => {
  t.is(formatTimestamp(Date.parse('2024-05-01T10:01:00Z')), '2024-05-01T10:01:00');
  t.is(formatTimestamp(Date.parse('2023-10-09T17:13:59.800Z')), '2023-10-09T17:13:59.800');
  t.is(formatTimestamp(0), '1970-01-01T00:00:00');
});
