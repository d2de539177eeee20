import { type IRecognitionException, type IToken, type TokenType, tokenMatcher } from 'chevrotain';
import type { Statement } from './ast/statement.ts';
import { type Diagnostic, didYouMean, type Span } from './diagnostics.ts';
import { messages, sqlParser, tokenSpan, unquoteIdent } from './grammar/parser.ts';
import * as T from './lexer/tokens.ts';

const CLAUSE_KEYWORDS = [
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'JOIN',
  'UNION',
  'SELECT',
  'WINDOW',
];
const STATEMENT_STARTS = ['SELECT', 'INSERT', 'CREATE', 'EXPLAIN', 'SET', 'WITH', 'VALUES'];
const STARTERS = new Set<TokenType>([
  T.Select,
  T.Insert,
  T.Create,
  T.Explain,
  T.SetKw,
  T.With,
  T.ValuesKw,
  T.LParen,
]);

/** One statement with the token range it came from. */
export interface ParsedStatement {
  readonly statement: Statement;
  readonly span: Span;
}

/**
 * Parses a SQL script (statements separated by `;`). Never throws on bad input: syntax errors come back
 * as diagnostics, one per broken statement, and the other statements are still parsed.
 *
 * ```ts
 * parse("SELECT a FROM t; SELCT b FROM t").diagnostics[0].message  // "unknown statement 'SELCT'"
 * ```
 */
export function parse(
  sql: string,
  opts: { file?: string } = {},
): { statements: Statement[]; diagnostics: Diagnostic[] } {
  const { statements, diagnostics } = parseScript(sql, opts);
  return { statements, diagnostics };
}

/**
 * `parse`, plus the names defined by statements that failed (`CREATE SOURCE s (… bad …)` → `s`), so the
 * analyzer does not report every later use of `s` as unknown.
 */
export function parseScript(
  sql: string,
  opts: { file?: string } = {},
): { statements: Statement[]; diagnostics: Diagnostic[]; brokenNames: string[] } {
  const brokenNames: string[] = [];
  const file = opts.file;
  const diagnostics: Diagnostic[] = [];
  const lexed = T.tokenize(sql);
  // offsets of lexical errors: a statement containing one is not parsed (its syntax error would be noise)
  const badOffsets: number[] = [];
  for (const e of lexed.errors) {
    badOffsets.push(e.offset);
    const start = { line: e.line ?? 1, column: e.column ?? 1, offset: e.offset };
    const end = { line: start.line, column: start.column + e.length, offset: e.offset + e.length };
    const ch = sql.slice(e.offset, e.offset + e.length);
    diagnostics.push({
      code: 'E101',
      severity: 'error',
      message: `unexpected character '${ch}'`,
      span: file === undefined ? { start, end } : { file, start, end },
      hint: 'strings are written in single quotes, identifiers may be quoted with backticks',
    });
  }
  const tokens: IToken[] = [];
  for (const t of lexed.tokens) {
    if (
      t.tokenType === T.UnterminatedString ||
      t.tokenType === T.UnterminatedQuotedIdentifier ||
      t.tokenType === T.UnterminatedComment
    )
      badOffsets.push(t.startOffset);
    if (t.tokenType === T.UnterminatedString) {
      diagnostics.push(err('E102', 'unterminated string literal', tokenSpan(t, t, file), "close it with '"));
    } else if (t.tokenType === T.UnterminatedQuotedIdentifier) {
      diagnostics.push(
        err('E103', 'unterminated quoted identifier', tokenSpan(t, t, file), 'close it with the same quote'),
      );
    } else if (t.tokenType === T.UnterminatedComment) {
      diagnostics.push(err('E104', 'unterminated block comment', tokenSpan(t, t, file), 'close it with */'));
    } else {
      tokens.push(t);
    }
  }
  const statements: Statement[] = [];
  const parser = sqlParser();
  parser.file = file;
  let chunk: IToken[] = [];
  let chunkStart = 0;
  const flush = (end: number): void => {
    const start = chunkStart;
    chunkStart = end;
    if (badOffsets.some((o) => o >= start && o < end)) {
      noteBroken(chunk, brokenNames);
      chunk = [];
      return;
    }
    if (chunk.length === 0) return;
    const first = chunk[0]!;
    if (!STARTERS.has(first.tokenType)) {
      diagnostics.push(
        err(
          'E105',
          `unknown statement '${first.image}'`,
          tokenSpan(first, first, file),
          didYouMean(first.image.toUpperCase(), STATEMENT_STARTS) ??
            'statements start with SELECT, INSERT INTO, CREATE, EXPLAIN or SET',
        ),
      );
      chunk = [];
      return;
    }
    const tooComplex = complexity(chunk);
    if (tooComplex) {
      diagnostics.push(
        err('E109', tooComplex, tokenSpan(first, first, file), 'split it into views or simpler expressions'),
      );
      noteBroken(chunk, brokenNames);
      chunk = [];
      return;
    }
    parser.actionDiagnostics = [];
    parser.input = chunk;
    let stmt: Statement;
    try {
      stmt = parser.statement();
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      diagnostics.push(err('E109', 'statement is nested too deeply to parse', tokenSpan(first, first, file)));
      noteBroken(chunk, brokenNames);
      parser.input = [];
      chunk = [];
      return;
    }
    if (parser.errors.length > 0) {
      diagnostics.push(syntaxDiagnostic(parser.errors[0]!, chunk, file));
      noteBroken(chunk, brokenNames);
    } else if (parser.actionDiagnostics.length > 0) {
      diagnostics.push(...parser.actionDiagnostics);
      noteBroken(chunk, brokenNames);
    } else {
      statements.push(stmt);
    }
    chunk = [];
  };
  for (const t of tokens) {
    if (t.tokenType === T.Semicolon) flush(t.startOffset + 1);
    else chunk.push(t);
  }
  flush(sql.length + 1);
  diagnostics.sort((a, b) => a.span.start.offset - b.span.start.offset);
  return { statements, diagnostics, brokenNames };
}

