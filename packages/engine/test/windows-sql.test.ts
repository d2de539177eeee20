import test from 'ava';
import fc from 'fast-check';
import { runQuery } from '../src/index.ts';

/**
 * TUMBLE, HOP and CUMULATE window aggregates through SQL, against a reference computed by brute force: every
 * window [s, e) aligned to the epoch that contains a row gets COUNT and SUM of its rows, per key. Rows come
 * in random order within the watermark's tolerance (so none is late), in random batch sizes.
 */
interface Ev {
  k: number;
  v: number;
  ts: number;
}

type Spec =
  | { kind: 'TUMBLE'; size: number }
  | { kind: 'HOP'; slide: number; size: number }
  | { kind: 'CUMULATE'; step: number; size: number };

function windowsOf(t: number, spec: Spec): [number, number][] {
  const floor = (x: number, m: number) => x - (((x % m) + m) % m);
  switch (spec.kind) {
    case 'TUMBLE': {
      const s = floor(t, spec.size);
      return [[s, s + spec.size]];
    }
    case 'HOP': {
      const out: [number, number][] = [];
      for (let s = floor(t, spec.slide); s > t - spec.size; s -= spec.slide) out.push([s, s + spec.size]);
      return out;
    }
    case 'CUMULATE': {
      const base = floor(t, spec.size);
      const out: [number, number][] = [];
      for (let e = floor(t, spec.step) + spec.step; e <= base + spec.size; e += spec.step)
        out.push([base, e]);
      return out;
    }
  }
}

function reference(events: Ev[], spec: Spec): string[] {
  const m = new Map<string, { k: number; s: number; e: number; n: number; sum: number }>();
  for (const ev of events) {
    for (const [s, e] of windowsOf(ev.ts, spec)) {
      const key = `${ev.k}/${s}/${e}`;
      const cur = m.get(key) ?? { k: ev.k, s, e, n: 0, sum: 0 };
      cur.n++;
      cur.sum += ev.v;
      m.set(key, cur);
    }
  }
  return [...m.values()].map((r) => JSON.stringify([r.k, r.s, r.e, r.n, r.sum])).sort();
}

function tvf(spec: Spec): string {
  const ms = (x: number) => `INTERVAL '${x}' MILLISECOND`;
  switch (spec.kind) {
    case 'TUMBLE':
      return `TUMBLE(TABLE ev, DESCRIPTOR(ts), ${ms(spec.size)})`;
    case 'HOP':
      return `HOP(TABLE ev, DESCRIPTOR(ts), ${ms(spec.slide)}, ${ms(spec.size)})`;
    case 'CUMULATE':
      return `CUMULATE(TABLE ev, DESCRIPTOR(ts), ${ms(spec.step)}, ${ms(spec.size)})`;
  }
}

const specArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ kind: fc.constant('TUMBLE' as const), size: fc.constantFrom(100, 250, 1000) }),
  fc
    .tuple(fc.constantFrom(50, 100, 200), fc.integer({ min: 1, max: 6 }))
    .map(([slide, n]) => ({ kind: 'HOP' as const, slide, size: slide * n })),
  fc
    .tuple(fc.constantFrom(50, 100, 200), fc.integer({ min: 1, max: 6 }))
    .map(([step, n]) => ({ kind: 'CUMULATE' as const, step, size: step * n })),
);

const eventsArb = fc
  .array(
    fc.record({
      k: fc.integer({ min: 0, max: 3 }),
      v: fc.integer({ min: -5, max: 5 }),
      dt: fc.integer({ min: 0, max: 40 }),
      jitter: fc.integer({ min: 0, max: 300 }),
    }),
    { minLength: 1, maxLength: 300 },
  )
  .map((xs) => {
    let t = 10_000;
    return xs.map((x) => {
      t += x.dt;
      return { k: x.k, v: x.v, ts: t - x.jitter };
    });
  });

test('window aggregates through SQL equal a brute-force reference, whatever the batch size', async (t) => {
  await fc.assert(
    fc.asyncProperty(specArb, eventsArb, fc.constantFrom(1, 7, 1024), async (spec, events, batchSize) => {
      const sql = `CREATE SOURCE ev (k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
          WITH (connector = 'memory');
        CREATE SINK out WITH (connector = 'memory');
        INSERT INTO out SELECT k, window_start, window_end, COUNT(*) AS n, SUM(v) AS s
        FROM TABLE(${tvf(spec)}) GROUP BY k, window_start, window_end;`;
      const rows: Record<string, unknown>[] = [];
      const summary = await runQuery(sql, {
        sources: { ev: events },
        sinks: { out: (r) => rows.push(...r) },
        batchSize,
      });
      const actual = rows.map((r) => JSON.stringify([r.k, r.window_start, r.window_end, r.n, r.s])).sort();
      t.is(summary.lateRows, 0);
      return JSON.stringify(actual) === JSON.stringify(reference(events, spec));
    }),
    { numRuns: process.env.DARQ_LONG === '1' ? 300 : 25 },
  );
  t.pass();
});
