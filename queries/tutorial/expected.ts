/**
 * Computes the expected output of the tutorial queries straight from their definitions — a few loops over
 * the tiny input files, no engine involved — so that the committed `*.expected.jsonl` files can be checked
 * and regenerated:
 *
 *   ./node_modules/.bin/tsx queries/tutorial/expected.ts           # check the committed files
 *   ./node_modules/.bin/tsx queries/tutorial/expected.ts --write   # rewrite them (review the diff!)
 *
 * Semantics (Flink's): windows are aligned to the epoch; TUMBLE/HOP rows are emitted per non-empty window;
 * a session ends 30 s after its last click; the watermark is (latest event time read so far) − 5 s,
 * advanced after every row, and a row is late when its window has already fired, i.e. when
 * window_end − 1 ms ≤ watermark. Timestamps are written as naive ISO-8601 (UTC, no zone, milliseconds
 * only when non-zero), as in the conformance goldens.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { formatTimestamp } from '../harness/format.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const OUT_OF_ORDERNESS = 5 * SECOND;

interface Click {
  readonly user_id: string;
  readonly url: string;
  /** Epoch milliseconds. */
  readonly ts: number;
}

/** The clicks of a tutorial input file, in file order. */
export function readClicks(file: string): Click[] {
  return readFileSync(join(here, file), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = JSON.parse(l) as { user_id: string; url: string; ts: string };
      return { user_id: r.user_id, url: r.url, ts: Date.parse(r.ts) };
    });
}

type Row = Record<string, string | number>;

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Window starts of the HOP windows [s, s + size) holding `ts`, for every multiple `s` of `slide`. */
function hopStarts(ts: number, slide: number, size: number): number[] {
  const starts: number[] = [];
  for (let s = Math.floor(ts / slide) * slide; s > ts - size; s -= slide) starts.push(s);
  return starts;
}

/** Tutorial 1: COUNT(*) per user per 1-minute TUMBLE window. */
function clicksPerMinute(clicks: readonly Click[]): Row[] {
  const windows = groupBy(clicks, (c) => `${c.user_id}|${Math.floor(c.ts / MINUTE) * MINUTE}`);
  return [...windows.values()].map((g) => {
    const start = Math.floor(g[0]!.ts / MINUTE) * MINUTE;
    return {
      user_id: g[0]!.user_id,
      window_start: formatTimestamp(start),
      window_end: formatTimestamp(start + MINUTE),
      clicks: g.length,
    };
  });
}

/** Tutorial 2: COUNT(*) and COUNT(DISTINCT url) per user per HOP window (slide 1 min, size 2 min). */
function clicksSliding(clicks: readonly Click[]): Row[] {
  const assigned = clicks.flatMap((c) => hopStarts(c.ts, MINUTE, 2 * MINUTE).map((start) => ({ c, start })));
  const windows = groupBy(assigned, ({ c, start }) => `${c.user_id}|${start}`);
  return [...windows.values()].map((g) => ({
    user_id: g[0]!.c.user_id,
    window_start: formatTimestamp(g[0]!.start),
    window_end: formatTimestamp(g[0]!.start + 2 * MINUTE),
    clicks: g.length,
    pages: new Set(g.map(({ c }) => c.url)).size,
  }));
}

/** Tutorial 3: sessions per user with a 30-second gap. */
function clickSessions(clicks: readonly Click[]): Row[] {
  const gap = 30 * SECOND;
  const rows: Row[] = [];
  for (const userClicks of groupBy(clicks, (c) => c.user_id).values()) {
    const times = userClicks.map((c) => c.ts).sort((a, b) => a - b);
    let start = times[0]!;
    let end = start + gap;
    let count = 0;
    const close = (): void => {
      rows.push({
        user_id: userClicks[0]!.user_id,
        session_start: formatTimestamp(start),
        session_end: formatTimestamp(end),
        clicks: count,
      });
    };
    for (const t of times) {
      if (t >= end) {
        close();
        start = t;
        count = 0;
      }
      end = Math.max(end, t + gap);
      count++;
    }
    close();
  }
  return rows;
}

/** Tutorial 4: COUNT(*) per 1-minute TUMBLE window over all users; late rows go to `late`. */
function lateClicks(clicks: readonly Click[]): { perMinute: Row[]; late: Row[] } {
  let maxSeen = Number.NEGATIVE_INFINITY;
  const onTime: Click[] = [];
  const late: Row[] = [];
  for (const c of clicks) {
    const watermark = maxSeen - OUT_OF_ORDERNESS;
    const windowEnd = Math.floor(c.ts / MINUTE) * MINUTE + MINUTE;
    if (windowEnd - 1 <= watermark) late.push({ user_id: c.user_id, url: c.url, ts: formatTimestamp(c.ts) });
    else onTime.push(c);
    maxSeen = Math.max(maxSeen, c.ts);
  }
  const windows = groupBy(onTime, (c) => String(Math.floor(c.ts / MINUTE) * MINUTE));
  const perMinute = [...windows.entries()].map(([start, g]) => ({
    window_start: formatTimestamp(Number(start)),
    window_end: formatTimestamp(Number(start) + MINUTE),
    clicks: g.length,
  }));
  return { perMinute, late };
}

/** Expected output file name → its lines (sorted, for a stable file; the comparison ignores order). */
export function computeExpected(): Map<string, string[]> {
  const clicks = readClicks('clicks.jsonl');
  const { perMinute, late } = lateClicks(readClicks('clicks_late.jsonl'));
  const files: [string, Row[]][] = [
    ['clicks_per_minute.expected.jsonl', clicksPerMinute(clicks)],
    ['clicks_sliding.expected.jsonl', clicksSliding(clicks)],
    ['click_sessions.expected.jsonl', clickSessions(clicks)],
    ['clicks_per_minute_all.expected.jsonl', perMinute],
    ['late_clicks.expected.jsonl', late],
  ];
  return new Map(files.map(([name, rows]) => [name, rows.map((r) => JSON.stringify(r)).sort()]));
}

function main(): void {
  const write = process.argv.includes('--write');
  let stale = 0;
  for (const [name, lines] of computeExpected()) {
    const path = join(here, name);
    const text = lines.map((l) => `${l}\n`).join('');
    if (write) writeFileSync(path, text);
    else if (readFileSync(path, 'utf8') !== text) {
      console.error(`${name} differs from what the queries mean; rerun with --write and review the diff`);
      stale++;
    }
  }
  if (stale > 0) process.exit(1);
  console.log(write ? 'expected files written' : 'expected files are up to date');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
