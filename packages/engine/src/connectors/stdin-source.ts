import { StringDecoder } from 'node:string_decoder';
import { ConnectorError } from '../errors.ts';
import { BadRecord, type FormatColumn, jsonObjectDecoder } from '../formats/codec.ts';
import type { Row } from '../runtime/batch.ts';
import type { BadInput, SourceRead, SourceReader } from './source.ts';

/** Where standard input comes from: `process.stdin`, or any readable byte stream (tests). */
export interface LineInput {
  on(event: 'data', f: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', f: () => void): unknown;
  on(event: 'error', f: (e: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** Where a stream of lines starts: its first record's index and the input line number before it. */
export interface LineStart {
  /** Index of the first record (non-blank line) of the stream. */
  readonly index: number;
  /** Line number of the line before the stream's first line. */
  readonly line: number;
}

/**
 * Splits chunks of text into lines and numbers them: every line gets its input line number, every record
 * (a line with something other than blanks; a trailing CR is dropped) its index. The supervisor of a
 * multi-process run and the stdin source count with the same rules, so their positions agree.
 */
export class LineSplitter {
  private carry = '';
  private readonly text = new StringDecoder('utf8');
  line: number;
  index: number;

  constructor(start: LineStart = { index: 0, line: 0 }) {
    this.line = start.line;
    this.index = start.index;
  }

  /** Calls `f(text, line, index)` for each complete line; `index` is -1 for a blank line. */
  push(chunk: Buffer | string, f: (text: string, line: number, index: number) => void): void {
    const s = this.carry + (typeof chunk === 'string' ? chunk : this.text.write(chunk));
    let from = 0;
    for (;;) {
      const nl = s.indexOf('\n', from);
      if (nl < 0) break;
      this.take(s, from, nl, f);
      from = nl + 1;
    }
    this.carry = s.slice(from);
  }

  /** The last line, if the input did not end with a newline. */
  end(f: (text: string, line: number, index: number) => void): void {
    const rest = this.carry + this.text.end();
    this.carry = '';
    if (rest !== '') this.take(rest, 0, rest.length, f);
  }

  private take(s: string, from: number, to: number, f: (text: string, line: number, index: number) => void) {
    this.line++;
    let end = to;
    if (end > from && s.charCodeAt(end - 1) === 13) end--;
    let i = from;
    while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    if (i === end) f('', this.line, -1);
    else f(s.slice(from, end), this.line, this.index++);
  }
}

/**
 * The records of standard input, read in chunks as they arrive and kept from `start` on: readers are
 * cursors into it, so a reader rebuilt after an in-process rollback reads again from its restored position
 * (which is never below what the last committed version consumed; `trimTo` drops what is below that).
 * Without `retain`, records are dropped as soon as every reader has read them (one process, no rollback).
 * Past `highWater` records ahead of the slowest reader the stream is paused.
 */
export class StdinLog {
  private lines: string[] = [];
  private lineNos: number[] = [];
  /** Index of `lines[0]`. */
  private first: number;
  private readonly splitter: LineSplitter;
  private done = false;
  private failure: Error | undefined;
  private paused = false;
  private started = false;
  private readonly readers = new Set<StdinSourceReader>();
  /** Keep records until `trimTo` (a multi-process worker, which may roll back to its last cut). */
  retain = false;

  constructor(
    private readonly input: LineInput = process.stdin,
    start: LineStart = { index: 0, line: 0 },
    private readonly highWater = 65_536,
  ) {
    this.first = start.index;
    this.splitter = new LineSplitter(start);
  }

  /** Index of the first record still kept. */
  get start(): number {
    return this.first;
  }

  /** Index after the last record received. */
  get end(): number {
    return this.first + this.lines.length;
  }

  get ended(): boolean {
    return this.done;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  text(index: number): string {
    return this.lines[index - this.first]!;
  }

  lineNo(index: number): number {
    return this.lineNos[index - this.first]!;
  }

  attach(reader: StdinSourceReader): void {
    this.readers.add(reader);
    if (this.started) return;
    this.started = true;
    const keep = (text: string, line: number, index: number) => {
      if (index < 0) return;
      this.lines.push(text);
      this.lineNos.push(line);
    };
    this.input.on('data', (chunk) => {
      const before = this.end;
      this.splitter.push(chunk, keep);
      if (this.end > before) {
        this.throttle();
        for (const r of this.readers) r.arrived(before);
      }
    });
    this.input.on('end', () => {
      this.splitter.end(keep);
      this.done = true;
      for (const r of this.readers) r.arrived(-1);
    });
    this.input.on('error', (e) => {
      this.failure = e;
      for (const r of this.readers) r.arrived(-1);
    });
  }

  detach(reader: StdinSourceReader): void {
    this.readers.delete(reader);
    this.throttle();
  }

  /** Drops the records below `index`: no reader will be rewound below it. */
  trimTo(index: number): void {
    const n = Math.min(index, this.end) - this.first;
    if (n <= 0) return;
    // Cheap amortised trimming: splice only once the dead prefix is large.
    if (n > 4096 && n * 2 > this.lines.length) {
      this.lines = this.lines.slice(n);
      this.lineNos = this.lineNos.slice(n);
      this.first += n;
    }
  }

  /** Pauses the input while the slowest reader is `highWater` records behind; resumes below half of it. */
  throttle(): void {
    let slowest = this.end;
    for (const r of this.readers) slowest = Math.min(slowest, r.cursor);
    if (!this.retain) this.trimTo(slowest);
    const ahead = this.end - slowest;
    if (!this.paused && ahead >= this.highWater) {
      this.paused = true;
      this.input.pause();
    } else if (this.paused && ahead < this.highWater / 2) {
      this.paused = false;
      this.input.resume();
    }
  }
}

/**
 * JSON lines from standard input. Its position is the index of the next record (blank lines do not count).
 * Standard input cannot be re-read: a fresh `darq run` resumed over a state dir skips the records its last
 * commit had consumed, which resumes exactly once when the producer re-sends the stream from its start (as a
 * replayable broker does). In a multi-process run the supervisor keeps what is not yet committed and gives a
 * restarted worker the stream from there (`LineStart`).
 */
export class StdinSourceReader implements SourceReader {
  readonly description = 'standard input (JSON lines)';
  /** Index of the next record to read. */
  cursor: number;
  private readable: (() => void) | undefined;
  private readonly decode: (o: Record<string, unknown>) => Row;
  private readonly log: StdinLog;
  private closed = false;

  constructor(columns: readonly FormatColumn[], log: StdinLog = new StdinLog()) {
    this.decode = jsonObjectDecoder(columns);
    this.log = log;
    this.cursor = log.start;
  }

  onReadable(wake: () => void): void {
    this.readable = wake;
  }

  /** @internal The log got records from `from` on (-1: it ended or failed). */
  arrived(from: number): void {
    if (from < 0 || from <= this.cursor) this.readable?.();
  }

  next(max: number): SourceRead {
    if (this.closed) return { kind: 'wait' };
    this.log.attach(this);
    const log = this.log;
    if (log.error) throw log.error;
    const end = Math.min(log.end, this.cursor + max);
    if (end <= this.cursor) return log.ended ? { kind: 'eof' } : { kind: 'wait' };
    const rows: Row[] = [];
    const bad: BadInput[] = [];
    for (let i = this.cursor; i < end; i++) {
      const text = log.text(i);
      try {
        let o: unknown;
        try {
          o = JSON.parse(text);
        } catch (e) {
          throw new BadRecord(`stdin:${log.lineNo(i)}: malformed jsonl: ${(e as Error).message}`);
        }
        if (o === null || typeof o !== 'object' || Array.isArray(o))
          throw new BadRecord('expected a JSON object per line');
        rows.push(this.decode(o as Record<string, unknown>));
      } catch (e) {
        if (!(e instanceof BadRecord)) throw e;
        bad.push({ position: `stdin:${log.lineNo(i)}`, reason: e.message, raw: text });
      }
    }
    this.cursor = end;
    log.throttle();
    return { kind: 'batch', rows, bad };
  }

  position(): unknown {
    return this.cursor;
  }

  seek(position: unknown): void {
    const p = position as number;
    if (p < this.log.start) {
      throw new ConnectorError(
        'STDIN_NOT_REPLAYABLE',
        `standard input: the state dir had read ${p} records, but this process's input starts at record ${this.log.start}: standard input cannot be read again. Re-send the stream from its start, or use a file source for input that must be replayed.`,
      );
    }
    // Records below the position arrive again from a producer that re-sends the stream: they are skipped.
    this.cursor = p;
  }

  close(): void {
    this.closed = true;
    this.log.detach(this);
  }
}
