/**
 * The DARQ paper's trend detector, as an aggregate: a hash chain over a region's successive window counts,
 * `h = h × 31 + count` in 32-bit integer arithmetic, starting from 17. The paper reports an anomaly when
 * `h % 256 = 0`. Used with `OVER (PARTITION BY region ORDER BY window_time)`, each window's row carries the
 * chain over every window of its region so far.
 */
export const trend_hash = {
  create(): number {
    return 17;
  },
  add(acc: number, count: number | null): number {
    return count === null ? acc : (Math.imul(acc, 31) + count) | 0;
  },
  result(acc: number): number {
    return acc;
  },
};
