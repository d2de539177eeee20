import test from 'ava';
import fc from 'fast-check';
import { VersionGraph } from '../src/index.ts';

interface Scenario {
  readonly persisted: number[];
  /** [worker, version, other worker, other version] */
  readonly deps: Array<[number, number, number, number]>;
}

const scenario = fc
  .integer({ min: 2, max: 4 })
  .chain((n) =>
    fc.record({
      persisted: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: n, maxLength: n }),
      deps: fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: n - 1 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 0, max: n - 1 }),
          fc.integer({ min: 1, max: 8 }),
        ),
        { maxLength: 12 },
      ),
    }),
  )
  .map(
    (s): Scenario => ({ ...s, deps: s.deps.filter(([w, v, o]) => w !== o && v <= (s.persisted[w] ?? 0)) }),
  );

const name = (i: number) => `w${i}`;

function build(s: Scenario): VersionGraph {
  const g = new VersionGraph();
  for (let i = 0; i < s.persisted.length; i++) g.member(name(i));
  const byVersion = new Map<string, Map<string, number>>();
  for (const [w, v, o, ov] of s.deps) {
    const key = `${w}:${v}`;
    const m = byVersion.get(key) ?? new Map<string, number>();
    m.set(name(o), Math.max(m.get(name(o)) ?? 0, ov));
    byVersion.set(key, m);
  }
  s.persisted.forEach((p, i) => {
    for (let v = 1; v <= p; v++) g.report(name(i), v, byVersion.get(`${i}:${v}`) ?? new Map());
  });
  return g;
}

/** The greatest set of versions that are persisted and whose dependencies (and predecessors) are in it. */
function bruteCut(s: Scenario): number[] {
  const ok = new Set<string>();
  s.persisted.forEach((p, w) => {
    for (let v = 1; v <= p; v++) ok.add(`${w}:${v}`);
  });
  for (let changed = true; changed; ) {
    changed = false;
    for (const key of [...ok]) {
      const [w, v] = key.split(':').map(Number) as [number, number];
      const bad =
        (v > 1 && !ok.has(`${w}:${v - 1}`)) ||
        s.deps.some(([dw, dv, o, ov]) => dw === w && dv === v && !ok.has(`${o}:${ov}`));
      if (bad) {
        ok.delete(key);
        changed = true;
      }
    }
  }
  return s.persisted.map((p, w) => {
    let c = 0;
    while (c < p && ok.has(`${w}:${c + 1}`)) c++;
    return c;
  });
}

test('the cut is the largest consistent prefix of persisted versions', (t) => {
  fc.assert(
    fc.property(scenario, (s) => {
      const g = build(s);
      g.advance();
      const got = s.persisted.map((_, i) => g.workers.get(name(i))?.cut ?? -1);
      return JSON.stringify(got) === JSON.stringify(bruteCut(s));
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('recovery rolls back exactly the versions that depend on lost work', (t) => {
  fc.assert(
    fc.property(
      scenario,
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 6 }),
      (s, failedRaw, keptRaw) => {
        const failed = failedRaw % s.persisted.length;
        const kept = Math.min(keptRaw, s.persisted[failed] ?? 0);
        // Brute force: lost versions, closed under "depends on" and "comes after on the same worker".
        const bad = new Set<string>();
        for (let v = kept + 1; v <= 8; v++) bad.add(`${failed}:${v}`);
        for (let changed = true; changed; ) {
          changed = false;
          s.persisted.forEach((p, w) => {
            for (let v = 1; v <= p; v++) {
              const key = `${w}:${v}`;
              if (bad.has(key)) continue;
              const hit =
                bad.has(`${w}:${v - 1}`) ||
                s.deps.some(([dw, dv, o, ov]) => dw === w && dv === v && bad.has(`${o}:${ov}`));
              if (hit) {
                // A version that is rolled back takes every later version of its worker with it.
                for (let u = v; u <= 8; u++) bad.add(`${w}:${u}`);
                changed = true;
              }
            }
          });
        }
        const expected = new Map<string, number>();
        for (let w = 0; w < s.persisted.length; w++) {
          if (w === failed) expected.set(name(w), kept);
          const p = s.persisted[w] ?? 0;
          for (let v = 1; v <= p; v++) {
            if (bad.has(`${w}:${v}`)) {
              expected.set(name(w), v - 1);
              break;
            }
          }
        }
        const g = build(s);
        const targets = g.recover(new Map([[name(failed), kept]]));
        const got = JSON.stringify([...targets].sort());
        const want = JSON.stringify([...expected].sort());
        if (got !== want) t.log(`scenario ${JSON.stringify(s)} failed ${failed} kept ${kept}`);
        return got === want;
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});
