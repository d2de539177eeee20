import { PassThrough } from 'node:stream';
import test from 'ava';
import { LineSplitter, StdinLog, StdinSourceReader } from '../src/connectors/stdin-source.ts';

const COLUMNS = [
  { name: 'n', type: { kind: 'BIGINT' } },
  { name: 's', type: { kind: 'VARCHAR' } },
] as never;

const turn = () => new Promise((r) => setImmediate(r));

test('lines split across chunks, CRLF and blank lines; one wake per burst; bad lines dead-lettered with their line', async (t) => {
  const input = new PassThrough();
  const r = new StdinSourceReader(COLUMNS, new StdinLog(input));
  let wakes = 0;
  r.onReadable(() => wakes++);
  t.deepEqual(r.next(10), { kind: 'wait' });
  input.write('{"n":1,"s":"a"}\r\n{"n":2,');
  input.write('"s":"b"}\n\n   \nnot json\n{"n":3,"s":"é"}\n');
  await turn();
  t.is(wakes, 1, 'woken once, when the queue went from empty to non-empty');
  const a = r.next(2);
  t.is(a.kind, 'batch');
  if (a.kind !== 'batch') return;
  t.deepEqual(a.rows, [
    [1, 'a'],
    [2, 'b'],
  ]);
  const b = r.next(10);
  if (b.kind !== 'batch') return t.fail();
  t.deepEqual(b.rows, [[3, 'é']]);
  t.is(b.bad.length, 1);
  t.is(b.bad[0]!.position, 'stdin:5');
  t.regex(b.bad[0]!.reason, /stdin:5: malformed jsonl/);
  t.is(b.bad[0]!.raw, 'not json');
  t.is(r.position(), 4);
  input.end('{"n":4,"s":"no newline at the end"}');
  await turn();
  const c = r.next(10);
  if (c.kind !== 'batch') return t.fail();
  t.deepEqual(c.rows, [[4, 'no newline at the end']]);
  t.deepEqual(r.next(10), { kind: 'eof' });
});

test('a multi-byte character split between chunks survives', async (t) => {
  const input = new PassThrough();
  const r = new StdinSourceReader(COLUMNS, new StdinLog(input));
  r.next(1);
  const bytes = Buffer.from('{"n":1,"s":"日本"}\n');
  input.write(bytes.subarray(0, 13));
  input.write(bytes.subarray(13));
  input.end();
  await turn();
  const a = r.next(10);
  if (a.kind !== 'batch') return t.fail();
  t.deepEqual(a.rows, [[1, '日本']]);
});

test('a resumed reader skips the lines its last commit consumed', async (t) => {
  const input = new PassThrough();
  const r = new StdinSourceReader(COLUMNS, new StdinLog(input));
  r.seek(2);
  r.next(1);
  input.end('{"n":1,"s":"a"}\n\n{"n":2,"s":"b"}\n{"n":3,"s":"c"}\n');
  await turn();
  const a = r.next(10);
  if (a.kind !== 'batch') return t.fail();
  t.deepEqual(a.rows, [[3, 'c']]);
  t.is(r.position(), 3);
});

test('past the high-water mark the input is paused until a batch is taken', async (t) => {
  const input = new PassThrough();
  let paused = 0;
  let resumed = 0;
  const pause = input.pause.bind(input);
  const resume = input.resume.bind(input);
  input.pause = () => {
    paused++;
    return pause();
  };
  input.resume = () => {
    resumed++;
    return resume();
  };
  const r = new StdinSourceReader(COLUMNS, new StdinLog(input, undefined, 8));
  r.next(1);
  let text = '';
  for (let i = 0; i < 10; i++) text += `{"n":${i},"s":"x"}\n`;
  input.write(text);
  await turn();
  t.is(paused, 1);
  const before = resumed;
  const a = r.next(8);
  if (a.kind !== 'batch') return t.fail();
  t.is(a.rows.length, 8);
  t.true(resumed > before, 'resumed once the queue drained below half');
});

test('a reader rebuilt after a rollback reads again from its restored position (retained log)', async (t) => {
  const input = new PassThrough();
  const log = new StdinLog(input);
  log.retain = true;
  const first = new StdinSourceReader(COLUMNS, log);
  first.next(1);
  input.write('{"n":1,"s":"a"}\n{"n":2,"s":"b"}\n{"n":3,"s":"c"}\n');
  await turn();
  const a = first.next(10);
  if (a.kind !== 'batch') return t.fail();
  t.is(a.rows.length, 3);
  // Rolled back to the version that had consumed one record: a new reader over the same log.
  first.close();
  log.trimTo(1);
  const again = new StdinSourceReader(COLUMNS, log);
  again.seek(1);
  input.end('{"n":4,"s":"d"}\n');
  await turn();
  const b = again.next(10);
  if (b.kind !== 'batch') return t.fail();
  t.deepEqual(
    b.rows.map((r) => r[0]),
    [2, 3, 4],
  );
});

test('a stream handed over from a record index: positions and line numbers continue, and going back is refused', async (t) => {
  const input = new PassThrough();
  const log = new StdinLog(input, { index: 100, line: 250 });
  const r = new StdinSourceReader(COLUMNS, log);
  r.seek(100);
  r.next(1);
  input.end('{"n":101,"s":"x"}\n\nbad\n');
  await turn();
  const a = r.next(10);
  if (a.kind !== 'batch') return t.fail();
  t.deepEqual(a.rows, [[101, 'x']]);
  t.is(a.bad[0]!.position, 'stdin:253');
  t.is(r.position(), 102);
  const err = t.throws(() => new StdinSourceReader(COLUMNS, log).seek(99));
  t.regex(err!.message, /cannot be read again/);
});

test('the supervisor-side splitter counts records and lines exactly as the reader does', (t) => {
  const seen: [string, number, number][] = [];
  const s = new LineSplitter();
  s.push('{"a":1}\r\n \t\n{"a"', (x, l, i) => seen.push([x, l, i]));
  s.push(':2}\n', (x, l, i) => seen.push([x, l, i]));
  s.end((x, l, i) => seen.push([x, l, i]));
  s.push('tail', () => t.fail('nothing without a newline'));
  s.end((x, l, i) => seen.push([x, l, i]));
  t.deepEqual(seen, [
    ['{"a":1}', 1, 0],
    ['', 2, -1],
    ['{"a":2}', 3, 1],
    ['tail', 4, 2],
  ]);
});
