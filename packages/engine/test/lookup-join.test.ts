import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compile } from '@darq/parser';
import test from 'ava';
import { Job, type JobOptions, SimulatedCrash } from '../src/index.ts';

/**
 * Lookup joins against a bounded file table (Flink's `FOR SYSTEM_TIME AS OF`, NEXMark q13), and equi-join keys
 * that are expressions. The stream is a JSONL file, the table a CSV file, both in a fresh directory.
 */
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'darq-lookup-'));

const ORDERS = Array.from({ length: 300 }, (_, i) => ({
  id: i,
  item: i % 7 === 6 ? null : 100 + (i % 13),
  qty: 1 + (i % 4),
  ts: 1_700_000_000_000 + i * 10,
}));
/** Items 100..109 (110..112 missing); 103 is there twice. */
const ITEMS = [
  ...Array.from({ length: 10 }, (_, i) => `${i},item-${i},${(i + 1) * 5}`),
  '3,item-3-bis,99',
].join('\n');

function setup(dir: string, items = ITEMS): void {
  fs.writeFileSync(path.join(dir, 'orders.jsonl'), `${ORDERS.map((o) => JSON.stringify(o)).join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'items.csv'), `${items}\n`);
}

const DDL = `
CREATE SOURCE orders (id BIGINT, item BIGINT, qty INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH (connector = 'file', path = 'orders.jsonl', format = 'jsonl');
CREATE TABLE items (code BIGINT, name VARCHAR, price INT)
  WITH (connector = 'file', path = 'items.csv', format = 'csv');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl', format = 'jsonl');
`;

const TEMPORAL = `${DDL}
INSERT INTO out
SELECT O.id, O.qty * I.price AS amount, I.name
FROM (SELECT *, PROCTIME() AS p FROM orders) O
JOIN items FOR SYSTEM_TIME AS OF O.p AS I
ON O.item - 100 = I.code AND I.price > 10;`;

async function run(
  dir: string,
  sql: string,
  extra: Partial<JobOptions> = {},
  crashAfterVersions?: number,
): Promise<string[]> {
  const { program, diagnostics } = compile(sql, { file: path.join(dir, 'q.sql') });
  if (!program) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const options: JobOptions = { stateDir: path.join(dir, 'state'), baseDir: dir, batchSize: 16, ...extra };
  if (crashAfterVersions !== undefined) {
    const crashed = await (await Job.create(program, { ...options, checkpointIntervalMs: 0 }))
      .run({ crashAfterVersions })
      .then(
        () => false,
        (e: unknown) => {
          if (e instanceof SimulatedCrash) return true;
          throw e;
        },
      );
    if (!crashed) throw new Error('finished before the simulated crash');
  }
  await (await Job.create(program, options)).run();
  return fs.readFileSync(path.join(dir, 'out.jsonl'), 'utf8').split('\n').filter(Boolean);
}

/** What the join must produce, computed directly. */
function expected(pad: boolean): string[] {
  const items = ITEMS.split('\n').map((l) => {
    const [code, name, price] = l.split(',');
    return { code: Number(code), name: name!, price: Number(price) };
  });
  const out: string[] = [];
  for (const o of ORDERS) {
    const hits = items.filter((i) => o.item !== null && o.item - 100 === i.code && i.price > 10);
    for (const i of hits) out.push(JSON.stringify({ id: o.id, amount: o.qty * i.price, name: i.name }));
    if (pad && hits.length === 0) out.push(JSON.stringify({ id: o.id, amount: null, name: null }));
  }
  return out;
}

async function explain(dir: string, sql: string): Promise<string> {
  const { program, diagnostics } = compile(sql, { file: path.join(dir, 'q.sql') });
  if (!program) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return (await Job.create(program, { stateDir: path.join(dir, 'state'), baseDir: dir })).explainStages();
}

test('FOR SYSTEM_TIME AS OF a file table is a lookup join on an expression key, fused into the stream stage', async (t) => {
  const dir = tmp();
  setup(dir);
  const plan = await explain(dir, TEMPORAL);
  t.regex(
    plan,
    /LookupJoin\(inner, items on \(item - 100\)|LookupJoin\(inner, items on -\(item, 100\) = code\)/,
  );
  t.notRegex(plan, /RegularJoin|Source items/);
  t.deepEqual(await run(dir, TEMPORAL), expected(false));
});

test('a lookup LEFT JOIN pads probe rows without a match (NULL keys included)', async (t) => {
  const dir = tmp();
  setup(dir);
  const lines = await run(dir, TEMPORAL.replace('JOIN items', 'LEFT JOIN items'));
  t.deepEqual(lines, expected(true));
});

test('an inner join with a bounded table without a watermark is planned as a lookup join, table on either side', async (t) => {
  const dir = tmp();
  setup(dir);
  const right = `${DDL}
INSERT INTO out SELECT O.id, O.qty * I.price AS amount, I.name FROM orders O JOIN items I
ON I.code = O.item - 100 WHERE I.price > 10;`;
  t.regex(await explain(dir, right), /LookupJoin\(inner, items/);
  t.deepEqual(await run(dir, right), expected(false));
  const dir2 = tmp();
  setup(dir2);
  const left = `${DDL}
INSERT INTO out SELECT O.id, O.qty * I.price AS amount, I.name FROM items I JOIN orders O
ON I.code = O.item - 100 WHERE I.price > 10;`;
  t.regex(await explain(dir2, left), /LookupJoin\(inner, items/);
  t.deepEqual(await run(dir2, left), expected(false));
});

test('a lookup join killed mid-run and resumed writes the same file as a straight run', async (t) => {
  const dir = tmp();
  setup(dir);
  t.deepEqual(await run(dir, TEMPORAL, {}, 3), expected(false));
});

test('a lookup table changed between a crash and the resume is refused', async (t) => {
  const dir = tmp();
  setup(dir);
  const { program } = compile(TEMPORAL, { file: path.join(dir, 'q.sql') });
  const options: JobOptions = { stateDir: path.join(dir, 'state'), baseDir: dir, batchSize: 16 };
  await t.throwsAsync(
    async () =>
      (await Job.create(program!, { ...options, checkpointIntervalMs: 0 })).run({ crashAfterVersions: 3 }),
    { instanceOf: SimulatedCrash },
  );
  fs.writeFileSync(path.join(dir, 'items.csv'), `${ITEMS.replace('item-5', 'item-five')}\n`);
  const err = await t.throwsAsync(async () => (await Job.create(program!, options)).run());
  t.regex(err!.message, /lookup table items .* differs from the one this state dir started with/);
});

test('an unreadable line of a lookup table fails the run with its file and line', async (t) => {
  const dir = tmp();
  setup(dir, ITEMS.replace('4,item-4,25', '4,item-4,lots'));
  const err = await t.throwsAsync(() => run(dir, TEMPORAL));
  t.regex(err!.message, /lookup table items: .*items\.csv:5/);
});

test('an expression equality between two streams is a hash-partitioned join key, not a keyless join', async (t) => {
  const dir = tmp();
  setup(dir);
  const sql = `${DDL}
CREATE SOURCE returns (order_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH (connector = 'file', path = 'orders.jsonl', format = 'jsonl');
INSERT INTO out SELECT O.id, R.order_id FROM orders O JOIN returns R ON O.id * 2 = R.order_id + 1;`;
  const plan = await explain(dir, sql);
  t.regex(plan, /by hash\(\S*id/);
  t.notRegex(plan, /LookupJoin/);
});
