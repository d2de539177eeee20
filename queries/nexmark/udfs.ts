/**
 * UDFs of the NEXMark queries (module shape: docs/udf.md).
 *
 * ```sql
 * CREATE FUNCTION count_char (s VARCHAR, c VARCHAR) RETURNS BIGINT FROM 'udfs.ts';
 * SELECT count_char(extra, 'c') FROM bid;   -- 'accept' → 2
 * ```
 */

const utf8 = new TextEncoder();

/**
 * `count_char(s VARCHAR, c VARCHAR) → BIGINT` (NEXMark q14): how many bytes of `s`, encoded as UTF-8, equal
 * the first byte of `c`; 0 when `s` or `c` is NULL or `c` is empty. Same result as Flink's `CountChar`.
 */
export function count_char(s: string | null, c: string | null): number {
  if (s === null || c === null || c.length === 0) return 0;
  const target = utf8.encode(c)[0]!;
  // ASCII fast path: a one-byte target can only match ASCII code units.
  if (target < 0x80) {
    let n = 0;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === target) n++;
    return n;
  }
  let n = 0;
  for (const b of utf8.encode(s)) if (b === target) n++;
  return n;
}
count_char.params = ['VARCHAR', 'VARCHAR'] as const;
count_char.returns = 'BIGINT' as const;
