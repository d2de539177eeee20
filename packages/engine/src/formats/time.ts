/**
 * Timestamps are epoch milliseconds at run time. Input accepts ISO-8601 / RFC 3339 strings (a string without
 * a zone is read as UTC) and epoch milliseconds; output writes ISO-8601: `TIMESTAMP` as a naive
 * `YYYY-MM-DDTHH:MM:SS[.fff]` (the fraction only when it is not zero), `TIMESTAMP_LTZ` the same with a `Z`.
 */

const ISO_NAIVE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

/** Parses an ISO-8601 timestamp string; returns NaN when it is not one. */
export function parseTimestamp(s: string): number {
  const m = ISO_NAIVE.exec(s);
  if (m) {
    const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    return (
      Date.UTC(
        Number(m[1]),
        Number(m[2]) - 1,
        Number(m[3]),
        Number(m[4] ?? 0),
        Number(m[5] ?? 0),
        Number(m[6] ?? 0),
      ) + Math.floor(frac)
    );
  }
  // With an offset or Z: Date.parse handles RFC 3339 (it ignores sub-millisecond digits).
  const t = Date.parse(s);
  return Number.isNaN(t) ? Number.NaN : t;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `2023-09-18T14:23:10` or `2023-09-18T14:23:10.200`. */
export function formatTimestamp(ms: number, ltz = false): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const year = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : String(y);
  let s = `${year}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes(),
  )}:${pad2(d.getUTCSeconds())}`;
  const frac = d.getUTCMilliseconds();
  if (frac !== 0) s += `.${String(frac).padStart(3, '0')}`;
  return ltz ? `${s}Z` : s;
}
