import { createToken, type ILexingResult, Lexer, type TokenType } from 'chevrotain';

// Tokens of the darq dialect (Flink SQL lexical structure: case-insensitive keywords, '…' strings with ''
// escapes, `…` or "…" quoted identifiers, -- and /* */ comments).

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /--[^\n\r]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[\s\S]*?\*\//,
  group: Lexer.SKIPPED,
});
/** An unclosed block comment: reported as a diagnostic by the tokenizer. */
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/ });

/** Any word, reserved or not (option keys like `table = 'bid'`). */
export const AnyWord = createToken({ name: 'AnyWord', pattern: Lexer.NA });
/** Any token usable as an identifier: plain and quoted identifiers and the non-reserved keywords. */
export const Ident = createToken({ name: 'Ident', pattern: Lexer.NA });
export const PlainIdentifier = createToken({
  name: 'PlainIdentifier',
  pattern: /[A-Za-z_][A-Za-z0-9_$]*/,
  categories: [Ident, AnyWord],
});
export const QuotedIdentifier = createToken({
  name: 'QuotedIdentifier',
  pattern: /`(?:[^`]|``)*`|"(?:[^"]|"")*"/,
  categories: [Ident],
});
export const UnterminatedQuotedIdentifier = createToken({
  name: 'UnterminatedQuotedIdentifier',
  pattern: /`(?:[^`]|``)*|"(?:[^"]|"")*/,
});
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /'(?:[^']|'')*'/ });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /'(?:[^']|'')*/ });
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/,
});

const keywordTokens: TokenType[] = [];
/** Reserved keywords: never identifiers unless quoted. */
export const RESERVED = new Set<string>();
/** Non-reserved keywords: keywords in their own clause, identifiers elsewhere. */
export const NON_RESERVED = new Set<string>();

/** Upper-case keyword → its token type. The lexer reads words as identifiers; `tokenize` retypes keywords. */
const KEYWORDS = new Map<string, TokenType>();

function kw(word: string, reserved = true): TokenType {
  const t = createToken({
    name: word,
    pattern: Lexer.NA,
    categories: reserved ? [AnyWord] : [Ident, AnyWord],
  });
  (reserved ? RESERVED : NON_RESERVED).add(word);
  keywordTokens.push(t);
  KEYWORDS.set(word, t);
  return t;
}

// Reserved (statement and clause structure).
export const Select = kw('SELECT');
export const From = kw('FROM');
export const Where = kw('WHERE');
export const Group = kw('GROUP');
export const By = kw('BY');
export const Having = kw('HAVING');
export const Order = kw('ORDER');
export const LimitKw = kw('LIMIT');
export const UnionKw = kw('UNION');
export const All = kw('ALL');
export const DistinctKw = kw('DISTINCT');
export const As = kw('AS');
export const On = kw('ON');
export const JoinKw = kw('JOIN');
export const Inner = kw('INNER');
export const Left = kw('LEFT');
export const Right = kw('RIGHT');
export const Full = kw('FULL');
export const Outer = kw('OUTER');
export const Cross = kw('CROSS');
export const And = kw('AND');
export const Or = kw('OR');
export const Not = kw('NOT');
export const In = kw('IN');
export const Is = kw('IS');
export const Null = kw('NULL');
export const True = kw('TRUE');
export const False = kw('FALSE');
export const Like = kw('LIKE');
export const Between = kw('BETWEEN');
export const CaseKw = kw('CASE');
export const When = kw('WHEN');
export const Then = kw('THEN');
export const Else = kw('ELSE');
export const End = kw('END');
export const CastKw = kw('CAST');
export const TryCast = kw('TRY_CAST');
export const Interval = kw('INTERVAL');
export const Table = kw('TABLE');
export const Create = kw('CREATE');
export const Insert = kw('INSERT');
export const Into = kw('INTO');
export const ValuesKw = kw('VALUES');
export const With = kw('WITH');
export const Explain = kw('EXPLAIN');
export const SetKw = kw('SET');
export const Over = kw('OVER');
export const Partition = kw('PARTITION');
export const Extract = kw('EXTRACT');
export const Descriptor = kw('DESCRIPTOR');
export const UnnestKw = kw('UNNEST');
export const Lateral = kw('LATERAL');
export const ArrayKw = kw('ARRAY');
export const Exists = kw('EXISTS');

// Non-reserved.
export const Source = kw('SOURCE', false);
export const Sink = kw('SINK', false);
export const View = kw('VIEW', false);
export const FunctionKw = kw('FUNCTION', false);
export const AggregateKw = kw('AGGREGATE', false);
export const Temporary = kw('TEMPORARY', false);
export const Replace = kw('REPLACE', false);
export const If = kw('IF', false);
export const Watermark = kw('WATERMARK', false);
export const For = kw('FOR', false);
export const Primary = kw('PRIMARY', false);
export const Key = kw('KEY', false);
export const Enforced = kw('ENFORCED', false);
export const Returns = kw('RETURNS', false);
export const FilterKw = kw('FILTER', false);
export const Within = kw('WITHIN', false);
export const Emit = kw('EMIT', false);
export const Final = kw('FINAL', false);
export const Changes = kw('CHANGES', false);
export const Late = kw('LATE', false);
export const Rows = kw('ROWS', false);
export const Range = kw('RANGE', false);
export const Preceding = kw('PRECEDING', false);
export const Following = kw('FOLLOWING', false);
export const Current = kw('CURRENT', false);
export const Unbounded = kw('UNBOUNDED', false);
export const Nulls = kw('NULLS', false);
export const First = kw('FIRST', false);
export const Last = kw('LAST', false);
export const Asc = kw('ASC', false);
export const Desc = kw('DESC', false);
export const To = kw('TO', false);
export const SystemTime = kw('SYSTEM_TIME', false);
export const Of = kw('OF', false);
export const Offset = kw('OFFSET', false);
export const Unsigned = kw('UNSIGNED', false);
export const Row = kw('ROW', false);
export const Metadata = kw('METADATA', false);
export const Virtual = kw('VIRTUAL', false);
export const Partitioned = kw('PARTITIONED', false);

export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: "';'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: "'/'" });
export const Percent = createToken({ name: 'Percent', pattern: /%/, label: "'%'" });
export const Concat = createToken({ name: 'Concat', pattern: /\|\|/, label: "'||'" });
export const Arrow = createToken({ name: 'Arrow', pattern: /=>/, label: "'=>'" });
export const Eq = createToken({ name: 'Eq', pattern: /==?/, label: "'='" });
export const NotEq = createToken({ name: 'NotEq', pattern: /<>|!=/, label: "'<>'" });
export const LtEq = createToken({ name: 'LtEq', pattern: /<=/, label: "'<='" });
export const GtEq = createToken({ name: 'GtEq', pattern: />=/, label: "'>='" });
export const Lt = createToken({ name: 'Lt', pattern: /</, label: "'<'" });
export const Gt = createToken({ name: 'Gt', pattern: />/, label: "'>'" });

export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringLiteral,
  UnterminatedString,
  QuotedIdentifier,
  UnterminatedQuotedIdentifier,
  NumberLiteral,
  // Keywords are matched as identifiers and retyped in `tokenize` (one regex per word instead of one per
  // keyword: lexing is several times faster).
  ...keywordTokens,
  PlainIdentifier,
  Ident,
  AnyWord,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Semicolon,
  Dot,
  Star,
  Plus,
  Minus,
  Slash,
  Percent,
  Concat,
  Arrow,
  NotEq,
  LtEq,
  GtEq,
  Eq,
  Lt,
  Gt,
];

const MAX_KEYWORD = Math.max(...[...KEYWORDS.keys()].map((k) => k.length));

const sqlLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: true });

/** Tokenizes SQL text; words that are keywords (case-insensitive) get their keyword token type. */
export function tokenize(sql: string): ILexingResult {
  const r = sqlLexer.tokenize(sql);
  for (const t of r.tokens) {
    if (t.tokenType === PlainIdentifier && t.image.length <= MAX_KEYWORD) {
      const k = KEYWORDS.get(t.image) ?? KEYWORDS.get(t.image.toUpperCase());
      if (k) {
        t.tokenType = k;
        t.tokenTypeIdx = k.tokenTypeIdx!;
      }
    }
  }
  return r;
}

export function isKeyword(word: string): boolean {
  const u = word.toUpperCase();
  return RESERVED.has(u) || NON_RESERVED.has(u);
}
