import { PassThrough } from 'node:stream';
import test from 'ava';
import { StdinSourceReader } from '../src/connectors/stdin-source.ts';

const COLUMNS = [
  { name: 'n', type: { kind: 'BIGINT' } },
  { name: 's', type: { kind: 'VARCHAR' } },
] as never;

const turn = () => new Promise((r) => setImmediate(r));

test('lines split across chunks, CRLF and blank lines; one wake per burst; bad lines dead-lettered with their line', async (t) => {
  const input = new PassThrough();
  const r = new StdinSourceReader(COLUMNS, input);
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
  const r = new StdinSourceReader(COLUMNS, input);
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
  const r = new StdinSourceReader(COLUMNS, input);
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
  const r = new StdinSourceReader(COLUMNS, input, 8);
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
