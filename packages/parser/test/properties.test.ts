import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import type { AstExpr, OrderItem, OverSpec } from '../src/ast/expr.ts';
import type { Query, QueryBody, Relation, SelectCore, SelectItem, TvfArg } from '../src/ast/query.ts';
import type { Statement } from '../src/ast/statement.ts';
import { NO_SPAN } from '../src/diagnostics.ts';
import { compile, parse, print } from '../src/index.ts';
import type { DataType } from '../src/types.ts';
import { VOCAB } from './fuzz-vocab.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const LONG = process.env.DARQ_LONG === '1';

/** Canonical JSON of an AST: spans dropped, keys sorted, so key order and positions do not matter. */
function canon(x: unknown): string {
  return JSON.stringify(x, (k, v) => {
    if (k === 'span') return undefined;
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((key) => [key, (v as Record<string, unknown>)[key]]),
      );
    return v;
  });
}

const span = NO_SPAN;
const name = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('a', 'b', 'user_id', 'ts', 'dateTime', 'price', 'Count', 'window'),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('select', 'from', 'rows', 'timestamp', 'my col', 'x`y', "it's", 'é'),
  },
);
const upperName = fc.constantFrom(
  'LOWER',
  'MOD',
  'SPLIT_INDEX',
  'COUNT',
  'SUM',
  'MY_UDF',
  'IF',
  'ROW',
  'COALESCE',
);
const unit = fc.constantFrom('SECOND', 'MINUTE', 'HOUR', 'DAY', 'MILLISECOND');

const dataType: fc.Arbitrary<DataType> = fc.letrec<{ t: DataType }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<DataType>(
      { kind: 'INT' },
      { kind: 'BIGINT' },
      { kind: 'DOUBLE' },
      { kind: 'BOOLEAN' },
      { kind: 'VARCHAR' },
      { kind: 'TIMESTAMP', precision: 3, ltz: false },
      { kind: 'TIMESTAMP', precision: 0, ltz: true },
      { kind: 'DECIMAL', precision: 23, scale: 3 },
    ),
    tie('t').map((element): DataType => ({ kind: 'ARRAY', element })),
    fc
      .array(fc.record({ name, type: tie('t'), nullable: fc.boolean() }), { minLength: 1, maxLength: 3 })
      .map((fields): DataType => ({ kind: 'ROW', fields })),
  ),
})).t;

const number = fc.oneof(
  fc.nat({ max: 100000 }).map(String),
  fc.tuple(fc.nat({ max: 999 }), fc.nat({ max: 999 })).map(([a, b]) => `${a}.${b}`),
  fc.nat({ max: 9 }).map((e) => `1e${e}`),
);

