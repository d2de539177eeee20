/**
 * The replay fast paths (issue #10) change nothing observable: SPLIT_INDEX without an array, CAST of short digit
 * text without a regex, JSONL lines found with indexOf instead of split, and machine persistence with the WAL's
 * fsync in the background (sinks still release only what is on disk).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from '@darq/darq-core';
import { fc, testProp } from '@fast-check/ava';
import test from 'ava';
import { FileSourceReader } from '../src/connectors/file-source.ts';
import { castFunction } from '../src/expr/cast.ts';
import { splitIndex } from '../src/expr/functions.ts';
import { type FormatColumn, jsonObjectDecoder } from '../src/formats/codec.ts';
import { DEFAULT_RUNTIME_OPTIONS, RuntimeContext } from '../src/runtime/context.ts';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'darq-fast-paths-'));

testProp(
  'SPLIT_INDEX is s.split(sep)[i] (whitespace runs for an empty sep)',
  [
    fc.string({ unit: fc.constantFrom('a', 'b', '.', ',', ' ', '1', '..', 'é') }),
    fc.constantFrom('.', ',', '..', 'ab', ' ', ''),
    fc.integer({ min: -2, max: 8 }),
  ],
  (t, s, sep, i) => {
    const expected =
      i < 0 ? null : ((sep === '' ? s.split(/\s+/).filter((p) => p !== '') : s.split(sep))[i] ?? null);
    t.is(splitIndex(s, sep, i), expected);
  },
);

/** CAST(text AS INT/BIGINT) as it was defined before the digit fast path. */
function castReference(v: string, min: number, max: number): number | null {
  const s = v.trim();
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(s)) return null;
  const n = Math.trunc(Number(s)) + 0;
  return Number.isFinite(n) && n >= min && n <= max ? n : null;
}

testProp(
  'CAST(VARCHAR AS INT / BIGINT) agrees with the regex definition',
  [
    fc.oneof(
      fc.string({ unit: fc.constantFrom('0', '1', '7', '9', ' ', '-', '+', '.', 'e', 'x', '\t') }),
      fc.stringMatching(/^\d{1,12}$/),
      fc.integer().map(String),
    ),
  ],
  (t, s) => {
    const toInt = castFunction({ kind: 'VARCHAR' }, { kind: 'INT' })!;
    const toBig = castFunction({ kind: 'VARCHAR' }, { kind: 'BIGINT' })!;
    t.is(toInt(s), castReference(s, -2147483648, 2147483647));
    t.is(toBig(s), castReference(s, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  },
);

const COLUMNS: FormatColumn[] = [
  { name: 'term', type: { kind: 'VARCHAR' } },
  { name: 'n', type: { kind: 'BIGINT' } },
];

/** A line of a JSONL file: good rows, wrong types, garbage, blank lines, CRLF endings, unicode. */
const line = fc.oneof(
  fc.record({ term: fc.string(), n: fc.integer() }).map((o) => JSON.stringify(o)),
  fc.record({ term: fc.string(), n: fc.string() }).map((o) => JSON.stringify(o)),
  fc.record({ term: fc.string() }).map((o) => `  ${JSON.stringify(o)}\r`),
  fc.constantFrom('', '\r', ' ', '{', '[1,2]', 'null', '{"term":"a\tb"}', '{"n":1.5}', '{"term":"é ✓ 😀"}'),
  fc.string({ unit: fc.constantFrom('{', '}', '"', ':', ',', 'a', '1', ' ') }),
);

testProp(
  'the file source reads every JSONL line as JSON.parse over split lines would, at any batch size',
  [fc.array(line, { maxLength: 40 }), fc.boolean(), fc.integer({ min: 1, max: 7 })],

  (t, lines, finalNewline, batch) => {
    const dir = tmpDir();
    const file = path.join(dir, 'in.jsonl');
    fs.writeFileSync(file, lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : ''));
    // The reference: the whole file split at newlines, one JSON.parse per non-blank line.
    const decode = jsonObjectDecoder(COLUMNS);
    const text = fs.readFileSync(file, 'utf8');
    const all = text.split('\n');
    if (finalNewline && lines.length > 0) all.pop();
    const want: unknown[] = [];
    all.forEach((l, i) => {
      const s = l.endsWith('\r') ? l.slice(0, -1) : l;
      if (s === '') return;
      try {
        want.push(decode(JSON.parse(s)));
      } catch {
        want.push(`bad ${file}:${i + 1} ${s}`);
      }
    });
    const reader = new FileSourceReader({ path: file, format: 'jsonl', columns: COLUMNS, chunkBytes: 64 });
    const rows: unknown[] = [];
    const bad: string[] = [];
    for (;;) {
      const r = reader.next(batch);
      if (r.kind !== 'batch') break;
      rows.push(...r.rows);
      for (const b of r.bad) bad.push(`bad ${b.position} ${b.raw}`);
    }
    reader.close();
    fs.rmSync(dir, { recursive: true, force: true });
    // Rows and dead letters travel separately: the rows in file order, the same bad lines with their numbers.
    t.deepEqual(
      rows,
      want.filter((e) => typeof e !== 'string'),
    );
    t.deepEqual(
      bad,
      want.filter((e): e is string => typeof e === 'string'),
    );
  },
);

test('machine persistence: a closed version is readable for sinks only once its background fsync is done', async (t) => {
  const dir = tmpDir();
  const worker = Worker.open({
    path: path.join(dir, 'w.sqlite'),
    persistence: 'machine',
    syncInBackground: true,
  });
  try {
    const darq = worker.participant('sink');
    const rt = new RuntimeContext(worker, { ...DEFAULT_RUNTIME_OPTIONS, persistence: 'machine' });
    rt.watch(darq, true);
    darq.enqueue('p', 1, [new Uint8Array([1])]);
    const v = worker.commit();
    rt.onCommitted(v);
    const persisted = new Promise<void>((resolve) => {
      const sub = worker.persisted$.subscribe((p) => {
        if (p >= v) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    if (worker.persisted < v) {
      t.deepEqual(rt.committed(darq, 0 as never, 10), [], 'nothing released before the fsync');
      await persisted;
    }
    t.is(rt.committed(darq, 0 as never, 10).length, 1, 'released once on disk');
    rt.dispose();
  } finally {
    worker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
