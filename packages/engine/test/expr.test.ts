import { compile, type DataType, type Expr, inputsOf, type LogicalNode, type Span } from '@darq/parser';
import { fc, testProp } from '@fast-check/ava';
import test from 'ava';
// The analyzer's table of scalar functions, to check that the compiler knows every one (a contract guard).
import { SCALAR } from '../../parser/src/analyze/functions.ts';
// The expression factories are not exported from @darq/parser's index yet: imported by path meanwhile.
import { call, cast, columnRef, literal } from '../../parser/src/plan/expr.ts';
import { EngineError, PlanError } from '../src/errors.ts';
import {
  builtinFunctionNames,
  calcToJs,
  compileCalc,
  compileExpr,
  compilePredicate,
  compileProjection,
  ExpressionError,
  exprToJs,
  projectionToJs,
  type Row,
} from '../src/expr/index.ts';

// ---------------------------------------------------------------------------------------------------------
// A tiny builder for bound expressions

/** Property runs: the default suite stays fast; `pnpm test:long` (DARQ_LONG=1) runs 25 times as many. */
const runs = (n: number) => (process.env.DARQ_LONG === '1' ? n * 25 : n);

const SPAN: Span = { start: { line: 3, column: 7, offset: 0 }, end: { line: 3, column: 9, offset: 2 } };
const T = {
  bool: { kind: 'BOOLEAN' },
  int: { kind: 'INT' },
  bigint: { kind: 'BIGINT' },
  double: { kind: 'DOUBLE' },
  dec: { kind: 'DECIMAL', precision: 10, scale: 2 },
  str: { kind: 'VARCHAR' },
  ts: { kind: 'TIMESTAMP', precision: 3, ltz: false },
  interval: { kind: 'INTERVAL' },
  null: { kind: 'NULL' },
  intArray: { kind: 'ARRAY', element: { kind: 'INT' } },
} as const satisfies Record<string, DataType>;

const col = (index: number, type: DataType = T.int) => columnRef(index, `c${index}`, type, SPAN);
function lit(v: number | string | boolean | null, type?: DataType): Expr {
  const t: DataType =
    type ??
    (v === null
      ? T.null
      : typeof v === 'boolean'
        ? T.bool
        : typeof v === 'string'
          ? T.str
          : Number.isInteger(v)
            ? T.int
            : T.double);
  return literal(v, t, SPAN);
}
const fn = (name: string, type: DataType, ...args: Expr[]) => call(name, args, type, SPAN);
const b = (name: string, ...args: Expr[]) => fn(name, T.bool, ...args);
const s = (name: string, ...args: Expr[]) => fn(name, T.str, ...args);
const i = (name: string, ...args: Expr[]) => fn(name, T.int, ...args);
const d = (name: string, ...args: Expr[]) => fn(name, T.double, ...args);
const ts = (iso: string) => literal(Date.parse(`${iso}Z`), T.ts, SPAN);
const caseOf = (
  whens: [Expr, Expr][],
  els?: Expr,
  operand?: Expr,
  type: DataType = whens[0]![1].type,
): Expr => ({
  kind: 'Case',
  whens: whens.map(([when, result]) => ({ when, result })),
  ...(els ? { else: els } : {}),
  ...(operand ? { operand } : {}),
  type,
  span: SPAN,
});
const ms = (iso: string) => Date.parse(`${iso}Z`);

/** [name, expression, row, expected] */
type Case = [string, Expr, Row, unknown];

