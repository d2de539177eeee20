/**
 * The paper's query written by hand, the three ways a Node developer would, over a search-trace JSONL file:
 * keep searches whose term starts with "fever", count them per region (sum of the IP's octets mod 8) per 500 ms
 * tumbling window, chain the detector's hash (`h = h × 31 + count`, from 17) over each region's windows, and
 * write one line per (window, region) with the chain. All read the file in 4 MiB chunks.
 *
 * - `handWritten`: a plain loop, no durability (the ceiling).
 * - `handWrittenDurable`: the same loop, durable the obvious way: every `batch` events one SQLite transaction
 *   (WAL, synchronous = FULL: fsync'd) records the file offset reached, the open window's counts and the
 *   detector's chains, and appends the finished windows' lines: the state a restart needs, no raw events.
 * - `rxjsPipeline`: the loop written with RxJS operators alone (no durability).
 */
import * as fs from 'node:fs';
import Database from 'better-sqlite3';
import { filter, from, map, mergeMap, Observable } from 'rxjs';

interface Search {
  term: string;
  ip: string;
  ts: number;
}

/** Region of a dotted-quad IPv4 address, the paper's way: sum of the octets mod 8. */
export function region(ip: string): number {
  let sum = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      sum += octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return (sum + octet) & 7;
}

/** Tumbling 500 ms counts per region plus the detector's chain; `emit` gets each finished window's lines. */
class Windows {
  window = -1;
  readonly counts = new Int32Array(8);
  readonly chains = new Int32Array(8).fill(17);
  rows = 0;
  constructor(private readonly emit: (text: string) => void) {}
  add(e: Search): void {
    const w = e.ts - (e.ts % 500);
    if (w !== this.window) {
      this.flush();
      this.window = w;
    }
    this.counts[region(e.ip)]!++;
  }
  flush(): void {
    if (this.window < 0) return;
    let text = '';
    for (let r = 0; r < 8; r++) {
      const n = this.counts[r]!;
      if (n === 0) continue;
      const chain = (Math.imul(this.chains[r]!, 31) + n) | 0;
      this.chains[r] = chain;
      text += `{"region":${r},"window_start":${this.window},"window_end":${this.window + 500},"searches":${n},"chain":${chain}}\n`;
      this.rows++;
    }
    this.counts.fill(0);
    if (text) this.emit(text);
  }
}

/** Lines of a file in 4 MiB chunks; `onChunk` runs after each chunk with the byte offset reached. */
function forEachLine(file: string, fn: (line: string) => void, onChunk?: (offset: number) => void): void {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let carry = '';
  let offset = 0;
  try {
    for (;;) {
      const got = fs.readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      const lines = (carry + buf.toString('utf8', 0, got)).split('\n');
      carry = lines.pop()!;
      for (const line of lines) if (line) fn(line);
      offset += got;
      onChunk?.(offset - Buffer.byteLength(carry));
    }
    if (carry) fn(carry);
  } finally {
    fs.closeSync(fd);
  }
}

export interface BaselineResult {
  readonly events: number;
  readonly rows: number;
}

/** The ceiling: no engine, no durability. */
export function handWritten(file: string, out: string): BaselineResult {
  let text = '';
  const w = new Windows((t) => {
    text += t;
  });
  let events = 0;
  forEachLine(file, (line) => {
    const e = JSON.parse(line) as Search;
    events++;
    if (e.term.startsWith('fever')) w.add(e);
  });
  w.flush();
  fs.writeFileSync(out, text);
  return { events, rows: w.rows };
}

/**
 * The durable ceiling: the hand-written loop plus batched SQLite durability, fsync'd. Every `batch` events (and
 * at the end of each 4 MiB chunk) one transaction stores the offset, the open window and the chains, and the
 * output lines of the windows finished since the last one.
 */
export function handWrittenDurable(file: string, dbFile: string, batch = 32768): BaselineResult {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS progress (id INTEGER PRIMARY KEY, events INTEGER, state BLOB);
           CREATE TABLE IF NOT EXISTS output (seq INTEGER PRIMARY KEY, lines TEXT)`);
  const saveProgress = db.prepare('INSERT OR REPLACE INTO progress (id, events, state) VALUES (1, ?, ?)');
  const saveOutput = db.prepare('INSERT INTO output (lines) VALUES (?)');
  let pending = '';
  const w = new Windows((t) => {
    pending += t;
  });
  let events = 0;
  let sinceCommit = 0;
  const commit = db.transaction(() => {
    const state = Buffer.from(
      JSON.stringify({ events, window: w.window, counts: [...w.counts], chains: [...w.chains] }),
    );
    saveProgress.run(events, state);
    if (pending) saveOutput.run(pending);
    pending = '';
    sinceCommit = 0;
  });
  forEachLine(
    file,
    (line) => {
      const e = JSON.parse(line) as Search;
      events++;
      if (e.term.startsWith('fever')) w.add(e);
      if (++sinceCommit >= batch) commit();
    },
    () => commit(),
  );
  w.flush();
  commit();
  db.close();
  return { events, rows: w.rows };
}

/** The same pipeline with RxJS operators, as a Node developer would write it without an engine. */
export async function rxjsPipeline(file: string, out: string): Promise<BaselineResult> {
  let text = '';
  const w = new Windows((t) => {
    text += t;
  });
  let events = 0;
  const lines$ = new Observable<string[]>((sub) => {
    const lines: string[] = [];
    forEachLine(
      file,
      (l) => lines.push(l),
      () => {
        sub.next(lines.splice(0));
      },
    );
    if (lines.length) sub.next(lines.splice(0));
    sub.complete();
  });
  await new Promise<void>((resolve, reject) =>
    lines$
      .pipe(
        mergeMap((chunk) => from(chunk)),
        map((line) => JSON.parse(line) as Search),
        map((e) => {
          events++;
          return e;
        }),
        filter((e) => e.term.startsWith('fever')),
      )
      .subscribe({ next: (e) => w.add(e), error: reject, complete: resolve }),
  );
  w.flush();
  fs.writeFileSync(out, text);
  return { events, rows: w.rows };
}
