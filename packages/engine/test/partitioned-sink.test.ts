import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataType } from '@darq/parser';
import test from 'ava';
import { escapePartitionValue, PartitionedFileSinkWriter } from '../src/connectors/partitioned-file-sink.ts';
import { runQuery } from '../src/index.ts';

/** `PARTITIONED BY` file sinks: Flink's directory layout, and exactly-once across a restart. */
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'darq-partitioned-'));
const VARCHAR: DataType = { kind: 'VARCHAR' };
const BIGINT: DataType = { kind: 'BIGINT' };
const columns = [
  { name: 'id', type: BIGINT },
  { name: 'note', type: VARCHAR },
  { name: 'dt', type: VARCHAR },
  { name: 'hm', type: VARCHAR },
];
const writer = (dir: string) =>
  new PartitionedFileSinkWriter({
    dir,
    format: 'csv',
    columns,
    partitionBy: ['dt', 'hm'],
    header: true,
    fsync: false,
    maxOpenFiles: 2,
  });

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, rel);
    if (fs.statSync(p).isFile()) out[rel.split(path.sep).join('/')] = fs.readFileSync(p, 'utf8');
  }
  return out;
}

test('rows go to name=value directories (Hive escaping, NULL as the default partition), without the partition columns', (t) => {
  t.is(escapePartitionValue('22:13'), '22%3A13');
  t.is(escapePartitionValue('a/b=c d'), 'a%2Fb%3Dc d');
  const dir = tmp();
  const w = writer(dir);
  w.open(undefined);
  w.write([
    [1, 'a', '2024-01-01', '10:00'],
    [2, 'b,c', '2024-01-01', '10:01'],
    [3, 'd', '2024-01-01', '10:00'],
    [4, 'e', null, '10:00'],
  ]);
  w.close();
  t.deepEqual(tree(dir), {
    'dt=2024-01-01/hm=10%3A00/part-0.csv': 'id,note\n1,a\n3,d\n',
    'dt=2024-01-01/hm=10%3A01/part-0.csv': 'id,note\n2,"b,c"\n',
    'dt=__DEFAULT_PARTITION__/hm=10%3A00/part-0.csv': 'id,note\n4,e\n',
  });
});

test('a restart truncates each file to its committed length and removes part files created after the last commit', (t) => {
  const dir = tmp();
  const w = writer(dir);
  w.open(undefined);
  w.write([[1, 'a', 'x', '1']]);
  const committed = w.position();
  const expected = tree(dir);
  // Written by the crashed run after its last commit: more rows in a known file, and a new partition.
  w.write([
    [2, 'b', 'x', '1'],
    [3, 'c', 'y', '2'],
  ]);
  w.close();
  fs.writeFileSync(path.join(dir, 'README.txt'), 'not ours');
  const again = writer(dir);
  again.open(JSON.parse(JSON.stringify(committed)));
  again.close();
  t.deepEqual(tree(dir), { ...expected, 'README.txt': 'not ours' });
  // A fresh run (no committed state) removes the earlier run's part files only.
  const fresh = writer(dir);
  fresh.open(undefined);
  fresh.close();
  t.deepEqual(tree(dir), { 'README.txt': 'not ours' });
});

test('a part file shorter than its committed length is refused', (t) => {
  const dir = tmp();
  const w = writer(dir);
  w.open(undefined);
  w.write([[1, 'a', 'x', '1']]);
  const committed = w.position();
  w.close();
  fs.truncateSync(path.join(dir, 'dt=x/hm=1/part-0.csv'), 3);
  const err = t.throws(() => writer(dir).open(committed));
  t.regex(err!.message, /dt=x\/hm=1\/part-0\.csv has 3 bytes but 12 bytes of it were committed/);
});

test('an updating result into a partitioned sink is refused with a fix', async (t) => {
  const dir = tmp();
  const sql = `
    CREATE SOURCE s (k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'memory');
    CREATE SINK out (k BIGINT, n BIGINT) PARTITIONED BY (k) WITH (connector = 'file', path = '${dir}/out', format = 'csv');
    INSERT INTO out SELECT k, COUNT(*) FROM s GROUP BY k;`;
  const err = await t.throwsAsync(() => runQuery(sql, { sources: { s: [{ k: 1, ts: 0 }] } }));
  t.regex(err!.message, /PARTITIONED BY file sink takes append-only rows/);
});
