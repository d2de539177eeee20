import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'packages/cli/bin/darq.js');

test('stdin in, stdout out: JSON lines through a window; a malformed line is dead-lettered, not fatal', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'darq-stdin-'));
  const sql = path.join(dir, 'q.sql');
  fs.writeFileSync(
    sql,
    `CREATE SOURCE clicks (user_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'stdin', format = 'jsonl');
CREATE SINK out WITH (connector = 'stdout');
INSERT INTO out SELECT user_id, window_start, COUNT(*) AS n
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY user_id, window_start, window_end;
`,
  );
  const state = path.join(dir, 'state');
  const child = spawn(process.execPath, [bin, 'run', sql, '--state', state], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end('{"user_id":1,"ts":0}\n{"user_id":1,"ts":10}\nnot json\n{"user_id":2,"ts":1500}\n');
  const code = await new Promise((r) => child.on('exit', r));
  t.is(code, 0, stderr);
  t.deepEqual(
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [
      { user_id: 1, window_start: '1970-01-01T00:00:00', n: 2 },
      { user_id: 2, window_start: '1970-01-01T00:00:01', n: 1 },
    ],
  );
  t.regex(stderr, /3 events in, 2 rows out/);
  t.regex(stderr, /1 bad records/);
  const dead = fs.readFileSync(path.join(state, 'dead-letters.jsonl'), 'utf8');
  t.regex(dead, /stdin:3: malformed jsonl/);
});
