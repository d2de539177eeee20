// The columnar record-batch codec: exact round trips for every shape it takes, msgpack for the rest.
import { isDeepStrictEqual } from 'node:util';
import test from 'ava';
import fc from 'fast-check';
import { codec, decodeRecords, encodeRecords } from '../src/codec.ts';

const roundTrips = (records: unknown[]) => decodeRecords(encodeRecords(records));

test('batches of one shape come back exactly, column by column', (t) => {
  const objects = Array.from({ length: 300 }, (_, i) => ({
    term: i % 3 === 0 ? 'fièvre 🤒' : `q${i}`,
    id: i,
    score: i / 7,
    big: 1_700_000_000_000 + i,
    neg: -i,
    ok: i % 2 === 0,
    note: i % 5 === 0 ? null : `n${i}`,
    nested: { a: i },
  }));
  const body = encodeRecords(objects);
  t.is(body[0], 0xc1);
  t.deepEqual(decodeRecords(body), objects);
  const rows = objects.map((o) => [o.term, o.id, o.score, o.ok, o.note]);
  t.deepEqual(roundTrips(rows), rows);
  t.deepEqual(Object.keys(roundTrips(objects)[0] as object), Object.keys(objects[0] as object));
});

test('values that only look alike keep their identity', (t) => {
  const cases: unknown[][] = [
    [{ x: -0 }, { x: 0 }],
    [{ x: Number.NaN }, { x: Number.POSITIVE_INFINITY }, { x: 2 ** 31 }, { x: -(2 ** 31) }],
    [{ x: '' }, { x: 'a\u0000b' }, { x: '\ud800' }],
    [{ x: 1 }, { x: '1' }],
    [{ x: 1n }, { x: new Date(5) }],
    [{ x: undefined }, { x: null }],
    [['a'.repeat(70_000), 'b']],
  ];
  for (const records of cases) {
    const back = roundTrips(records) as Array<{ x?: unknown }>;
    if (records === cases[2]) {
      // A lone surrogate cannot be UTF-8 encoded (msgpack has the same limit); the slot keeps its length.
      t.is((back[2] as { x: string }).x, '\ufffd');
      continue;
    }
    t.deepEqual(back, records);
    if (records === cases[0]) t.true(Object.is(back[0]?.x, -0));
  }
});

test('batches without one shape fall back to msgpack whole, and plain msgpack bodies decode', (t) => {
  const mixed: unknown[][] = [
    [],
    [{ a: 1 }, { b: 1 }],
    [
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    ],
    [{ a: 1 }, { a: 1, b: 2 }],
    [[1, 2], [1]],
    [{ a: 1 }, [1]],
    [1, 2, 3],
    [{ 1: 'x' }],
    [Object.assign(Object.create(null), { a: 1 })],
  ];
  for (const records of mixed) t.deepEqual(roundTrips(records), records);
  t.deepEqual(decodeRecords(codec.pack([{ a: 1 }])), [{ a: 1 }]);
});

test('property: any batch of records round-trips', (t) => {
  const value = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.string({ unit: 'grapheme' }),
    fc.boolean(),
    fc.constant(null),
  );
  const keys = fc.uniqueArray(fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/), { minLength: 1, maxLength: 5 });
  const objectBatch = keys.chain((ks) =>
    fc.array(
      fc.tuple(...ks.map(() => value)).map((vs) => Object.fromEntries(ks.map((k, i) => [k, vs[i]]))),
      { minLength: 1, maxLength: 40 },
    ),
  );
  const columnBatch = fc
    .tuple(fc.constantFrom('number', 'string', 'int'), fc.integer({ min: 1, max: 40 }))
    .chain(([kind, n]) =>
      fc.array(
        (kind === 'number'
          ? fc.double()
          : kind === 'int'
            ? fc.integer()
            : fc.string({ unit: 'grapheme' })) as fc.Arbitrary<unknown>,
        { minLength: n, maxLength: n },
      ),
    )
    .map((col) => col.map((v, i) => ({ v, i })));
  fc.assert(
    fc.property(fc.oneof(objectBatch, columnBatch), (records) => {
      const back = roundTrips(records);
      // Exact, or else no worse than msgpack itself (a mixed column goes through msgpack, which writes -0 as 0).
      if (!isDeepStrictEqual(back, records)) t.deepEqual(back, codec.unpack(codec.pack(records)));
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('state values with more than 65 535 entries encode (a large COUNT DISTINCT set)', (t) => {
  const set: Record<string, number> = {};
  for (let i = 0; i < 70_000; i++) set[`a${i}`] = i;
  const map = new Map(Object.entries(set));
  const back = codec.unpack(codec.pack({ set, map })) as { set: Record<string, number>; map: unknown };
  t.is(Object.keys(back.set).length, 70_000);
  t.is(back.set.a69999, 69_999);
  t.is(Object.keys(back.map as object).length, 70_000);
});
