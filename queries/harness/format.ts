/**
 * How darq writes values in JSON output, for expected files computed outside the engine.
 *
 * ```ts
 * formatTimestamp(Date.parse('2023-10-09T17:13:59.800Z'))   // '2023-10-09T17:13:59.800'
 * ```
 */

/** A TIMESTAMP (epoch ms) as naive ISO-8601 in UTC: `YYYY-MM-DDTHH:MM:SS`, `.fff` only when non-zero. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-05-01T10:01:00.000Z
  const millis = iso.slice(19, 23);
  return iso.slice(0, 19) + (millis === '.000' ? '' : millis);
}