const { expr } = fc.letrec<{ expr: AstExpr }>((tie) => {
  const e = tie('expr');
  const order: fc.Arbitrary<OrderItem> = fc.record(
    {
      expr: e,
      direction: fc.constantFrom<'ASC' | 'DESC'>('ASC', 'DESC'),
      nulls: fc.constantFrom<'FIRST' | 'LAST'>('FIRST', 'LAST'),
      span: fc.constant(span),
    },
    { requiredKeys: ['expr', 'span'] },
  );
  const over: fc.Arbitrary<OverSpec> = fc.record(
    {
      partitionBy: fc.array(e, { maxLength: 2 }),
      orderBy: fc.array(order, { maxLength: 2 }),
      frame: fc.record(
        {
          mode: fc.constantFrom<'ROWS' | 'RANGE'>('ROWS', 'RANGE'),
          lower: fc.oneof(
            fc.constant({ kind: 'unbounded_preceding' as const }),
            fc.constant({ kind: 'current' as const }),
            e.map((amount) => ({ kind: 'preceding' as const, amount })),
          ),
          upper: fc.constant({ kind: 'current' as const }),
        },
        { requiredKeys: ['mode', 'lower'] },
      ),
      span: fc.constant(span),
    },
    { requiredKeys: ['partitionBy', 'orderBy', 'span'] },
  );
  return {
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc
        .array(name, { minLength: 1, maxLength: 3 })
        .map((parts): AstExpr => ({ kind: 'Identifier', parts, span })),
      number.map((text): AstExpr => ({ kind: 'NumberLit', text, span })),
      fc.string({ maxLength: 8 }).map((value): AstExpr => ({ kind: 'StringLit', value, span })),
      fc.boolean().map((value): AstExpr => ({ kind: 'BoolLit', value, span })),
      fc.constant<AstExpr>({ kind: 'NullLit', span }),
      fc
        .record(
          { value: fc.nat({ max: 99 }).map(String), unit, toUnit: unit, negative: fc.boolean() },
          { requiredKeys: ['value', 'negative'] },
        )
        .map((r): AstExpr => {
          const { toUnit, ...rest } = r;
          return {
            kind: 'IntervalLit',
            ...rest,
            ...(r.unit !== undefined && toUnit !== undefined ? { toUnit } : {}),
            span,
          };
        }),
      fc
        .constantFrom('TIMESTAMP', 'DATE')
        .map((type): AstExpr => ({ kind: 'TypedLit', type, value: '2023-01-01', span })),
      fc
        .tuple(fc.constantFrom<'-' | '+' | 'NOT'>('-', '+', 'NOT'), e)
        .map(([op, operand]): AstExpr => ({ kind: 'Unary', op, operand, span })),
      fc
        .tuple(
          fc.constantFrom(
            '+',
            '-',
            '*',
            '/',
            '%',
            '||',
            '=',
            '<>',
            '<',
            '<=',
            '>',
            '>=',
            'AND',
            'OR',
          ) as fc.Arbitrary<Extract<AstExpr, { kind: 'Binary' }>['op']>,
          e,
          e,
        )
        .map(([op, left, right]): AstExpr => ({ kind: 'Binary', op, left, right, span })),
      fc
        .record(
          {
            name: upperName,
            args: fc.array(e, { maxLength: 3 }),
            star: fc.boolean(),
            distinct: fc.boolean(),
            filter: e,
            withinGroup: fc.array(order, { minLength: 1, maxLength: 2 }),
            over,
          },
          { requiredKeys: ['name', 'args', 'star', 'distinct'] },
        )
        .map(
          (r): AstExpr => ({
            kind: 'FuncCall',
            ...r,
            star: r.star && r.args.length === 0,
            distinct: r.distinct && r.args.length > 0,
            span,
          }),
        ),
      fc
        .record(
          {
            operand: e,
            whens: fc.array(fc.record({ when: e, result: e }), { minLength: 1, maxLength: 2 }),
            else: e,
          },
          { requiredKeys: ['whens'] },
        )
        .map((r): AstExpr => ({ kind: 'CaseExpr', ...r, span })),
      fc
        .tuple(e, dataType, fc.boolean())
        .map(([x, type, t]): AstExpr => ({ kind: 'CastExpr', expr: x, type, try: t, span })),
      fc
        .tuple(e, fc.array(e, { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([x, list, not]): AstExpr => ({ kind: 'InExpr', expr: x, list, not, span })),
      fc
        .tuple(e, e, e, fc.boolean())
        .map(([x, low, high, not]): AstExpr => ({ kind: 'BetweenExpr', expr: x, low, high, not, span })),
      fc
        .tuple(e, e, fc.boolean())
        .map(([x, pattern, not]): AstExpr => ({ kind: 'LikeExpr', expr: x, pattern, not, span })),
      fc
        .tuple(e, fc.constantFrom<'NULL' | 'TRUE' | 'FALSE'>('NULL', 'TRUE', 'FALSE'), fc.boolean())
        .map(([x, what, not]): AstExpr => ({ kind: 'IsExpr', expr: x, what, not, span })),
      fc.tuple(unit, e).map(([u, x]): AstExpr => ({ kind: 'ExtractExpr', unit: u, expr: x, span })),
      fc
        .tuple(fc.constantFrom<'FLOOR' | 'CEIL'>('FLOOR', 'CEIL'), e, unit)
        .map(([fn, x, u]): AstExpr => ({ kind: 'TimeUnitCall', fn, expr: x, unit: u, span })),
      fc.tuple(e, e).map(([x, index]): AstExpr => ({ kind: 'Subscript', expr: x, index, span })),
      fc.tuple(e, name).map(([x, f]): AstExpr => ({ kind: 'FieldAccess', expr: x, field: f, span })),
      fc.array(e, { maxLength: 3 }).map((items): AstExpr => ({ kind: 'ArrayCtor', items, span })),
    ),
  };
});

const selectItem: fc.Arbitrary<SelectItem> = fc.oneof(
  fc.constant<SelectItem>({ kind: 'Star', span }),
  name.map((qualifier): SelectItem => ({ kind: 'Star', qualifier, span })),
  fc
    .record({ expr, alias: name }, { requiredKeys: ['expr'] })
    .map((r): SelectItem => ({ kind: 'ExprItem', ...r, span })),
);

function fixTvfArgs(args: TvfArg[]): TvfArg[] {
  // a PARTITION BY list runs until DESCRIPTOR or a named argument; keep generated inputs unambiguous
  return args.map((a, i) => {
    const next = args[i + 1];
    if (a.value.kind === 'TableArg' && a.value.partitionBy.length > 0) {
      const ok = next === undefined || next.value.kind === 'DescriptorArg' || next.name !== undefined;
      if (!ok) return { ...a, value: { ...a.value, partitionBy: [] } };
    }
    return a;
  });
}

function queryArb(depth: number): fc.Arbitrary<Query> {
  const sub = depth > 0 ? queryArb(depth - 1) : undefined;
  const primary: fc.Arbitrary<Relation> = fc.oneof(
    fc
      .record({ name, alias: name, asOf: expr }, { requiredKeys: ['name'] })
      .map((r): Relation => ({ kind: 'TableRef', ...r, span })),
    fc
      .record(
        {
          fn: fc.constantFrom('TUMBLE', 'HOP', 'SESSION'),
          args: fc.array(
            fc.record(
              {
                name,
                value: fc.oneof(
                  fc
                    .record({ name, partitionBy: fc.array(name, { maxLength: 2 }) })
                    .map((v) => ({ kind: 'TableArg' as const, ...v, span })),
                  fc
                    .array(name, { minLength: 1, maxLength: 2 })
                    .map((columns) => ({ kind: 'DescriptorArg' as const, columns, span })),
                  expr.map((x) => ({ kind: 'ExprArg' as const, expr: x, span })),
                ),
                span: fc.constant(span),
              },
              { requiredKeys: ['value', 'span'] },
            ),
            { maxLength: 3 },
          ),
          alias: name,
        },
        { requiredKeys: ['fn', 'args'] },
      )
      .map((r): Relation => ({ kind: 'TvfRef', ...r, args: fixTvfArgs(r.args), span })),
    fc.record({ expr, alias: name, column: name }, { requiredKeys: ['expr'] }).map((r): Relation => {
      const { column, ...rest } = r;
      return {
        kind: 'UnnestRef',
        ...rest,
        ...(r.alias !== undefined && column !== undefined ? { column } : {}),
        span,
      };
    }),
    ...(sub
      ? [
          fc
            .record({ query: sub, alias: name }, { requiredKeys: ['query'] })
            .map((r): Relation => ({ kind: 'SubqueryRef', ...r, span })),
        ]
      : []),
  );
  const rel: fc.Arbitrary<Relation> = fc
    .tuple(
      primary,
      fc.array(
        fc.tuple(
          fc.constantFrom<'inner' | 'left' | 'right' | 'full' | 'cross'>(
            'inner',
            'left',
            'right',
            'full',
            'cross',
          ),
          primary,
          fc.option(expr, { nil: undefined }),
        ),
        { maxLength: 2 },
      ),
    )
    .map(([first, joins]) =>
      joins.reduce<Relation>((left, [joinKind, right, on]) => {
        const cond = joinKind === 'inner' ? (on ?? { kind: 'BoolLit', value: true, span }) : on;
        return { kind: 'JoinRef', joinKind, left, right, ...(cond ? { on: cond } : {}), span };
      }, first),
    );
  const select: fc.Arbitrary<SelectCore> = fc
    .record(
      {
        distinct: fc.boolean(),
        items: fc.array(selectItem, { minLength: 1, maxLength: 3 }),
        from: rel,
        where: expr,
        groupBy: fc.array(expr, { maxLength: 2 }),
        having: expr,
        emit: fc.constantFrom<'FINAL' | 'CHANGES'>('FINAL', 'CHANGES'),
        lateInto: name,
      },
      { requiredKeys: ['distinct', 'items', 'groupBy'] },
    )
    .map((r): SelectCore => ({ kind: 'SelectCore', ...r, span }));
  const term: fc.Arbitrary<QueryBody> = sub
    ? fc.oneof({ weight: 3, arbitrary: select }, { weight: 1, arbitrary: sub })
    : select;
  const body: fc.Arbitrary<QueryBody> = fc
    .tuple(term, fc.array(fc.tuple(fc.boolean(), term), { maxLength: 2 }))
    .map(([first, rest]) =>
      rest.reduce<QueryBody>((left, [all, right]) => ({ kind: 'UnionAll', all, left, right, span }), first),
    );
  return fc
    .record({
      ctes: sub
        ? fc.array(fc.record({ name, query: sub, span: fc.constant(span) }), { maxLength: 1 })
        : fc.constant([]),
      body,
      orderBy: fc.array(
        fc.record(
          { expr, direction: fc.constantFrom<'ASC' | 'DESC'>('ASC', 'DESC'), span: fc.constant(span) },
          { requiredKeys: ['expr', 'span'] },
        ),
        { maxLength: 2 },
      ),
      limit: fc.option(fc.nat({ max: 1000 }), { nil: undefined }),
    })
    .map((r): Query => {
      const { limit, ...rest } = r;
      return { kind: 'Query', ...rest, ...(limit !== undefined ? { limit } : {}), span };
    });
}

const statement: fc.Arbitrary<Statement> = fc.oneof(
  queryArb(1).map((query): Statement => ({ kind: 'QueryStmt', query, span })),
  fc.tuple(name, queryArb(1)).map(([sink, query]): Statement => ({ kind: 'Insert', sink, query, span })),
  fc
    .record({
      name,
      columns: fc.array(
        fc.oneof(
          fc
            .record({ name, type: dataType, notNull: fc.boolean() })
            .map((c) => ({ kind: 'PhysicalColumn' as const, ...c, span })),
          fc.record({ name, expr }).map((c) => ({ kind: 'ComputedColumn' as const, ...c, span })),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      options: fc.array(
        fc.record({
          key: fc.string({ maxLength: 6 }),
          value: fc.string({ maxLength: 6 }),
          span: fc.constant(span),
        }),
        {
          maxLength: 2,
        },
      ),
    })
    .map((r): Statement => ({ kind: 'CreateSource', keyword: 'SOURCE', ...r, span })),
  fc
    .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
    .map(([key, value]): Statement => ({ kind: 'Set', key, value, span })),
);

test('print(ast) parses back to the same AST (generated statements)', (t) => {
  fc.assert(
    fc.property(statement, (s) => {
      const text = print(s);
      const r = parse(text);
      if (r.diagnostics.length > 0) throw new Error(`${text}\n${r.diagnostics[0]!.message}`);
      return r.statements.length === 1 && canon(r.statements[0]) === canon(s);
    }),
    { numRuns: LONG ? 20_000 : 250 },
  );
  t.pass();
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.sql') ? [p] : [];
  });
}

const corpus = [
  ...walk(join(root, 'queries')).filter((f) => !f.includes(join('nexmark', 'batch'))),
  ...walk(join(here, 'golden')),
].map((f) => readFileSync(f, 'utf8'));

test('print(parse(x)) round-trips every script in queries/ and the goldens', (t) => {
  let n = 0;
  for (const sql of corpus) {
    for (const s of parse(sql).statements) {
      const again = parse(print(s));
      t.deepEqual(again.diagnostics, []);
      t.is(canon(again.statements[0]), canon(s));
      n++;
    }
  }
  t.true(n > 50);
});

// Fuzzing: random token soups and mutated valid scripts give diagnostics, never an exception or a hang.

function tokens(sql: string): string[] {
  return sql.match(/'(?:[^']|'')*'|`[^`]*`|\w+|[^\s\w]/g) ?? [];
}

function safeCompile(sql: string): number {
  const t0 = performance.now();
  const r = compile(sql);
  if (!Array.isArray(r.diagnostics)) throw new Error('no diagnostics array');
  if (r.program === undefined && !r.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(`no program and no error for ${JSON.stringify(sql)}`);
  return performance.now() - t0;
}

test('fuzz: random token sequences never throw', (t) => {
  let slowest = 0;
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...VOCAB), { maxLength: 60 }), (toks) => {
      slowest = Math.max(slowest, safeCompile(toks.join(' ')));
    }),
    { numRuns: LONG ? 50_000 : 1_000 },
  );
  t.log(`slowest input: ${slowest.toFixed(2)} ms`);
  t.pass();
});

