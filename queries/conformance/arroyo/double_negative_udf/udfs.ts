/**
 * UDFs of the `double_negative_udf` conformance case (module shape: docs/udf.md).
 *
 * ```sql
 * CREATE FUNCTION double_negative (x BIGINT) RETURNS BIGINT FROM 'udfs.ts';
 * SELECT double_negative(counter) FROM impulse_source;   -- 3 → -6
 * ```
 */

/** `double_negative(x BIGINT) → BIGINT`: minus twice its argument. */
export function double_negative(x: number | null): number | null {
  return x === null ? null : -2 * x;
}
double_negative.params = ['BIGINT'] as const;
double_negative.returns = 'BIGINT' as const;