function runCases(title: string, cases: Case[]) {
  test(title, (t) => {
    for (const [name, e, row, expected] of cases) {
      const got = compileExpr(e)(row);
      t.deepEqual(got, expected, `${name}\n${exprToJs(e)}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Function families, NULL cases included

runCases('arithmetic: exact integer division and remainder truncate toward zero; NULL propagates', [
  ['int add', i('+', col(0), lit(2)), [40], 42],
  ['add null', i('+', col(0), lit(2)), [null], null],
  ['add missing field', i('+', col(0), lit(2)), [], null],
  ['add null literal', i('+', col(0), lit(null)), [1], null],
  ['sub', i('-', col(0), col(1)), [5, 7], -2],
  ['mul', i('*', col(0), col(1)), [6, 7], 42],
  ['mul no negative zero', i('*', col(0), col(1)), [-1, 0], 0],
  ['int div', i('/', col(0), lit(2)), [7], 3],
  ['int div negative', i('/', col(0), lit(2)), [-7], -3],
  ['int div negative zero', i('/', col(0), lit(2)), [-1], 0],
  ['double div', d('/', col(0, T.double), lit(2)), [7], 3.5],
  ['double div by zero', d('/', col(0, T.double), lit(0)), [1], Number.POSITIVE_INFINITY],
  ['decimal div by zero is NULL', fn('/', T.dec, col(0, T.dec), lit(0, T.dec)), [1.5], null],
  ['mod', i('%', col(0), lit(3)), [-7], -1],
  ['MOD', i('MOD', col(0), lit(-3)), [7], 1],
  ['mod null', i('MOD', col(0), lit(3)), [null], null],
  ['neg', i('NEG', col(0)), [5], -5],
  ['neg zero', i('NEG', col(0)), [0], 0],
  ['neg null', i('NEG', col(0)), [null], null],
  [
    'timestamp + interval',
    fn('+', T.ts, ts('2024-01-01T00:00:00'), lit(1500, T.interval)),
    [],
    ms('2024-01-01T00:00:01.500'),
  ],
  ['timestamp - interval', fn('-', T.ts, col(0, T.ts), lit(1000, T.interval)), [1000], 0],
]);

test('exact division by zero names the operator and the row', (t) => {
  const f = compileExpr(i('/', col(0), col(1)));
  const err = t.throws(() => f([7, 0]), { instanceOf: ExpressionError });
  t.is(err?.code, 'EXPR_DIVISION_BY_ZERO');
  t.is(err?.fn, '/');
  t.deepEqual(err?.row, [7, 0]);
  t.true(err instanceof EngineError && err.domain === 'user');
  t.regex(err?.message ?? '', /NULLIF/);
});

runCases('comparisons of numbers, strings, timestamps, booleans and arrays; NULL → NULL', [
  ['=', b('=', col(0), lit(3)), [3], true],
  ['= null', b('=', col(0), lit(3)), [null], null],
  ['<>', b('<>', col(0), lit(3)), [4], true],
  ['<', b('<', col(0, T.str), lit('b')), ['a'], true],
  ['string compare is UTF-16 order', b('<', col(0, T.str), lit('a')), ['B'], true],
  ['<=', b('<=', col(0), lit(3)), [3], true],
  ['>', b('>', col(0, T.ts), ts('2024-01-01T00:00:00')), [ms('2024-01-01T00:00:00.001')], true],
  ['>=', b('>=', col(0, T.double), lit(2.5)), [2.4], false],
  ['boolean order', b('<', col(0, T.bool), lit(true)), [false], true],
  [
    'array equality',
    b('=', col(0, T.intArray), col(1, T.intArray)),
    [
      [1, null],
      [1, null],
    ],
    true,
  ],
  [
    'array order',
    b('<', col(0, T.intArray), col(1, T.intArray)),
    [
      [1, 2],
      [1, 3],
    ],
    true,
  ],
  ['is distinct null null', b('IS_DISTINCT_FROM', col(0), col(1)), [null, null], false],
  ['is distinct null 1', b('IS_DISTINCT_FROM', col(0), col(1)), [null, 1], true],
  ['is not distinct', b('IS_NOT_DISTINCT_FROM', col(0), col(1)), [2, 2], true],
  ['is not distinct null 1', b('IS_NOT_DISTINCT_FROM', col(0), col(1)), [1, null], false],
]);

runCases('logic and predicates: IS, LIKE, IN, BETWEEN with NULLs', [
  ['not', b('NOT', col(0, T.bool)), [true], false],
  ['not null', b('NOT', col(0, T.bool)), [null], null],
  ['is null', b('IS_NULL', col(0)), [null], true],
  ['is not null', b('IS_NOT_NULL', col(0)), [0], true],
  ['is true null', b('IS_TRUE', col(0, T.bool)), [null], false],
  ['is false', b('IS_FALSE', col(0, T.bool)), [false], true],
  ['like prefix', b('LIKE', col(0, T.str), lit('fev%')), ['fever'], true],
  ['like suffix', b('LIKE', col(0, T.str), lit('%ver')), ['fever'], true],
  ['like contains', b('LIKE', col(0, T.str), lit('%eve%')), ['fever'], true],
  ['like exact', b('LIKE', col(0, T.str), lit('fever')), ['fever!'], false],
  ['like underscore', b('LIKE', col(0, T.str), lit('f_v%')), ['fever'], true],
  ['like metachars are literal', b('LIKE', col(0, T.str), lit('a.c(%')), ['abc('], false],
  ['like metachars match', b('LIKE', col(0, T.str), lit('a.c(%')), ['a.c(d'], true],
  ['like dotall', b('LIKE', col(0, T.str), lit('a%b')), ['a\nb'], true],
  ['like % matches empty', b('LIKE', col(0, T.str), lit('%')), [''], true],
  ['like null', b('LIKE', col(0, T.str), lit('%')), [null], null],
  ['like column pattern', b('LIKE', col(0, T.str), col(1, T.str)), ['abc', 'a_c'], true],
  ['not like', b('NOT_LIKE', col(0, T.str), lit('a%')), ['abc'], false],
  ['not like null', b('NOT_LIKE', col(0, T.str), lit('a%')), [null], null],
  ['in hit', b('IN', col(0), lit(1), lit(2)), [2], true],
  ['in miss', b('IN', col(0), lit(1), lit(2)), [3], false],
  ['in miss with null', b('IN', col(0), lit(1), lit(null)), [3], null],
  ['in hit with null', b('IN', col(0), lit(1), lit(null)), [1], true],
  ['in x null', b('IN', col(0), lit(1)), [null], null],
  ['in large literal set', b('IN', col(0, T.str), ...'abcdefg'.split('').map((c) => lit(c))), ['e'], true],
  [
    'in large literal set miss',
    b('IN', col(0, T.str), ...'abcdefg'.split('').map((c) => lit(c))),
    ['z'],
    false,
  ],
  ['in large set with null', b('IN', col(0), ...[1, 2, 3, 4, 5, null].map((v) => lit(v))), [9], null],
  ['in columns', b('IN', col(0), col(1), col(2)), [1, null, 1], true],
  ['not in', b('NOT_IN', col(0), lit(1), lit(2)), [3], true],
  ['not in with null', b('NOT_IN', col(0), lit(1), lit(null)), [3], null],
  ['between', b('BETWEEN', col(0), lit(1), lit(3)), [3], true],
  ['between below', b('BETWEEN', col(0), lit(1), lit(3)), [0], false],
  ['between null bound but false', b('BETWEEN', col(0), col(1), lit(3)), [5, null], false],
  ['between null bound unknown', b('BETWEEN', col(0), col(1), lit(3)), [2, null], null],
  ['not between', b('NOT_BETWEEN', col(0), lit(1), lit(3)), [5], true],
  ['not between null', b('NOT_BETWEEN', col(0), lit(1), lit(3)), [null], null],
]);

runCases('strings', [
  ['||', s('||', col(0, T.str), lit('-'), col(1, T.str)), ['a', 'b'], 'a-b'],
  ['|| null', s('||', col(0, T.str), col(1, T.str)), ['a', null], null],
  ['concat', s('CONCAT', lit('x'), col(0, T.str)), ['y'], 'xy'],
  [
    'concat_ws skips nulls',
    s('CONCAT_WS', lit(','), col(0, T.str), col(1, T.str), lit('c')),
    ['a', null],
    'a,c',
  ],
  ['concat_ws null sep', s('CONCAT_WS', col(0, T.str), lit('a')), [null], null],
  ['lower', s('LOWER', col(0, T.str)), ['AbC'], 'abc'],
  ['upper', s('UPPER', col(0, T.str)), ['AbC'], 'ABC'],
  ['upper null', s('UPPER', col(0, T.str)), [null], null],
  ['trim spaces only', s('TRIM', col(0, T.str)), ['  a b \t '], 'a b \t'],
  ['ltrim', s('LTRIM', col(0, T.str)), ['  a '], 'a '],
  ['rtrim', s('RTRIM', col(0, T.str)), ['  a '], '  a'],
  ['substring', s('SUBSTRING', col(0, T.str), lit(2), lit(3)), ['hello'], 'ell'],
  ['substring to end', s('SUBSTRING', col(0, T.str), lit(3)), ['hello'], 'llo'],
  ['substring from 0', s('SUBSTRING', col(0, T.str), lit(0), lit(2)), ['hello'], 'he'],
  ['substring negative from', s('SUBSTRING', col(0, T.str), lit(-3), lit(2)), ['hello'], 'll'],
  ['substring past end', s('SUBSTRING', col(0, T.str), lit(9)), ['hello'], ''],
  ['substring code points', s('SUBSTRING', col(0, T.str), lit(2), lit(1)), ['a😀b'], '😀'],
  ['substring null len', s('SUBSTRING', col(0, T.str), lit(2), col(1)), ['hello', null], null],
  ['char_length', i('CHAR_LENGTH', col(0, T.str)), ['a😀b'], 3],
  ['position', i('POSITION', lit('l'), col(0, T.str)), ['hello'], 3],
  ['position absent', i('POSITION', lit('z'), col(0, T.str)), ['hello'], 0],
  ['replace', s('REPLACE', col(0, T.str), lit('l'), lit('$&')), ['hello'], 'he$&$&o'],
  [
    'regexp_extract group',
    s('REGEXP_EXTRACT', col(0, T.str), lit('(\\d+)-(\\d+)'), lit(2)),
    ['ab 12-34'],
    '34',
  ],
  ['regexp_extract whole', s('REGEXP_EXTRACT', col(0, T.str), lit('\\d+')), ['ab 12-34'], '12'],
  ['regexp_extract no match', s('REGEXP_EXTRACT', col(0, T.str), lit('\\d+')), ['abc'], null],
  ['regexp_extract no group', s('REGEXP_EXTRACT', col(0, T.str), lit('(a)'), lit(3)), ['abc'], null],
  ['regexp_extract java flag', s('REGEXP_EXTRACT', col(0, T.str), lit('(?i)B+')), ['abbc'], 'bb'],
  ['regexp_extract dynamic', s('REGEXP_EXTRACT', col(0, T.str), col(1, T.str)), ['abc', 'b.'], 'bc'],
  ['regexp_extract dynamic invalid', s('REGEXP_EXTRACT', col(0, T.str), col(1, T.str)), ['abc', '('], null],
  ['regexp', b('REGEXP', col(0, T.str), lit('^fe+v')), ['feever'], true],
  ['regexp finds anywhere', b('REGEXP', col(0, T.str), lit('v')), ['fever'], true],
  ['regexp null', b('REGEXP', col(0, T.str), lit('v')), [null], null],
  ['split_index', s('SPLIT_INDEX', col(0, T.str), lit(','), lit(1)), ['a,b,c'], 'b'],
  ['split_index out of range', s('SPLIT_INDEX', col(0, T.str), lit(','), lit(3)), ['a,b,c'], null],
  ['split_index negative', s('SPLIT_INDEX', col(0, T.str), lit(','), lit(-1)), ['a,b,c'], null],
  ['hash_code', i('HASH_CODE', col(0, T.str)), ['hello'], 99162322],
  ['hash_code overflow', i('HASH_CODE', col(0, T.str)), ['the quick brown fox'], 1302335171],
  ['hash_code empty', i('HASH_CODE', col(0, T.str)), [''], 0],
  ['initcap', s('INITCAP', col(0, T.str)), ['hello wORLD-foo 1a'], 'Hello World-Foo 1a'],
  ['reverse', s('REVERSE', col(0, T.str)), ['ab😀'], '😀ba'],
  ['lpad', s('LPAD', col(0, T.str), lit(5), lit('xy')), ['ab'], 'xyxab'],
  ['lpad truncates', s('LPAD', col(0, T.str), lit(1), lit('?')), ['hi'], 'h'],
  ['lpad empty pad', s('LPAD', col(0, T.str), lit(5), lit('')), ['hi'], null],
  ['rpad', s('RPAD', col(0, T.str), lit(4), lit('.')), ['ab'], 'ab..'],
  ['md5', s('MD5', col(0, T.str)), ['hello'], '5d41402abc4b2a76b9719d911017c592'],
  ['md5 null', s('MD5', col(0, T.str)), [null], null],
  ['repeat', s('REPEAT', col(0, T.str), lit(3)), ['ab'], 'ababab'],
  ['repeat negative', s('REPEAT', col(0, T.str), lit(-1)), ['ab'], ''],
  ['regexp_replace', s('REGEXP_REPLACE', col(0, T.str), lit('(\\d+)'), lit('<$1>')), ['a1b22'], 'a<1>b<22>'],
  ['regexp_replace literal $', s('REGEXP_REPLACE', col(0, T.str), lit('b'), lit('\\$&$')), ['abc'], 'a$&$c'],
  [
    'regexp_replace named',
    s('REGEXP_REPLACE', col(0, T.str), lit('(?<d>\\d)'), lit('$' + '{d}$' + '{d}')),
    ['a1'],
    'a11',
  ],
  [
    'regexp_replace dynamic',
    s('REGEXP_REPLACE', col(0, T.str), col(1, T.str), lit('-')),
    ['a.b.c', '\\.'],
    'a-b-c',
  ],
  [
    'regexp_replace dynamic invalid',
    s('REGEXP_REPLACE', col(0, T.str), col(1, T.str), lit('-')),
    ['a', '['],
    null,
  ],
]);

runCases('numbers', [
  ['abs', i('ABS', col(0)), [-3], 3],
  ['round half away from zero', d('ROUND', col(0, T.double)), [2.5], 3],
  ['round negative half', d('ROUND', col(0, T.double)), [-2.5], -3],
  ['round digits', d('ROUND', col(0, T.double), lit(2)), [1.005], 1.01],
  ['round digits negative', d('ROUND', col(0, T.double), lit(2)), [-1.005], -1.01],
  ['round negative digits', d('ROUND', col(0, T.double), lit(-2)), [1250], 1300],
  ['round small', d('ROUND', col(0, T.double), lit(8)), [1.5e-7], 1.5e-7],
  ['round int', i('ROUND', col(0)), [7], 7],
  ['round null', d('ROUND', col(0, T.double), lit(1)), [null], null],
  ['truncate', d('TRUNCATE', col(0, T.double), lit(1)), [-1.29], -1.2],
  ['floor', d('FLOOR', col(0, T.double)), [-1.5], -2],
  ['ceil', d('CEIL', col(0, T.double)), [1.2], 2],
  ['power', d('POWER', col(0, T.double), lit(2)), [3], 9],
  ['sqrt', d('SQRT', col(0, T.double)), [16], 4],
  ['sqrt negative is NaN', d('SQRT', col(0, T.double)), [-1], Number.NaN],
  ['exp', d('EXP', lit(0)), [], 1],
  ['ln', d('LN', col(0, T.double)), [Math.E], 1],
  ['log10', d('LOG10', col(0, T.double)), [1000], 3],
  ['sign', i('SIGN', col(0)), [-9], -1],
  ['sign zero', i('SIGN', col(0)), [0], 0],
  ['sin', d('SIN', lit(0)), [], 0],
  ['cos', d('COS', lit(0)), [], 1],
  ['tan', d('TAN', lit(0)), [], 0],
  [
    'to_decimal string',
    fn('TO_DECIMAL', { kind: 'DECIMAL', precision: 38, scale: 18 }, col(0, T.str)),
    ['1.25'],
    1.25,
  ],
  [
    'to_decimal bad',
    fn('TO_DECIMAL', { kind: 'DECIMAL', precision: 38, scale: 18 }, col(0, T.str)),
    ['x'],
    null,
  ],
]);

const T0 = ms('2024-03-09T17:05:42.123'); // a Saturday, day 69, ISO week 10
runCases('time: EXTRACT, fields, DATE_FORMAT, TO_TIMESTAMP, FLOOR/CEIL, epoch conversions', [
  ['extract year', i('EXTRACT', lit('YEAR'), col(0, T.ts)), [T0], 2024],
  ['extract month', i('EXTRACT', lit('MONTH'), col(0, T.ts)), [T0], 3],
  ['extract day', i('EXTRACT', lit('DAY'), col(0, T.ts)), [T0], 9],
  ['extract hour', i('EXTRACT', lit('HOUR'), col(0, T.ts)), [T0], 17],
  ['extract minute', i('EXTRACT', lit('MINUTE'), col(0, T.ts)), [T0], 5],
  ['extract second', i('EXTRACT', lit('SECOND'), col(0, T.ts)), [T0], 42],
  ['extract millisecond', i('EXTRACT', lit('MILLISECOND'), col(0, T.ts)), [T0], 42123],
  ['extract epoch', i('EXTRACT', lit('EPOCH'), col(0, T.ts)), [T0], Math.floor(T0 / 1000)],
  ['extract dow (1 = Sunday)', i('EXTRACT', lit('DOW'), col(0, T.ts)), [T0], 7],
  ['extract doy', i('EXTRACT', lit('DOY'), col(0, T.ts)), [T0], 69],
  ['extract week', i('EXTRACT', lit('WEEK'), col(0, T.ts)), [T0], 10],
  ['extract week across years', i('EXTRACT', lit('WEEK'), col(0, T.ts)), [ms('2021-01-03T00:00:00')], 53],
  ['extract quarter', i('EXTRACT', lit('QUARTER'), col(0, T.ts)), [T0], 1],
  ['extract lower-case unit', i('EXTRACT', lit('year'), col(0, T.ts)), [T0], 2024],
  ['extract null', i('EXTRACT', lit('YEAR'), col(0, T.ts)), [null], null],
  ['hour before 1970', i('HOUR', col(0, T.ts)), [ms('1969-12-31T23:00:00')], 23],
  ['year', i('YEAR', col(0, T.ts)), [T0], 2024],
  ['month', i('MONTH', col(0, T.ts)), [T0], 3],
  ['dayofmonth', i('DAYOFMONTH', col(0, T.ts)), [T0], 9],
  ['minute', i('MINUTE', col(0, T.ts)), [T0], 5],
  ['second', i('SECOND', col(0, T.ts)), [T0], 42],
  [
    'date_format',
    s('DATE_FORMAT', col(0, T.ts), lit('yyyy-MM-dd HH:mm:ss.SSS')),
    [T0],
    '2024-03-09 17:05:42.123',
  ],
  [
    'date_format quoted',
    s('DATE_FORMAT', col(0, T.ts), lit("yyyyMMdd'T'HH 'o''clock'")),
    [T0],
    "20240309T17 o'clock",
  ],
  [
    'date_format names',
    s('DATE_FORMAT', col(0, T.ts), lit('EEE, d MMM yy h:mm a')),
    [T0],
    'Sat, 9 Mar 24 5:05 PM',
  ],
  ['date_format long names', s('DATE_FORMAT', col(0, T.ts), lit('EEEE MMMM D')), [T0], 'Saturday March 69'],
  ['date_format dynamic', s('DATE_FORMAT', col(0, T.ts), col(1, T.str)), [T0, 'HH:mm'], '17:05'],
  ['date_format dynamic bad', s('DATE_FORMAT', col(0, T.ts), col(1, T.str)), [T0, 'HH:qq'], null],
  [
    'date_format of a string',
    s('DATE_FORMAT', col(0, T.str), lit('yyyy/MM/dd')),
    ['2024-03-09 10:00:00'],
    '2024/03/09',
  ],
  ['date_format of a bad string', s('DATE_FORMAT', col(0, T.str), lit('yyyy')), ['soon'], null],
  ['date_format null', s('DATE_FORMAT', col(0, T.ts), lit('yyyy')), [null], null],
  [
    'to_timestamp default',
    fn('TO_TIMESTAMP', T.ts, col(0, T.str)),
    ['2024-03-09 17:05:42'],
    ms('2024-03-09T17:05:42'),
  ],
  ['to_timestamp iso fraction', fn('TO_TIMESTAMP', T.ts, col(0, T.str)), ['2024-03-09T17:05:42.123'], T0],
  ['to_timestamp offset', fn('TO_TIMESTAMP', T.ts, col(0, T.str)), ['2024-03-09T18:05:42.123+01:00'], T0],
  ['to_timestamp bad', fn('TO_TIMESTAMP', T.ts, col(0, T.str)), ['2024-02-30 00:00:00'], null],
  [
    'to_timestamp pattern',
    fn('TO_TIMESTAMP', T.ts, col(0, T.str), lit('dd/MM/yyyy HH:mm')),
    ['09/03/2024 17:05'],
    ms('2024-03-09T17:05:00'),
  ],
  [
    'to_timestamp compact',
    fn('TO_TIMESTAMP', T.ts, col(0, T.str), lit('yyyyMMddHHmmss')),
    ['20240309170542'],
    ms('2024-03-09T17:05:42'),
  ],
  [
    'to_timestamp month name',
    fn('TO_TIMESTAMP', T.ts, col(0, T.str), lit('d MMM yyyy')),
    ['9 mar 2024'],
    ms('2024-03-09T00:00:00'),
  ],
  [
    'to_timestamp pattern mismatch',
    fn('TO_TIMESTAMP', T.ts, col(0, T.str), lit('yyyy-MM-dd')),
    ['2024/03/09'],
    null,
  ],
  ['to_timestamp null', fn('TO_TIMESTAMP', T.ts, col(0, T.str)), [null], null],
  [
    'to_timestamp_ltz seconds',
    fn('TO_TIMESTAMP_LTZ', T.ts, col(0, T.bigint), lit(0)),
    [1700000000],
    1700000000000,
  ],
  [
    'to_timestamp_ltz millis',
    fn('TO_TIMESTAMP_LTZ', T.ts, col(0, T.bigint), lit(3)),
    [1700000000123],
    1700000000123,
  ],
  ['to_timestamp_ltz null', fn('TO_TIMESTAMP_LTZ', T.ts, col(0, T.bigint), lit(3)), [null], null],
  [
    'to_timestamp_ltz default millis',
    fn('TO_TIMESTAMP_LTZ', T.ts, col(0, T.bigint)),
    [1700000000123],
    1700000000123,
  ],
  ['floor second', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('SECOND')), [T0], ms('2024-03-09T17:05:42')],
  ['floor minute', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('MINUTE')), [T0], ms('2024-03-09T17:05:00')],
  ['floor hour', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('HOUR')), [T0], ms('2024-03-09T17:00:00')],
  ['floor day', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('DAY')), [T0], ms('2024-03-09T00:00:00')],
  ['floor month', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('MONTH')), [T0], ms('2024-03-01T00:00:00')],
  ['floor year', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('YEAR')), [T0], ms('2024-01-01T00:00:00')],
  ['floor week (Sunday)', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('WEEK')), [T0], ms('2024-03-03T00:00:00')],
  [
    'floor week before 1970',
    fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('WEEK')),
    [0],
    ms('1969-12-28T00:00:00'),
  ],
  ['ceil week', fn('CEIL_TIME', T.ts, col(0, T.ts), lit('WEEK')), [T0], ms('2024-03-10T00:00:00')],
  ['floor quarter', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('QUARTER')), [T0], ms('2024-01-01T00:00:00')],
  ['floor before 1970', fn('FLOOR_TIME', T.ts, col(0, T.ts), lit('DAY')), [-1], ms('1969-12-31T00:00:00')],
  ['ceil minute', fn('CEIL_TIME', T.ts, col(0, T.ts), lit('MINUTE')), [T0], ms('2024-03-09T17:06:00')],
  [
    'ceil aligned',
    fn('CEIL_TIME', T.ts, col(0, T.ts), lit('HOUR')),
    [ms('2024-03-09T17:00:00')],
    ms('2024-03-09T17:00:00'),
  ],
  ['ceil month', fn('CEIL_TIME', T.ts, col(0, T.ts), lit('MONTH')), [T0], ms('2024-04-01T00:00:00')],
  ['ceil year', fn('CEIL_TIME', T.ts, col(0, T.ts), lit('YEAR')), [T0], ms('2025-01-01T00:00:00')],
  ['ceil null', fn('CEIL_TIME', T.ts, col(0, T.ts), lit('YEAR')), [null], null],
  ['unix_timestamp of string', fn('UNIX_TIMESTAMP', T.bigint, col(0, T.str)), ['1970-01-01 00:01:40'], 100],
  [
    'unix_timestamp pattern',
    fn('UNIX_TIMESTAMP', T.bigint, col(0, T.str), lit('yyyyMMdd')),
    ['19700102'],
    86400,
  ],
  ['unix_timestamp bad', fn('UNIX_TIMESTAMP', T.bigint, col(0, T.str)), ['x'], null],
  ['from_unixtime', s('FROM_UNIXTIME', col(0, T.bigint)), [86400], '1970-01-02 00:00:00'],
  ['from_unixtime pattern', s('FROM_UNIXTIME', col(0, T.bigint), lit('yyyy')), [0], '1970'],
]);

runCases('conditionals: CASE, COALESCE, NULLIF, IF, GREATEST, LEAST', [
  ['case searched', caseOf([[b('>', col(0), lit(5)), lit('big')]], lit('small')), [9], 'big'],
  ['case searched else', caseOf([[b('>', col(0), lit(5)), lit('big')]], lit('small')), [1], 'small'],
  [
    'case NULL condition is not true',
    caseOf([[b('>', col(0), lit(5)), lit('big')]], lit('small')),
    [null],
    'small',
  ],
  ['case no else', caseOf([[b('>', col(0), lit(5)), lit('big')]]), [1], null],
  [
    'case second when',
    caseOf([
      [b('=', col(0), lit(1)), lit('one')],
      [b('=', col(0), lit(2)), lit('two')],
    ]),
    [2],
    'two',
  ],
  [
    'case operand',
    caseOf(
      [
        [lit(1), lit('one')],
        [lit(2), lit('two')],
      ],
      lit('many'),
      col(0),
    ),
    [2],
    'two',
  ],
  ['case operand null', caseOf([[lit(1), lit('one')]], lit('other'), col(0)), [null], 'other'],
  ['case operand null when', caseOf([[col(1), lit('eq')]], lit('other'), col(0)), [1, null], 'other'],
  ['coalesce', fn('COALESCE', T.int, col(0), col(1), lit(9)), [null, 2], 2],
  ['coalesce all null', fn('COALESCE', T.int, col(0), col(1)), [null, null], null],
  ['coalesce default', fn('COALESCE', T.int, col(0), col(1), lit(9)), [null, null], 9],
  ['nullif equal', i('NULLIF', col(0), lit(0)), [0], null],
  ['nullif different', i('NULLIF', col(0), lit(0)), [5], 5],
  ['nullif second null', i('NULLIF', col(0), col(1)), [5, null], 5],
  ['nullif first null', i('NULLIF', col(0), col(1)), [null, 5], null],
  ['if true', s('IF', b('>', col(0), lit(0)), lit('pos'), lit('neg')), [3], 'pos'],
  ['if null condition', s('IF', b('>', col(0), lit(0)), lit('pos'), lit('neg')), [null], 'neg'],
  ['greatest', i('GREATEST', col(0), col(1), lit(3)), [1, 5], 5],
  ['greatest strings', s('GREATEST', col(0, T.str), lit('b')), ['a'], 'b'],
  ['greatest null', i('GREATEST', col(0), col(1)), [1, null], null],
  ['least', i('LEAST', col(0), col(1), lit(3)), [1, 5], 1],
]);

const intArray = col(0, T.intArray);
const rowType: DataType = {
  kind: 'ROW',
  fields: [
    { name: 'a', type: T.int, nullable: true },
    { name: 'b', type: T.str, nullable: true },
  ],
};
runCases('arrays and rows: constructors, ELEMENT_AT (1-based), FIELD, CARDINALITY', [
  ['array', fn('ARRAY', T.intArray, col(0), lit(2), lit(null)), [1], [1, 2, null]],
  ['row', fn('ROW', rowType, col(0), lit('x')), [1], [1, 'x']],
  ['element_at', i('ELEMENT_AT', intArray, lit(2)), [[10, 20, 30]], 20],
  ['element_at out of range', i('ELEMENT_AT', intArray, lit(4)), [[10, 20, 30]], null],
  ['element_at zero', i('ELEMENT_AT', intArray, lit(0)), [[10]], null],
  ['element_at null array', i('ELEMENT_AT', intArray, lit(1)), [null], null],
  ['field', s('FIELD', col(0, rowType), lit(1)), [[1, 'x']], 'x'],
  ['field null row', s('FIELD', col(0, rowType), lit(1)), [null], null],
  ['cardinality', i('CARDINALITY', intArray), [[1, 2, 3]], 3],
  ['cardinality null', i('CARDINALITY', intArray), [null], null],
]);

const c0 = (type: DataType) => col(0, type);
runCases('CAST between types; a failed cast is NULL', [
  ['varchar → int', cast(c0(T.str), T.int), [' 42 '], 42],
  ['varchar → int truncates fraction', cast(c0(T.str), T.int), ['-1.9'], -1],
  ['varchar → int bad', cast(c0(T.str), T.int), ['abc'], null],
  ['varchar → int empty', cast(c0(T.str), T.int), [''], null],
  ['varchar → int overflow', cast(c0(T.str), T.int), ['3000000000'], null],
  ['varchar → bigint', cast(c0(T.str), T.bigint), ['3000000000'], 3000000000],
  ['double → int truncates toward zero', cast(c0(T.double), T.int), [-2.7], -2],
  ['double → bigint', cast(c0(T.double), T.bigint), [2.7], 2],
  ['double NaN → int', cast(c0(T.double), T.int), [Number.NaN], null],
  ['bigint → int out of range', cast(c0(T.bigint), T.int), [2 ** 40], null],
  ['int → double', cast(c0(T.int), T.double), [3], 3],
  ['varchar → double', cast(c0(T.str), T.double), ['1.5e3'], 1500],
  ['varchar → double bad', cast(c0(T.str), T.double), ['1.5x'], null],
  ['varchar → double NaN', cast(c0(T.str), T.double), ['NaN'], Number.NaN],
  ['double → decimal rounds half up', cast(c0(T.double), T.dec), [1.005], 1.01],
  ['decimal overflow', cast(c0(T.double), { kind: 'DECIMAL', precision: 3, scale: 1 }), [123.4], null],
  ['varchar → decimal', cast(c0(T.str), T.dec), ['12.345'], 12.35],
  ['boolean → varchar', cast(c0(T.bool), T.str), [true], 'TRUE'],
  ['varchar → boolean', cast(c0(T.str), T.bool), ['false'], false],
  ['varchar → boolean yes', cast(c0(T.str), T.bool), [' YES '], true],
  ['varchar → boolean bad', cast(c0(T.str), T.bool), ['maybe'], null],
  ['int → boolean', cast(c0(T.int), T.bool), [2], true],
  ['boolean → int', cast(c0(T.bool), T.int), [true], 1],
  ['int → varchar', cast(c0(T.int), T.str), [-5], '-5'],
  ['double → varchar (Java form)', cast(c0(T.double), T.str), [1], '1.0'],
  ['double → varchar exponent', cast(c0(T.double), T.str), [1.5e20], '1.5E20'],
  ['double → varchar small', cast(c0(T.double), T.str), [0.0001], '1.0E-4'],
  ['decimal → varchar keeps scale', cast(c0(T.dec), T.str), [2.5], '2.50'],
  ['timestamp → varchar', cast(c0(T.ts), T.str), [T0], '2024-03-09 17:05:42.123'],
  [
    'timestamp → varchar year 5',
    cast(c0(T.ts), T.str),
    [ms('0005-01-01T00:00:00')],
    '0005-01-01 00:00:00.000',
  ],
  ['varchar → timestamp', cast(c0(T.str), T.ts), ['2024-03-09 17:05:42.123'], T0],
  ['varchar → timestamp T and Z', cast(c0(T.str), T.ts), ['2024-03-09T17:05:42.123Z'], T0],
  ['varchar → timestamp date only', cast(c0(T.str), T.ts), ['2024-03-09'], ms('2024-03-09T00:00:00')],
  ['varchar → timestamp bad', cast(c0(T.str), T.ts), ['2024-13-01'], null],
  [
    'varchar → timestamp(0)',
    cast(c0(T.str), { kind: 'TIMESTAMP', precision: 0, ltz: false }),
    ['1969-12-31 23:59:59.5'],
    -1000,
  ],
  ['timestamp → bigint is epoch seconds', cast(c0(T.ts), T.bigint), [T0], Math.floor(T0 / 1000)],
  ['bigint → timestamp is epoch seconds', cast(c0(T.bigint), T.ts), [1], 1000],
  ['interval → varchar', cast(c0(T.interval), T.str), [93784005], '+1 02:03:04.005'],
  ['array → varchar', cast(c0(T.intArray), T.str), [[1, null]], '[1, NULL]'],
  [
    'array<int> → array<varchar>',
    cast(c0(T.intArray), { kind: 'ARRAY', element: T.str }),
    [[1, null]],
    ['1', null],
  ],
  ['row → varchar', cast(c0(rowType), T.str), [[1, 'x']], '(1, x)'],
  ['null → int', cast(lit(null), T.int), [], null],
  ['int column null → varchar', cast(c0(T.int), T.str), [null], null],
]);

// ---------------------------------------------------------------------------------------------------------
// Through SQL: what the parser's analyzer produces is what the compiler accepts (the contract, end to end)

const SOURCE =
  'CREATE SOURCE t (a INT, b BIGINT, d DOUBLE, s VARCHAR, ts TIMESTAMP(3), arr ARRAY<INT>, flag BOOLEAN, ' +
  "m DECIMAL(10, 2)) WITH (connector = 'file', path = 't.jsonl', format = 'jsonl');";
const ROW: Row = [7, 10, 2.5, 'Fever', T0, [1, 2], null, 0.1];

function planOf(select: string): LogicalNode {
  const r = compile(`${SOURCE}\n${select};`);
  if (r.program === undefined)
    throw new Error(`${select}: ${r.diagnostics.map((x) => x.message).join('; ')}`);
  const st = r.program.statements[0]!;
  if (st.kind !== 'Select') throw new Error('expected a SELECT');
  return st.plan;
}

function find<K extends LogicalNode['kind']>(n: LogicalNode, kind: K): Extract<LogicalNode, { kind: K }> {
  if (n.kind === kind) return n as Extract<LogicalNode, { kind: K }>;
  for (const i of inputsOf(n)) {
    try {
      return find(i, kind);
    } catch {}
  }
  throw new Error(`no ${kind} node in the plan`);
}

/** The row as the plan's Scan delivers it: only the columns the query uses, in the Scan's order. */
function scanned(plan: LogicalNode, row: Row): Row {
  return find(plan, 'Scan').columns.map((c) => row[c]);
}

test('SQL expressions over t(a, b, d, s, ts, arr, flag, m) evaluate as Flink would', (t) => {
  const cases: [string, unknown][] = [
    ['a / 2', 3],
    ['-a / 2', -3],
    ['a % -3', 1],
    ['d / 0', Number.POSITIVE_INFINITY],
    ['a / d', 2.8],
    ['m + 0.2', 0.3],
    ['CAST(a AS DECIMAL(10, 2)) / 3', 2.3333333333333],
    ["s LIKE 'Fe%' AND a BETWEEN 1 AND 9", true],
    ['flag OR a > 5', true],
    ['flag AND a > 5', null],
    ['a IN (1, 2, 3)', false],
    ['a NOT IN (1, 7)', false],
    ["CASE WHEN a > 5 THEN 'big' ELSE 'small' END", 'big'],
    ["CASE a WHEN 1 THEN 'one' WHEN 7 THEN 'seven' END", 'seven'],
    ["s || '!' || CAST(a AS VARCHAR)", 'Fever!7'],
    ['UPPER(s)', 'FEVER'],
    ['CHAR_LENGTH(s)', 5],
    ['SUBSTRING(s FROM 2 FOR 3)', 'eve'],
    ["REGEXP_EXTRACT(s, 'e(v)e', 1)", 'v'],
    ['HASH_CODE(s)', 67772004],
    ['arr[2]', 2],
    ['arr[3]', null],
    ['CARDINALITY(arr)', 2],
    ['EXTRACT(DOW FROM ts)', 7],
    ['FLOOR(ts TO HOUR)', ms('2024-03-09T17:00:00')],
    ['CEIL(ts TO DAY)', ms('2024-03-10T00:00:00')],
    ["ts + INTERVAL '1' SECOND", T0 + 1000],
    ["DATE_FORMAT(ts, 'yyyy-MM-dd''T''HH:mm')", '2024-03-09T17:05'],
    ['CAST(ts AS VARCHAR)', '2024-03-09 17:05:42.123'],
    ["CAST('2024-03-09 17:05:42.123' AS TIMESTAMP(3))", T0],
    ["CAST('x' AS INT)", null],
    ['TO_TIMESTAMP_LTZ(b, 0)', 10_000],
    ["COALESCE(CAST(flag AS VARCHAR), 'unknown')", 'unknown'],
    ['NULLIF(a, 7)', null],
    ["IF(a > 1, 'y', 'n')", 'y'],
    ['GREATEST(a, b)', 10],
    ['ROUND(d)', 3],
    ['ROUND(-d)', -3],
    ['ROW(a, s)', [7, 'Fever']],
    ['ARRAY[a, b]', [7, 10]],
    ['FROM_UNIXTIME(b)', '1970-01-01 00:00:10'],
    ['a IS NULL OR flag IS NULL', true],
  ];
  for (const [text, want] of cases) {
    const plan = planOf(`SELECT ${text} AS x FROM t`);
    const e = find(plan, 'Project').exprs[0]!;
    t.deepEqual(compileExpr(e)(scanned(plan, ROW)), want, `${text}\n${exprToJs(e)}`);
  }
});

test('every scalar function the analyzer accepts has a compiler built-in', (t) => {
  const known = new Set(builtinFunctionNames());
  t.deepEqual(
    Object.keys(SCALAR).filter((name) => !known.has(name)),
    [],
  );
});

test('SQL WHERE clauses compile to predicates that keep TRUE only', (t) => {
  const rows: Row[] = [ROW, [null, 1, 0, 'flu', 0, [], true, 1], [3, 2, 9.5, null, 0, null, false, 2]];
  const keep = (where: string) => {
    const plan = planOf(`SELECT a FROM t WHERE ${where}`);
    const p = compilePredicate(find(plan, 'Filter').predicate);
    return rows.map((r) => p(scanned(plan, r)));
  };
  t.deepEqual(keep("s LIKE '%e%'"), [true, false, false]);
  t.deepEqual(keep('a > 1'), [true, false, true]);
  t.deepEqual(keep('NOT (a > 5)'), [false, false, true]);
  t.deepEqual(keep('flag IS NOT TRUE'), [true, false, true]);
  t.deepEqual(keep("s IN ('Fever', 'flu')"), [true, true, false]);
});

// ---------------------------------------------------------------------------------------------------------
// UDFs, laziness, predicates, projections, clocks, compile-time errors

test('UDFs: looked up at compile time, NULLs passed through, failures name the function and the row', (t) => {
  const seen: unknown[][] = [];
  const udfs = {
    region: (ip: unknown) => {
      seen.push([ip]);
      if (ip === 'boom') throw new Error('bad ip');
      return ip === null ? 'unknown' : `r-${String(ip).split('.')[0]}`;
    },
    nothing: () => undefined,
    later: async () => 1,
  };
  const e = s('region', col(0, T.str));
  const f = compileExpr(e, { udfs });
  t.is(f(['10.0.0.1']), 'r-10');
  t.is(f([null]), 'unknown');
  t.deepEqual(seen, [['10.0.0.1'], [null]]);
  t.is(compileExpr(s('nothing'), { udfs })([]), null);
  const err = t.throws(() => f(['boom']), { instanceOf: ExpressionError });
  t.is(err?.code, 'EXPR_UDF_FAILED');
  t.is(err?.fn, 'region');
  t.deepEqual(err?.row, ['boom']);
  t.deepEqual(err?.args, ['boom']);
  t.regex(err?.message ?? '', /region\("boom"\) threw: bad ip/);
  t.is((err?.cause as Error | undefined)?.message, 'bad ip');
  t.is(compileExpr(e, { udfs, onUdfError: 'null' })(['boom']), null);
  t.is(
    t.throws(() => compileExpr(i('later'), { udfs })([]), { instanceOf: ExpressionError })?.code,
    'EXPR_UDF_ASYNC',
  );
  // Upper-case spelling in the plan still finds the lower-case registration.
  t.is(compileExpr(s('REGION', lit('1.2.3.4')), { udfs })([]), 'r-1');

  // EXPLAIN shows the code without the UDF's module loaded.
  t.regex(exprToJs(s('region', col(0, T.str))), /const k0 = k\[0\]; \/\/ UDF region/);
  const unknown = t.throws(() => compileExpr(s('regoin', col(0, T.str)), { udfs }), {
    instanceOf: PlanError,
  });
  t.is(unknown?.code, 'EXPR_UNKNOWN_FUNCTION');
  t.regex(unknown?.message ?? '', /regoin at line 3, column 7.*registered UDFs: region, nothing, later/);
});

test('lazy evaluation: untaken CASE/IF/COALESCE/AND/OR branches do not run', (t) => {
  let calls = 0;
  const udfs = {
    boom: () => {
      calls++;
      throw new Error('must not run');
    },
  };
  const boom = i('boom');
  const exprs: [Expr, unknown][] = [
    [caseOf([[b('>', col(0), lit(0)), lit(1)]], boom), 1],
    [caseOf([[lit(true), lit(1)]], i('/', col(0), lit(0))), 1],
    [i('IF', lit(true), lit(2), boom), 2],
    [fn('COALESCE', T.int, col(0), boom), 5],
    [b('AND', lit(false), b('=', boom, lit(1))), false],
    [b('OR', b('>', col(0), lit(0)), b('=', boom, lit(1))), true],
  ];
  for (const [e, want] of exprs) t.is(compileExpr(e, { udfs })([5]), want, exprToJs(e, { udfs }));
  t.is(calls, 0);
});

test('compilePredicate keeps TRUE only; compileProjection is one function sharing sub-expressions', (t) => {
  const p = compilePredicate(b('>', col(0), lit(5)));
  t.deepEqual([p([6]), p([5]), p([null])], [true, false, false]);

  const sum = i('+', col(0), col(1));
  const exprs = [sum, i('*', sum, lit(2)), s('UPPER', col(2, T.str)), col(3)];
  const f = compileProjection(exprs);
  t.deepEqual(f([1, 2, 'x']), [3, 6, 'X', null]);
  t.deepEqual(f([null, 2, null, 7]), [null, null, null, 7]);
  // One generated function, each column read once, the shared sum computed once.
  const src = projectionToJs(exprs);
  t.is(src.match(/row\[0\]/g)?.length, 1);
  t.is(src.match(/c0_\d+ \+ c1_\d+/g)?.length, 1);
  t.regex(src, /return \[v\d+, v\d+, v\d+, c3_\d+\];/);
});

test('compileCalc fuses WHERE and SELECT: null for dropped rows, shared columns and sub-expressions', (t) => {
  const sum = i('+', col(0), col(1));
  const where = b('>', sum, lit(2));
  const select = [i('*', sum, lit(10)), s('LOWER', col(2, T.str))];
  const calc = compileCalc(where, select);
  t.deepEqual(calc([1, 2, 'X']), [30, 'x']);
  t.is(calc([1, 1, 'X']), null);
  t.is(calc([null, 1, 'X']), null);
  const src = calcToJs(where, select);
  t.is(src.match(/row\[0\]/g)?.length, 1);
  t.is(src.match(/c0_\d+ \+ c1_\d+/g)?.length, 1);
  t.regex(src, /if \(v\d+ !== true\) return null;/);
});

test('long chains compile flat: 3000 ORs, a CASE of 1000 WHENs, a COALESCE of 500 arguments', (t) => {
  let or: Expr = b('=', col(0), lit(-1));
  for (let k = 1; k < 3000; k++) or = b('OR', or, b('=', col(0), lit(k)));
  const f = compilePredicate(or);
  t.deepEqual([f([2999]), f([5000]), f([null])], [true, false, false]);
  const many = caseOf(
    Array.from({ length: 1000 }, (_, k): [Expr, Expr] => [b('=', col(0), lit(k)), lit(`w${k}`)]),
    fn('COALESCE', T.str, ...Array.from({ length: 500 }, (_, k) => col(1 + (k % 3), T.str))),
  );
  const g = compileExpr(many);
  t.deepEqual([g([999]), g([-1, null, null, 'x']), g([-1])], ['w999', 'x', null]);
  t.notRegex(exprToJs(many), /\n {12}/); // never more than a few levels of nesting
});

test('constant sub-expressions fold at compile time; clocks, RAND, UDFs and failing ones do not', (t) => {
  const cutoff = cast(lit('2024-03-09 00:00:00'), T.ts);
  const e = b(
    '>=',
    col(0, T.ts),
    fn('-', T.ts, cutoff, fn('*', T.interval, lit(3600000, T.interval), lit(24))),
  );
  const src = exprToJs(e);
  t.regex(src, new RegExp(`>= ${ms('2024-03-08T00:00:00')}`));
  t.notRegex(src, /k\d/); // no cast function left: the cutoff is a number
  t.deepEqual([compileExpr(e)([T0]), compileExpr(e)([ms('2024-03-07T00:00:00')])], [true, false]);
  t.regex(exprToJs(fn('+', T.ts, fn('NOW', T.ts), lit(1, T.interval))), /k0\(\)/);
  t.regex(exprToJs(d('+', d('RAND', lit(1)), lit(1))), /k0\(\)/);
  const boom = i('/', lit(1), lit(0));
  t.regex(exprToJs(boom), /divisionByZero/);
  t.is(t.throws(() => compileExpr(boom)([]), { instanceOf: ExpressionError })?.code, 'EXPR_DIVISION_BY_ZERO');
  t.is(exprToJs(s('UPPER', lit(null, T.str))).includes('return null'), true);
});

test('PROCTIME/NOW use the injected clock; RAND(seed) repeats its sequence, RAND() stays in [0, 1)', (t) => {
  let now = 1000;
  const clock = () => now;
  const f = compileExpr(fn('PROCTIME', T.ts), { now: clock });
  t.is(f([]), 1000);
  now = 2500;
  t.is(f([]), 2500);
  t.is(compileExpr(fn('UNIX_TIMESTAMP', T.bigint), { now: clock })([]), 2);
  const a = compileExpr(d('RAND', lit(42)));
  const bb = compileExpr(d('RAND', lit(42)));
  const xs = [a([]), a([]), a([])];
  t.deepEqual(xs, [bb([]), bb([]), bb([])]);
  t.not(xs[0], xs[1]);
  const r = compileExpr(d('RAND'))([]) as number;
  t.true(r >= 0 && r < 1);
  // Two RAND() in one projection are two draws, not one shared value.
  t.is(exprToJs(d('+', d('RAND'), d('RAND'))).match(/Math\.random/g)?.length, 2);
});

test('what can be known at plan time is a PlanError with a code and a position', (t) => {
  const cases: [Expr, string, RegExp][] = [
    [b('REGEXP', col(0, T.str), lit('a(')), 'EXPR_BAD_REGEX', /invalid regular expression "a\("/],
    [s('DATE_FORMAT', col(0, T.ts), lit('yyyy-qq')), 'EXPR_BAD_DATE_PATTERN', /letter 'q' at offset 5/],
    [s('DATE_FORMAT', col(0, T.ts), lit("yyyy 'open")), 'EXPR_BAD_DATE_PATTERN', /unterminated quote/],
    [i('EXTRACT', lit('FORTNIGHT'), col(0, T.ts)), 'EXPR_BAD_UNIT', /line 3, column 7.*got 'FORTNIGHT'/],
    [fn('FLOOR_TIME', T.ts, col(0, T.ts), col(1, T.str)), 'EXPR_BAD_UNIT', /time unit literal/],
    [fn('TO_TIMESTAMP_LTZ', T.ts, col(0), lit(6)), 'EXPR_BAD_PRECISION', /0 \(epoch seconds\) or 3/],
    [s('UPPER', col(0, T.str), col(1, T.str)), 'EXPR_ARITY', /UPPER takes 1 argument\(s\) but got 2/],
    [d('RAND', col(0)), 'EXPR_BAD_SEED', /literal seed/],
  ];
  for (const [e, code, message] of cases) {
    const err = t.throws(() => compileExpr(e), { instanceOf: PlanError });
    t.is(err?.code, code);
    t.regex(err?.message ?? '', message);
  }
});

test('exprToJs shows straight-line code with literal patterns compiled once', (t) => {
  const src = exprToJs(
    b('AND', b('LIKE', col(0, T.str), lit('a_c%')), b('IN', col(1), lit(1), lit(2), lit(3), lit(4), lit(5))),
  );
  t.regex(src, /const k0 = k\[0\]; \/\/ LIKE "a_c%"/);
  t.regex(src, /k1\.has\(/);
  t.regex(src, /k0\.test\(/);
  t.notRegex(src, /new RegExp/);
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const tri = fc.constantFrom<boolean | null>(true, false, null);
const NOT3 = (a: boolean | null) => (a === null ? null : !a);
const AND3 = (a: boolean | null, c: boolean | null) =>
  a === false || c === false ? false : a === null || c === null ? null : true;
const OR3 = (a: boolean | null, c: boolean | null) =>
  a === true || c === true ? true : a === null || c === null ? null : false;

type BoolTree =
  | { op: 'col'; i: number }
  | { op: 'lit'; v: boolean | null }
  | { op: 'NOT'; a: BoolTree }
  | { op: 'AND' | 'OR'; a: BoolTree; b: BoolTree };
const boolTree = fc.letrec<{ t: BoolTree }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ op: fc.constant('col' as const), i: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ op: fc.constant('lit' as const), v: tri }),
    fc.record({ op: fc.constant('NOT' as const), a: tie('t') }),
    fc.record({ op: fc.constantFrom('AND' as const, 'OR' as const), a: tie('t'), b: tie('t') }),
  ),
})).t;

function treeExpr(x: BoolTree): Expr {
  switch (x.op) {
    case 'col':
      return col(x.i, T.bool);
    case 'lit':
      return lit(x.v, T.bool);
    case 'NOT':
      return b('NOT', treeExpr(x.a));
    default:
      return b(x.op, treeExpr(x.a), treeExpr(x.b));
  }
}

function treeEval(x: BoolTree, row: (boolean | null)[]): boolean | null {
  switch (x.op) {
    case 'col':
      return row[x.i]!;
    case 'lit':
      return x.v;
    case 'NOT':
      return NOT3(treeEval(x.a, row));
    case 'AND':
      return AND3(treeEval(x.a, row), treeEval(x.b, row));
    case 'OR':
      return OR3(treeEval(x.a, row), treeEval(x.b, row));
  }
}

testProp(
  'AND/OR/NOT follow the three-valued truth tables on random formulas',
  [boolTree, fc.array(tri, { minLength: 4, maxLength: 4 })],
  (t, tree, row) => {
    const e = treeExpr(tree);
    const want = treeEval(tree, row);
    t.is(compileExpr(e)(row), want);
    t.is(compilePredicate(e)(row), want === true);
    t.is(compileExpr(b('IS_NULL', e))(row), want === null);
  },
  { numRuns: runs(300) },
);

testProp(
  'integer division and remainder: a = (a / b) * b + a % b, |a % b| < |b|, the sign of a % b is that of a',
  [
    fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.maxSafeInteger()),
    fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger()).filter((x) => x !== 0),
  ],
  (t, a, divisor) => {
    const q = compileExpr(fn('/', T.bigint, col(0, T.bigint), col(1, T.bigint)))([a, divisor]) as number;
    const r = compileExpr(fn('MOD', T.bigint, col(0, T.bigint), col(1, T.bigint)))([a, divisor]) as number;
    // Reference: exact BigInt arithmetic (truncating division, remainder with the dividend's sign).
    t.is(q, Number(BigInt(a) / BigInt(divisor)));
    t.is(r, Number(BigInt(a) % BigInt(divisor)));
    t.is(BigInt(q) * BigInt(divisor) + BigInt(r), BigInt(a));
    t.true(Math.abs(r) < Math.abs(divisor));
    t.true(r === 0 || Math.sign(r) === Math.sign(a));
    t.false(Object.is(q, -0) || Object.is(r, -0));
  },
  { numRuns: runs(100) },
);

/** A LIKE matcher written independently of the compiler: dynamic programming over code points. */
function likeReference(text: string, pattern: string): boolean {
  const sArr = Array.from(text);
  const p = Array.from(pattern);
  let row = new Array<boolean>(sArr.length + 1).fill(false);
  row[0] = true;
  for (const pc of p) {
    const next = new Array<boolean>(sArr.length + 1).fill(false);
    if (pc === '%') {
      next[0] = row[0]!;
      for (let j = 1; j <= sArr.length; j++) next[j] = row[j]! || next[j - 1]!;
    } else {
      for (let j = 1; j <= sArr.length; j++) next[j] = row[j - 1]! && (pc === '_' || pc === sArr[j - 1]);
    }
    row = next;
  }
  return row[sArr.length]!;
}

const likeAlphabet = fc.constantFrom('a', 'b', '.', '*', '\\', '(', '[', '^', '$', '\n', '😀', '%', '_');
const likeText = fc.array(likeAlphabet, { maxLength: 8 }).map((xs) => xs.join(''));

testProp(
  'LIKE agrees with a reference matcher, for literal and per-row patterns',
  [likeText.map((x) => x.replace(/[%_]/g, 'a')), likeText],
  (t, text, pattern) => {
    const want = likeReference(text, pattern);
    t.is(compileExpr(b('LIKE', col(0, T.str), lit(pattern)))([text]), want);
    t.is(compileExpr(b('LIKE', col(0, T.str), col(1, T.str)))([text, pattern]), want);
    t.is(compileExpr(b('NOT_LIKE', col(0, T.str), lit(pattern)))([text]), !want);
  },
  { numRuns: runs(500) },
);

const MIN_TS = ms('0000-01-01T00:00:00');
const MAX_TS = ms('9999-12-31T23:59:59.999');
const timestamp = fc.integer({ min: MIN_TS, max: MAX_TS });

testProp(
  'CAST round trips through VARCHAR: INT, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, DECIMAL',
  [
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    timestamp,
    fc.integer({ min: -99999999, max: 99999999 }),
  ],
  (t, int, big, dbl, bool, time, cents) => {
    const round = (v: unknown, type: DataType) => compileExpr(cast(cast(col(0, type), T.str), type))([v]);
    t.is(round(int, T.int), int);
    t.is(round(big, T.bigint), big);
    t.is(round(dbl, T.double), dbl);
    t.is(round(bool, T.bool), bool);
    t.is(round(time, T.ts), time);
    t.is(round(cents / 100, T.dec), cents / 100);
    t.is(compileExpr(cast(col(0, T.double), T.int))([int + 0.75 * Math.sign(int)]), int);
  },
  { numRuns: runs(100) },
);

/** DATE_FORMAT reference: the fields cut out of Date#toISOString, which is an independent formatter. */
const refFields: Record<string, (iso: string) => string> = {
  yyyy: (x) => x.slice(0, 4),
  yy: (x) => x.slice(2, 4),
  MM: (x) => x.slice(5, 7),
  dd: (x) => x.slice(8, 10),
  HH: (x) => x.slice(11, 13),
  mm: (x) => x.slice(14, 16),
  ss: (x) => x.slice(17, 19),
  SSS: (x) => x.slice(20, 23),
  M: (x) => String(Number(x.slice(5, 7))),
  d: (x) => String(Number(x.slice(8, 10))),
  H: (x) => String(Number(x.slice(11, 13))),
};
const patternPiece = fc.oneof(
  fc.constantFrom(...Object.keys(refFields)).map((k) => ({ pattern: k, ref: refFields[k]! })),
  fc.constantFrom('-', ' ', ':', '/', '.', ',').map((c) => ({ pattern: c, ref: () => c })),
  fc.stringMatching(/^[a-z ]{1,5}$/).map((txt) => ({ pattern: `'${txt}'`, ref: () => txt })),
  fc.constant({ pattern: "''", ref: () => "'" }),
);

testProp(
  'DATE_FORMAT agrees with a reference built on toISOString for random patterns and instants',
  [fc.array(patternPiece, { minLength: 1, maxLength: 8 }), timestamp],
  (t, pieces, time) => {
    // Adjacent runs of one letter would merge into one run, and adjacent quotes into a quote: keep them apart.
    let pattern = '';
    let want = '';
    const iso = new Date(time).toISOString();
    for (const p of pieces) {
      const sep = /[A-Za-z']$/.test(pattern) && pattern.at(-1) === p.pattern[0] ? ' ' : '';
      pattern += sep + p.pattern;
      want += sep + p.ref(iso);
    }
    t.is(compileExpr(s('DATE_FORMAT', col(0, T.ts), lit(pattern)))([time]), want, pattern);
    t.is(compileExpr(s('DATE_FORMAT', col(0, T.ts), col(1, T.str)))([time, pattern]), want, pattern);
  },
  { numRuns: runs(300) },
);

testProp(
  'TO_TIMESTAMP parses what DATE_FORMAT prints, for the same pattern',
  [
    timestamp,
    fc.constantFrom(
      'yyyy-MM-dd HH:mm:ss.SSS',
      'yyyyMMddHHmmssSSS',
      "dd/MM/yyyy 'at' HH:mm:ss.SSS",
      'yyyy-D HH:mm:ss.SSS',
    ),
  ],
  (t, time, pattern) => {
    const text = compileExpr(s('DATE_FORMAT', col(0, T.ts), lit(pattern)))([time]);
    t.is(compileExpr(fn('TO_TIMESTAMP', T.ts, col(0, T.str), lit(pattern)))([text]), time);
  },
  { numRuns: runs(100) },
);

testProp(
  'ROUND is half away from zero on the printed decimal digits (reference: integer cents arithmetic)',
  [fc.integer({ min: -10_000_000, max: 10_000_000 })],
  (t, thousandths) => {
    const x = thousandths / 1000;
    const want = (Math.sign(thousandths) * Math.floor((Math.abs(thousandths) + 5) / 10)) / 100;
    t.is(compileExpr(d('ROUND', col(0, T.double), lit(2)))([x]), want === 0 ? 0 : want);
  },
  { numRuns: runs(100) },
);

/** Decimal reference for ROUND/TRUNCATE: cut the printed digits with exact integer (BigInt) arithmetic. */
function decimalReference(x: number, digits: number, mode: 'round' | 'trunc'): number {
  const text = String(Math.abs(x));
  if (text.includes('e')) return Number.NaN;
  const [whole, frac = ''] = text.split('.') as [string, string?];
  const padded = frac.padEnd(digits + 1, '0');
  let kept = BigInt(whole + padded.slice(0, digits));
  if (mode === 'round' && padded[digits]! >= '5') kept += 1n;
  const r = Number(`${kept}e-${digits}`);
  return (x < 0 ? -r : r) + 0;
}

testProp(
  'ROUND and TRUNCATE agree with a decimal-string reference on random doubles and digit counts',
  [
    fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.integer({ min: -1e9, max: 1e9 }).map((k) => k / 1000 + 0.0005),
      fc.integer({ min: -1e7, max: 1e7 }).map((k) => k / 100),
    ),
    fc.integer({ min: 0, max: 6 }),
  ],
  (t, x, digits) => {
    const wantRound = decimalReference(x, digits, 'round');
    const wantTrunc = decimalReference(x, digits, 'trunc');
    fc.pre(!Number.isNaN(wantRound));
    t.is(compileExpr(d('ROUND', col(0, T.double), col(1)))([x, digits]), wantRound, `ROUND(${x}, ${digits})`);
    t.is(
      compileExpr(d('TRUNCATE', col(0, T.double), col(1)))([x, digits]),
      wantTrunc,
      `TRUNCATE(${x}, ${digits})`,
    );
  },
  { numRuns: runs(1000) },
);

// Differential test: random typed trees, compiled vs a reference interpreter written here from the SQL rules.
type IntNode =
  | { k: 'col'; i: number }
  | { k: 'lit'; v: number | null }
  | { k: '+' | '-' | '*'; a: IntNode; b: IntNode }
  | { k: 'NEG' | 'ABS'; a: IntNode }
  | { k: 'COALESCE'; xs: IntNode[] }
  | { k: 'NULLIF'; a: IntNode; b: IntNode }
  | { k: 'IF'; c: BoolNode; a: IntNode; b: IntNode }
  | { k: 'CASE'; whens: [BoolNode, IntNode][]; else?: IntNode };
type BoolNode =
  | { k: 'bcol'; i: number }
  | { k: '=' | '<>' | '<' | '<=' | '>' | '>=' | 'IS_NOT_DISTINCT_FROM'; a: IntNode; b: IntNode }
  | { k: 'AND' | 'OR'; a: BoolNode; b: BoolNode }
  | { k: 'NOT'; a: BoolNode }
  | { k: 'IS_NULL'; a: IntNode }
  | { k: 'IN'; a: IntNode; xs: IntNode[] }
  | { k: 'BETWEEN'; a: IntNode; lo: IntNode; hi: IntNode };

const trees = fc.letrec<{ int: IntNode; bool: BoolNode }>((tie) => {
  const int = () => tie('int') as fc.Arbitrary<IntNode>;
  const bool = () => tie('bool') as fc.Arbitrary<BoolNode>;
  return {
    int: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ k: fc.constant('col' as const), i: fc.integer({ min: 0, max: 2 }) }),
      fc.record({
        k: fc.constant('lit' as const),
        v: fc.option(fc.integer({ min: -3, max: 3 }), { freq: 4 }),
      }),
      fc.record({ k: fc.constantFrom('+' as const, '-' as const, '*' as const), a: int(), b: int() }),
      fc.record({ k: fc.constantFrom('NEG' as const, 'ABS' as const), a: int() }),
      fc.record({ k: fc.constant('COALESCE' as const), xs: fc.array(int(), { minLength: 1, maxLength: 3 }) }),
      fc.record({ k: fc.constant('NULLIF' as const), a: int(), b: int() }),
      fc.record({ k: fc.constant('IF' as const), c: bool(), a: int(), b: int() }),
      fc.record(
        {
          k: fc.constant('CASE' as const),
          whens: fc.array(fc.tuple(bool(), int()), { minLength: 1, maxLength: 3 }),
          else: int(),
        },
        { requiredKeys: ['k', 'whens'] },
      ),
    ),
    bool: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ k: fc.constant('bcol' as const), i: fc.integer({ min: 3, max: 4 }) }),
      fc.record({
        k: fc.constantFrom(
          '=' as const,
          '<>' as const,
          '<' as const,
          '<=' as const,
          '>' as const,
          '>=' as const,
          'IS_NOT_DISTINCT_FROM' as const,
        ),
        a: int(),
        b: int(),
      }),
      fc.record({ k: fc.constantFrom('AND' as const, 'OR' as const), a: bool(), b: bool() }),
      fc.record({ k: fc.constant('NOT' as const), a: bool() }),
      fc.record({ k: fc.constant('IS_NULL' as const), a: int() }),
      fc.record({
        k: fc.constant('IN' as const),
        a: int(),
        xs: fc.array(int(), { minLength: 1, maxLength: 6 }),
      }),
      fc.record({ k: fc.constant('BETWEEN' as const), a: int(), lo: int(), hi: int() }),
    ),
  };
});

function intExpr(n: IntNode): Expr {
  switch (n.k) {
    case 'col':
      return col(n.i);
    case 'lit':
      return lit(n.v, T.int);
    case 'NEG':
    case 'ABS':
      return i(n.k, intExpr(n.a));
    case 'COALESCE':
      return i('COALESCE', ...n.xs.map(intExpr));
    case 'IF':
      return i('IF', boolExpr(n.c), intExpr(n.a), intExpr(n.b));
    case 'CASE':
      return caseOf(
        n.whens.map(([w, r]) => [boolExpr(w), intExpr(r)]),
        n.else === undefined ? undefined : intExpr(n.else),
        undefined,
        T.int,
      );
    default:
      return i(n.k, intExpr(n.a), intExpr(n.b));
  }
}

function boolExpr(n: BoolNode): Expr {
  switch (n.k) {
    case 'bcol':
      return col(n.i, T.bool);
    case 'AND':
    case 'OR':
      return b(n.k, boolExpr(n.a), boolExpr(n.b));
    case 'NOT':
      return b('NOT', boolExpr(n.a));
    case 'IS_NULL':
      return b('IS_NULL', intExpr(n.a));
    case 'IN':
      return b('IN', intExpr(n.a), ...n.xs.map(intExpr));
    case 'BETWEEN':
      return b('BETWEEN', intExpr(n.a), intExpr(n.lo), intExpr(n.hi));
    default:
      return b(n.k, intExpr(n.a), intExpr(n.b));
  }
}

type V = number | null;
function evalInt(n: IntNode, row: Row): V {
  const strict = (f: (...xs: number[]) => number, ...xs: V[]) =>
    xs.some((x) => x === null) ? null : f(...(xs as number[])) + 0;
  switch (n.k) {
    case 'col':
      return row[n.i] as V;
    case 'lit':
      return n.v;
    case '+':
      return strict((x, y) => x + y, evalInt(n.a, row), evalInt(n.b, row));
    case '-':
      return strict((x, y) => x - y, evalInt(n.a, row), evalInt(n.b, row));
    case '*':
      return strict((x, y) => x * y, evalInt(n.a, row), evalInt(n.b, row));
    case 'NEG':
      return strict((x) => -x, evalInt(n.a, row));
    case 'ABS':
      return strict(Math.abs, evalInt(n.a, row));
    case 'COALESCE':
      return n.xs.map((x) => evalInt(x, row)).find((x) => x !== null) ?? null;
    case 'NULLIF': {
      const [x, y] = [evalInt(n.a, row), evalInt(n.b, row)];
      return x !== null && y !== null && x === y ? null : x;
    }
    case 'IF':
      return evalBool(n.c, row) === true ? evalInt(n.a, row) : evalInt(n.b, row);
    case 'CASE': {
      for (const [w, r] of n.whens) if (evalBool(w, row) === true) return evalInt(r, row);
      return n.else === undefined ? null : evalInt(n.else, row);
    }
  }
}

function evalBool(n: BoolNode, row: Row): boolean | null {
  const cmp = (f: (x: number, y: number) => boolean, a: IntNode, c: IntNode) => {
    const [x, y] = [evalInt(a, row), evalInt(c, row)];
    return x === null || y === null ? null : f(x, y);
  };
  switch (n.k) {
    case 'bcol':
      return row[n.i] as boolean | null;
    case '=':
      return cmp((x, y) => x === y, n.a, n.b);
    case '<>':
      return cmp((x, y) => x !== y, n.a, n.b);
    case '<':
      return cmp((x, y) => x < y, n.a, n.b);
    case '<=':
      return cmp((x, y) => x <= y, n.a, n.b);
    case '>':
      return cmp((x, y) => x > y, n.a, n.b);
    case '>=':
      return cmp((x, y) => x >= y, n.a, n.b);
    case 'IS_NOT_DISTINCT_FROM': {
      const [x, y] = [evalInt(n.a, row), evalInt(n.b, row)];
      return x === y;
    }
    case 'AND':
      return AND3(evalBool(n.a, row), evalBool(n.b, row));
    case 'OR':
      return OR3(evalBool(n.a, row), evalBool(n.b, row));
    case 'NOT':
      return NOT3(evalBool(n.a, row));
    case 'IS_NULL':
      return evalInt(n.a, row) === null;
    case 'IN': {
      const x = evalInt(n.a, row);
      const ys = n.xs.map((y) => evalInt(y, row));
      return x === null ? null : ys.includes(x) ? true : ys.includes(null) ? null : false;
    }
    case 'BETWEEN':
      return AND3(
        cmp((x, y) => x >= y, n.a, n.lo),
        cmp((x, y) => x <= y, n.a, n.hi),
      );
  }
}

const nullableInt = fc.option(fc.integer({ min: -3, max: 3 }), { freq: 3 });
const differentialRow = fc.tuple(nullableInt, nullableInt, nullableInt, tri, tri);

testProp(
  'random expressions: compiled code (alone and as one shared projection) equals a reference interpreter',
  [
    fc.array(fc.oneof(trees.int, trees.bool), { minLength: 1, maxLength: 4 }),
    fc.array(differentialRow, { minLength: 1, maxLength: 5 }),
  ],
  (t, nodes, rows) => {
    const isBool = (n: IntNode | BoolNode): n is BoolNode =>
      [
        'bcol',
        '=',
        '<>',
        '<',
        '<=',
        '>',
        '>=',
        'IS_NOT_DISTINCT_FROM',
        'AND',
        'OR',
        'NOT',
        'IS_NULL',
        'IN',
        'BETWEEN',
      ].includes(n.k);
    const exprs = nodes.map((n) => (isBool(n) ? boolExpr(n) : intExpr(n)));
    const projection = compileProjection(exprs);
    const singles = exprs.map((e) => compileExpr(e));
    for (const row of rows) {
      const want = nodes.map((n) => (isBool(n) ? evalBool(n, row) : evalInt(n, row)));
      t.deepEqual(projection(row), want, projectionToJs(exprs));
      t.deepEqual(
        singles.map((f) => f(row)),
        want,
      );
    }
  },
  { numRuns: runs(400) },
);

testProp(
  'EXTRACT and CAST(ts AS VARCHAR) agree with Date (UTC) on random instants, before 1970 too',
  [timestamp],
  (t, time) => {
    const date = new Date(time);
    const x = (unit: string) => compileExpr(i('EXTRACT', lit(unit), col(0, T.ts)))([time]);
    t.is(x('YEAR'), date.getUTCFullYear());
    t.is(x('MONTH'), date.getUTCMonth() + 1);
    t.is(x('DAY'), date.getUTCDate());
    t.is(x('HOUR'), date.getUTCHours());
    t.is(x('DOW'), date.getUTCDay() + 1);
    t.is(x('QUARTER'), Math.floor(date.getUTCMonth() / 3) + 1);
    const jan1 = new Date(0);
    jan1.setUTCFullYear(date.getUTCFullYear(), 0, 1);
    t.is(x('DOY'), Math.floor((time - jan1.getTime()) / 86_400_000) + 1);
    t.is(
      compileExpr(cast(col(0, T.ts), T.str))([time]),
      date.toISOString().replace('T', ' ').replace('Z', ''),
    );
  },
  { numRuns: runs(300) },
);
