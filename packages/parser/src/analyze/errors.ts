import type { Diagnostic, Span } from '../diagnostics.ts';

/**
 * Diagnostic codes. E1xx: lexical and syntax; E2xx: names; E3xx: types; E4xx: aggregation and grouping;
 * E5xx: streaming semantics (time attributes, windows, changelogs); E6xx: statements and DDL.
 * Each code has at least one pinned negative case under test/cases/fail/.
 */
export const CODES = {
  E101: 'unexpected character',
  E102: 'unterminated string literal',
  E103: 'unterminated quoted identifier',
  E104: 'unterminated block comment',
  E105: 'unknown statement',
  E106: 'syntax error: no alternative',
  E107: 'syntax error: trailing input',
  E108: 'syntax error: expected token',
  E109: 'statement too deeply nested or too long',
  E110: 'unknown type',
  E201: 'unknown column',
  E202: 'ambiguous column',
  E203: 'unknown table',
  E204: 'unknown function',
  E205: 'unknown qualifier',
  E206: 'unknown sink',
  E207: 'not a row field',
  E209: 'reading from a sink',
  E301: 'incompatible operand types',
  E302: 'wrong argument count',
  E303: 'wrong argument type',
  E304: 'condition is not boolean',
  E305: 'invalid cast',
  E306: 'bad literal',
  E307: 'bad interval',
  E308: 'column count mismatch',
  E309: 'cannot write type into sink column',
  E310: 'UDF without signature',
  E401: 'column not grouped',
  E402: 'aggregate in wrong clause',
  E403: 'nested aggregate',
  E404: 'window function without OVER / misplaced',
  E405: 'FILTER or DISTINCT on a non-aggregate',
  E406: 'bad GROUP BY ordinal',
  E407: 'HAVING without aggregation',
  E501: 'not a time attribute',
  E502: 'bad window TVF arguments',
  E503: 'window over an updating input',
  E504: 'ORDER BY on a stream',
  E505: 'window columns not grouped together',
  E506: 'unsupported OVER frame',
  E507: 'EMIT/LATE INTO without a window aggregate',
  E508: 'unsupported subquery',
  E509: 'unsupported feature',
  E601: 'duplicate definition',
  E602: 'bad watermark',
  E603: 'bad primary key',
  E604: 'duplicate option',
  E605: 'computed column in a sink',
  E606: 'EXPLAIN of a definition',
  E607: 'duplicate column',
} as const;

export type Code = keyof typeof CODES;

/** Thrown inside the analyzer to abandon the current statement; caught per statement. */
export class AnalysisError extends Error {
  readonly diagnostic: Diagnostic;
  constructor(code: Code, message: string, span: Span, hint?: string) {
    super(message);
    this.diagnostic = { code, severity: 'error', message, span, ...(hint ? { hint } : {}) };
  }
}

export function fail(code: Code, message: string, span: Span, hint?: string): never {
  throw new AnalysisError(code, message, span, hint);
}
