/**
 * When versions close on a live source: at the checkpoint interval, or earlier once the worker is idle and
 * the open version holds rows bound for a sink. Neither a version per input chunk (a live source at 50 k
 * lines/s then committed thousands of tiny versions) nor output held back until the interval.
 */
import test from 'ava';
import { runQuery } from '../src/index.ts';

const SQL = `
  CREATE SOURCE clicks (user_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'memory');
  CREATE SINK counts WITH (connector = 'memory');
  INSERT INTO counts
  SELECT user_id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND))
  GROUP BY user_id, window_start, window_end;`;

const tick = () => new Promise((r) => setTimeout(r, 1));

test('a window result is committed and delivered at once, long before a 60 s checkpoint interval', async (t) => {
  const out: Record<string, unknown>[] = [];
  let delivered: (() => void) | undefined;
  const firstWindow = new Promise<void>((r) => (delivered = r));
  async function* live() {
    for (let i = 0; i < 50; i++) {
      await tick();
      yield { user_id: 1, ts: i * 10 };
    }
    // The first row past the window's end closes it; the rest of the input waits for its result.
    yield { user_id: 1, ts: 1000 };
    await Promise.race([
      firstWindow,
      new Promise((_, fail) =>
        setTimeout(() => fail(new Error('window result not delivered in 10 s')), 10_000),
      ),
    ]);
    for (let i = 1; i <= 5; i++) yield { user_id: 1, ts: 1000 + i };
  }
  const summary = await runQuery(SQL, {
    sources: { clicks: live() },
    sinks: {
      counts: (rows) => {
        out.push(...rows);
        delivered?.();
      },
    },
    checkpointIntervalMs: 60_000,
  });
  t.deepEqual(out, [
    { user_id: 1, window_start: 0, n: 50 },
    { user_id: 1, window_start: 1000, n: 6 },
  ]);
  t.is(summary.eventsIn, 56);
  // One version for the early commit, then the sink's own step and the end of input: not one per chunk.
  t.true(summary.versions <= 6, `${summary.versions} versions for 51 separate input chunks`);
});

test('a live source that trickles in does not commit a version per chunk', async (t) => {
  async function* live() {
    for (let i = 0; i < 200; i++) {
      await tick();
      yield { user_id: i % 3, ts: i };
    }
  }
  const out: Record<string, unknown>[] = [];
  const started = performance.now();
  const summary = await runQuery(SQL, {
    sources: { clicks: live() },
    sinks: { counts: (rows) => out.push(...rows) },
    checkpointIntervalMs: 50,
  });
  const elapsed = performance.now() - started;
  t.is(out.length, 3);
  t.is(summary.eventsIn, 200);
  // At most one version per interval elapsed (plus the end of input), far fewer than the 200 chunks.
  t.true(
    summary.versions <= Math.ceil(elapsed / 50) + 3,
    `${summary.versions} versions in ${elapsed.toFixed(0)} ms at a 50 ms interval`,
  );
});