test('fuzz: mutated valid scripts never throw', (t) => {
  const docs = corpus.map(tokens);
  let slowest = 0;
  const mutation = fc.record({
    doc: fc.nat({ max: docs.length - 1 }),
    edits: fc.array(
      fc.record({
        kind: fc.constantFrom('delete', 'insert', 'duplicate', 'swap'),
        at: fc.nat(),
        len: fc.integer({ min: 1, max: 4 }),
        token: fc.constantFrom(...VOCAB),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  });
  fc.assert(
    fc.property(mutation, ({ doc, edits }) => {
      const toks = [...docs[doc]!];
      for (const e of edits) {
        const at = toks.length === 0 ? 0 : e.at % toks.length;
        if (e.kind === 'delete') toks.splice(at, e.len);
        else if (e.kind === 'insert') toks.splice(at, 0, e.token);
        else if (e.kind === 'duplicate') toks.splice(at, 0, ...toks.slice(at, at + e.len));
        else if (toks.length > at + 1) [toks[at], toks[at + 1]] = [toks[at + 1]!, toks[at]!];
      }
      slowest = Math.max(slowest, safeCompile(toks.join(' ')));
    }),
    { numRuns: LONG ? 50_000 : 1_000 },
  );
  t.log(`slowest input: ${slowest.toFixed(2)} ms`);
  t.pass();
});

// Grammar-valid, semantically random statements over a small catalog: the analyzer must answer with a
// program or diagnostics, never an exception.
const CATALOG = `CREATE SOURCE a (a BIGINT, b VARCHAR, user_id BIGINT, ts TIMESTAMP(3), dateTime TIMESTAMP(3),
  price DOUBLE, \`Count\` INT, \`window\` ARRAY<INT>, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'file');
CREATE SOURCE b (a INT, b VARCHAR, ts TIMESTAMP(3), WATERMARK FOR dateTime AS dateTime, dateTime TIMESTAMP(3))
  WITH (connector = 'file');
CREATE SINK \`select\` WITH (connector = 'blackhole');
`;

test('fuzz: generated statements over a catalog never make the analyzer throw', (t) => {
  let programs = 0;
  fc.assert(
    fc.property(statement, (s) => {
      const r = compile(`${CATALOG}${print(s)};`);
      if (r.program) programs++;
      return Array.isArray(r.diagnostics);
    }),
    { numRuns: LONG ? 20_000 : 300 },
  );
  t.log(`${programs} of the generated scripts compiled`);
  t.pass();
});

test('deeply nested or very long statements give E109, never a stack overflow', (t) => {
  for (const n of [65, 1000, 20_000]) {
    const nested = compile(`SELECT ${'('.repeat(n)}1${')'.repeat(n)}`);
    t.is(nested.diagnostics[0]?.code, 'E109');
    const calls = compile(`SELECT ${'ABS('.repeat(n)}1${')'.repeat(n)}`);
    t.is(calls.diagnostics[0]?.code, 'E109');
  }
  const chain = compile(`SELECT ${Array.from({ length: 5000 }, (_, i) => i).join(' + ')}`);
  t.is(chain.diagnostics[0]?.code, 'E109');
  const ok = compile(`SELECT ${'('.repeat(64)}1${')'.repeat(64)} AS x`);
  t.deepEqual(ok.diagnostics, []);
});
