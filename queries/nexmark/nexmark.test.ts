import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

import { count_char } from './udfs.ts';

const here = dirname(fileURLToPath(import.meta.url));
const query = (n: number): string => readFileSync(join(here, `q${n}.sql`), 'utf8');
const numbers = Array.from({ length: 23 }, (_, n) => n);

test('q0..q22 exist, each with a header, its own sink and exactly one INSERT into it', (t) => {
  for (const n of numbers) {
    const sql = query(n);
    t.true(sql.startsWith(`-- NEXMark q${n}: `), `q${n} header`);
    t.regex(sql, /^-- Batch = streaming: (yes|NO)\b/m, `q${n} says whether batch = streaming`);
    t.regex(sql, new RegExp(`^CREATE SINK nexmark_q${n}\\b`, 'm'), `q${n} sink`);
    t.is(sql.match(/^INSERT INTO /gm)?.length, 1, `q${n} has one INSERT`);
    t.regex(sql, new RegExp(`^INSERT INTO nexmark_q${n}\\b`, 'm'), `q${n} inserts into its sink`);
    t.false(sql.includes('`'), `q${n}: double quotes, not backticks`);
  }
});

test('every source reads the one seeded generator with the same options', (t) => {
  const sources = new Map<string, string>();
  for (const n of numbers) {
    for (const m of query(n).matchAll(/CREATE SOURCE (\w+) \(([\s\S]*?)\)\s*WITH \(([^)]*)\);/g)) {
      const [, name, columns, options] = m;
      t.regex(
        columns!,
        /WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND/,
        `q${n} ${name} watermark`,
      );
      t.is(
        options!.replace(/\s+/g, ' '),
        `connector = 'nexmark', table = '${name}', events = '1000000', rate = '10000000', seed = '3'`,
        `q${n} ${name} options`,
      );
      const seen = sources.get(name!);
      if (seen) t.is(columns, seen, `q${n}: ${name} declared the same way everywhere`);
      else sources.set(name!, columns!);
    }
  }
  t.deepEqual([...sources.keys()].sort(), ['auction', 'bid', 'person']);
});

test('q13 side input: 10 000 rows "i,i", no header', (t) => {
  const lines = readFileSync(join(here, 'data', 'side_input.csv'), 'utf8').split('\n');
  t.is(lines.pop(), '');
  t.is(lines.length, 10000);
  t.true(lines.every((l, i) => l === `${i},${i}`));
  t.regex(query(13), /path = 'data\/side_input\.csv'/);
});

test('count_char counts UTF-8 bytes equal to the first byte of its second argument', (t) => {
  t.is(count_char('accept', 'c'), 2);
  t.is(count_char('ABC', 'c'), 0);
  t.is(count_char('', 'c'), 0);
  t.is(count_char(null, 'c'), 0);
  t.is(count_char('abc', null), 0);
  t.is(count_char('abc', ''), 0);
  t.is(count_char('cat', 'cow'), 1, 'only the first byte of c matters');
  // 'é' is 0xC3 0xA9 in UTF-8, 'ü' is 0xC3 0xBC: the first byte 0xC3 matches both.
  t.is(count_char('éüa', 'é'), 2);
  t.is(count_char('éé', 'ü'), 2);
  t.is(count_char.returns, 'BIGINT');
  t.regex(query(14), /CREATE FUNCTION count_char \(s VARCHAR, c VARCHAR\) RETURNS BIGINT FROM 'udfs\.ts';/);
});