/** Nesting and operator limits: deeper input would exhaust the stack of a recursive parser or analyzer. */
export const MAX_NESTING = 64;
export const MAX_OPERATORS = 1000;
const OPERATORS = new Set<TokenType>([
  T.Plus,
  T.Minus,
  T.Star,
  T.Slash,
  T.Percent,
  T.Concat,
  T.Eq,
  T.NotEq,
  T.Lt,
  T.LtEq,
  T.Gt,
  T.GtEq,
  T.And,
  T.Or,
]);

function complexity(chunk: IToken[]): string | undefined {
  let depth = 0;
  let max = 0;
  let ops = 0;
  for (const t of chunk) {
    if (t.tokenType === T.LParen || t.tokenType === T.LBracket) max = Math.max(max, ++depth);
    else if (t.tokenType === T.RParen || t.tokenType === T.RBracket) depth--;
    else if (OPERATORS.has(t.tokenType)) ops++;
  }
  if (max > MAX_NESTING) return `statement nests parentheses ${max} deep (the limit is ${MAX_NESTING})`;
  if (ops > MAX_OPERATORS) return `statement has ${ops} operators (the limit is ${MAX_OPERATORS})`;
  return undefined;
}

const DEFINES = new Set<TokenType>([T.Source, T.Table, T.Sink, T.View, T.FunctionKw]);

/** The name a broken CREATE statement would have defined, if its head is readable. */
function noteBroken(chunk: IToken[], out: string[]): void {
  if (chunk[0]?.tokenType !== T.Create) return;
  const i = chunk.findIndex((t) => DEFINES.has(t.tokenType));
  if (i < 0) return;
  let j = i + 1;
  if (chunk[j]?.tokenType === T.If) j += 3;
  const name = chunk[j];
  if (name && tokenMatcher(name, T.Ident)) out.push(unquoteIdent(name.image).toLowerCase());
}

function err(code: string, message: string, span: Span, hint?: string): Diagnostic {
  return { code, severity: 'error', message, span, ...(hint ? { hint } : {}) };
}

function syntaxDiagnostic(e: IRecognitionException, chunk: IToken[], file: string | undefined): Diagnostic {
  const last = chunk[chunk.length - 1]!;
  const tok = e.token && !Number.isNaN(e.token.startOffset) ? e.token : undefined;
  let span: Span;
  if (tok) span = tokenSpan(tok, tok, file);
  else {
    // at the end of the statement: point just after its last token
    const after = tokenSpan(last, last, file).end;
    span = file === undefined ? { start: after, end: after } : { file, start: after, end: after };
  }
  const expected = messages.expected.get(e.message) ?? [];
  let hint: string | undefined;
  if (tok && (tok.tokenType === T.PlainIdentifier || T.NON_RESERVED.has(tok.tokenType.name))) {
    const words = expected
      .filter((t) => T.RESERVED.has(t.name) || T.NON_RESERVED.has(t.name))
      .map((t) => t.name);
    hint = didYouMean(tok.image.toUpperCase(), words);
  }
  if (!hint && tok && e.name === 'NotAllInputParsedException') {
    // `SELECT a FORM t`: the misspelt keyword was taken as an alias; point at it
    const i = chunk.indexOf(tok);
    const prev = i > 0 ? chunk[i - 1] : undefined;
    if (prev && prev.tokenType === T.PlainIdentifier) {
      const h = didYouMean(prev.image.toUpperCase(), CLAUSE_KEYWORDS);
      if (h) {
        span = tokenSpan(prev, prev, file);
        hint = h;
      }
    }
  }
  if (!hint && !tok) hint = 'the statement is incomplete';
  const code =
    e.name === 'NotAllInputParsedException'
      ? 'E107'
      : e.name === 'MismatchedTokenException'
        ? 'E108'
        : 'E106';
  return err(code, e.message, span, hint);
}
