import { fc, testProp } from '@fast-check/ava';
import test from 'ava';
import { diffRows, failHeaders, RowPrinter, statementComplete } from '../src/index.ts';

function render(format: 'table' | 'csv' | 'jsonl', chunks: string[], hold = 0): string {
  let out = '';
  const p = new RowPrinter(
    format,
    (s) => {
      out += s;
    },
    hold,
  );
  for (const c of chunks) p.write(c);
  p.end();
  return out;
}

test('RowPrinter: csv quotes per RFC 4180 and writes NULL as an empty field', (t) => {
  const text = render('csv', ['{"a":1,"b":"x,y"}\n{"a":null,"b":"say \\"hi\\""}\n']);
  t.is(text, 'a,b\n1,"x,y"\n,"say ""hi"""\n');
});

test('RowPrinter: a line split across two writes is printed once, whole', (t) => {
  t.is(render('csv', ['{"a":1}\n{"a"', ':2}\n']), 'a\n1\n2\n');
  t.is(render('jsonl', ['{"a":1}\n', '{"a":2}\n']), '{"a":1}\n{"a":2}\n');
});

test('RowPrinter: a table widens its columns for later, longer values and closes with a border', (t) => {
  const text = render('table', ['{"k":"a","n":1}\n', '{"k":"longer","n":22}\n']);
  t.is(
    text,
    ['┌───┬───┐', '│ k │ n │', '├───┼───┤', '│ a │ 1 │', '│ longer │ 22 │', '└────────┴────┘', ''].join('\n'),
  );
  // Held back (the shell), the same rows are aligned as a whole.
  t.is(
    render('table', ['{"k":"a","n":1}\n', '{"k":"longer","n":22}\n'], 10),
    [
      '┌────────┬────┐',
      '│ k      │ n  │',
      '├────────┼────┤',
      '│ a      │ 1  │',
      '│ longer │ 22 │',
      '└────────┴────┘',
      '',
    ].join('\n'),
  );
});

test('diffRows: equal multisets (any order, any key order) have no diff; a changed row is - and +', (t) => {
  t.deepEqual(diffRows(['{"a":1,"b":2}', '{"a":1,"b":2}'], ['{"b":2,"a":1}', '{"a":1,"b":2}']), []);
  t.deepEqual(diffRows(['{"a":1}', '{"a":2}'], ['{"a":1}', '{"a":3}']), [
    'expected 2 rows, got 2: 1 missing (-), 1 unexpected (+)',
    '- {"a":2}',
    '+ {"a":3}',
  ]);
  // Duplicates count.
  t.is(diffRows(['{"a":1}', '{"a":1}'], ['{"a":1}']).length, 2);
});

testProp(
  'diffRows: a permutation of the same rows never differs; one extra row is reported as exactly that row',
  [fc.array(fc.record({ a: fc.integer(), b: fc.string() }), { maxLength: 30 }), fc.nat()],
  (t, rows, seed) => {
    const lines = rows.map((r) => JSON.stringify(r));
    const shuffled = [...lines].sort((x, y) => ((x.length * 31 + seed) % 7) - ((y.length * 31 + seed) % 7));
    const extra = JSON.stringify({ a: 0.5, b: 'extra' });
    const diff = diffRows(lines, [...shuffled, extra]);
    t.deepEqual(diffRows(lines, shuffled), []);
    t.is(diff.length, 2);
    t.is(diff[1], `+ ${extra}`);
  },
);

test('statementComplete: a ; ends a statement only outside quotes and comments', (t) => {
  t.true(statementComplete('SELECT 1;'));
  t.true(statementComplete('SELECT 1\n  ;  '));
  t.false(statementComplete("SELECT ';"));
  t.false(statementComplete("SELECT 'a;'"));
  t.false(statementComplete('SELECT 1 -- done;'));
  t.true(statementComplete('SELECT "x;y" FROM t;'));
  t.false(statementComplete(''));
});

test('failHeaders: -- fail: lines of the leading comment block only', (t) => {
  t.deepEqual(
    failHeaders("-- fail: unknown column 'c'\n-- note\n-- FAIL:  second \nSELECT 1;\n-- fail: late"),
    ["unknown column 'c'", 'second'],
  );
  t.deepEqual(failHeaders('SELECT 1;'), []);
});

test('RowPrinter debezium-json: +I → c, a -U with its +U → one u, -D → d, append-only rows → c', (t) => {
  let text = '';
  const p = new RowPrinter('debezium-json', (s) => {
    text += s;
  });
  p.write('{"k":1,"n":1,"op":"+I"}\n{"k":1,"n":1,"op":"-U"}\n');
  p.write('{"k":1,"n":2,"op":"+U"}\n{"k":1,"n":2,"op":"-D"}\n{"k":2,"n":5}\n');
  p.end();
  t.deepEqual(
    text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [
      { before: null, after: { k: 1, n: 1 }, op: 'c' },
      { before: { k: 1, n: 1 }, after: { k: 1, n: 2 }, op: 'u' },
      { before: { k: 1, n: 2 }, after: null, op: 'd' },
      { before: null, after: { k: 2, n: 5 }, op: 'c' },
    ],
  );
});
