/**
 * User-defined aggregates of the `udaf` conformance case (module shape: docs/udf.md).
 *
 * ```sql
 * CREATE AGGREGATE FUNCTION my_median (x BIGINT) RETURNS DOUBLE FROM 'udfs.ts';
 * SELECT my_median(counter) FROM impulse_source GROUP BY …;   -- 0..99 → 49.5
 * ```
 * Accumulators are plain data (arrays of numbers) so the engine can keep them in durable state. Rows whose
 * arguments are NULL are ignored, as SQL's built-in aggregates do (the engine passes NULLs through).
 */

/** `my_median(x BIGINT) → DOUBLE`: the middle value; with an even count, the mean of the two middle values. */
export const my_median = {
  params: ['BIGINT'],
  returns: 'DOUBLE',
  create(): number[] {
    return [];
  },
  add(acc: number[], x: number | null): number[] {
    if (x !== null) acc.push(x);
    return acc;
  },
  retract(acc: number[], x: number | null): number[] {
    const at = x === null ? -1 : acc.indexOf(x);
    if (at >= 0) acc.splice(at, 1);
    return acc;
  },
  merge(a: number[], b: number[]): number[] {
    return a.concat(b);
  },
  result(acc: number[]): number | null {
    if (acc.length === 0) return null;
    const sorted = [...acc].sort((p, q) => p - q);
    const mid = sorted.length >> 1;
    if (sorted.length % 2 === 1) return sorted[mid]!;
    return (sorted[mid - 1]! + sorted[mid]!) / 2;
  },
} as const;

/** `none_udf(x BIGINT) → DOUBLE`: always NULL, whatever the input (the accumulator only counts rows). */
export const none_udf = {
  params: ['BIGINT'],
  returns: 'DOUBLE',
  create(): number {
    return 0;
  },
  add(acc: number, _x: number | null): number {
    return acc + 1;
  },
  retract(acc: number, _x: number | null): number {
    return acc - 1;
  },
  merge(a: number, b: number): number {
    return a + b;
  },
  result(_acc: number): number | null {
    return null;
  },
} as const;

/**
 * `max_product(a BIGINT, b BIGINT) → BIGINT`: the largest `a * b` over the group's rows (NULL for none).
 * Keeps every product so that a retraction can remove one.
 */
export const max_product = {
  params: ['BIGINT', 'BIGINT'],
  returns: 'BIGINT',
  create(): number[] {
    return [];
  },
  add(acc: number[], a: number | null, b: number | null): number[] {
    if (a !== null && b !== null) acc.push(a * b);
    return acc;
  },
  retract(acc: number[], a: number | null, b: number | null): number[] {
    const at = a === null || b === null ? -1 : acc.indexOf(a * b);
    if (at >= 0) acc.splice(at, 1);
    return acc;
  },
  merge(x: number[], y: number[]): number[] {
    return x.concat(y);
  },
  result(acc: number[]): number | null {
    let best: number | null = null;
    for (const p of acc) if (best === null || p > best) best = p;
    return best;
  },
} as const;
