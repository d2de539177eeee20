/** A point in the source text. `line` and `column` are 1-based, `offset` is a 0-based UTF-16 index. */
export interface Position {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** A range of source text; `end` is exclusive (the position just after the last character). */
export interface Span {
  readonly file?: string;
  readonly start: Position;
  readonly end: Position;
}

/**
 * A problem found in user input. Never thrown: `parse` and `compile` return diagnostics as data.
 * `hint` says how to fix it, e.g. "did you mean 'user_id'?".
 */
export interface Diagnostic {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly span: Span;
  readonly hint?: string;
}

export const NO_POSITION: Position = { line: 1, column: 1, offset: 0 };
export const NO_SPAN: Span = { start: NO_POSITION, end: NO_POSITION };

export function spanCover(a: Span, b: Span): Span {
  const start = a.start.offset <= b.start.offset ? a.start : b.start;
  const end = a.end.offset >= b.end.offset ? a.end : b.end;
  return a.file === undefined ? { start, end } : { file: a.file, start, end };
}

/**
 * Renders a diagnostic the way a compiler does:
 *
 * ```
 * query.sql:3:8: error[E201]: unknown column 'user_idd'
 *   3 | SELECT user_idd FROM searches
 *     |        ^^^^^^^^
 * hint: did you mean 'user_id'?
 * ```
 */
export function formatDiagnostic(d: Diagnostic, source: string): string {
  const file = d.span.file ?? '<sql>';
  const { line, column } = d.span.start;
  const out = [`${file}:${line}:${column}: ${d.severity}[${d.code}]: ${d.message}`];
  const lines = source.split(/\r\n|\r|\n/);
  const text = lines[line - 1];
  if (text !== undefined) {
    const gutter = String(line);
    const pad = ' '.repeat(gutter.length);
    const startCol = Math.max(1, column);
    const sameLine = d.span.end.line === line;
    const endCol = sameLine ? Math.max(d.span.end.column, startCol + 1) : text.length + 1;
    const width = Math.max(1, Math.min(endCol, text.length + 1) - startCol);
    const prefix = text.slice(0, startCol - 1).replace(/[^\t]/g, ' ');
    out.push(`${gutter} | ${text}`);
    out.push(`${pad} | ${prefix}${'^'.repeat(width)}`);
  }
  if (d.hint) out.push(`hint: ${d.hint}`);
  return out.join('\n');
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[n]!;
}

/** The closest candidate to `name` (case-insensitive), if it is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (c.startsWith('\u0000')) continue; // hidden internal names are never suggested
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(lower.length / 3)));
  return best !== undefined && bestD <= limit ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : `did you mean '${c}'?`;
}
