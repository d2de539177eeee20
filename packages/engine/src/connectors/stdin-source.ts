import { StringDecoder } from 'node:string_decoder';
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

/**
 * JSON lines from standard input, read in chunks as they arrive (not one line per promise, which capped a
 * live source at a few hundred thousand lines per second and woke the scheduler once per line). Lines queue
 * up to `highWater`; beyond that the stream is paused until a batch is taken.
 *
 * Standard input cannot be re-read, so the position is the number of non-empty lines consumed: a resumed run
 * skips that many lines of what it is given, which resumes exactly once when the producer re-sends the
 * stream from its start (as a replayable broker does).
 */
export class StdinSourceReader implements SourceReader {
  readonly description = 'standard input (JSON lines)';
  private lines: string[] = [];
  /** The input line number of each queued line, for dead-letter positions. */
  private lineNos: number[] = [];
  private head = 0;
  private carry = '';
  private consumed = 0;
  private lineNo = 0;
  private skip = 0;
  private done = false;
  private failure: Error | undefined;
  private paused = false;
  private started = false;
  private readable: (() => void) | undefined;
  private readonly decode: (o: Record<string, unknown>) => Row;
  private readonly text = new StringDecoder('utf8');

  constructor(
    columns: readonly FormatColumn[],
    private readonly input: LineInput = process.stdin,
    private readonly highWater = 65_536,
  ) {
    this.decode = jsonObjectDecoder(columns);
  }

  onReadable(wake: () => void): void {
    this.readable = wake;
  }

  private get queued(): number {
    return this.lines.length - this.head;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.input.on('data', (chunk) => {
      const s = this.carry + (typeof chunk === 'string' ? chunk : this.text.write(chunk));
      const wasEmpty = this.queued === 0;
      let from = 0;
      for (;;) {
        const nl = s.indexOf('\n', from);
        if (nl < 0) break;
        this.take(s, from, nl);
        from = nl + 1;
      }
      this.carry = s.slice(from);
      if (this.queued >= this.highWater && !this.paused) {
        this.paused = true;
        this.input.pause();
      }
      if (wasEmpty && this.queued > 0) this.readable?.();
    });
    this.input.on('end', () => {
      const rest = this.carry + this.text.end();
      this.carry = '';
      if (rest !== '') this.take(rest, 0, rest.length);
      this.done = true;
      this.readable?.();
    });
    this.input.on('error', (e) => {
      this.failure = e;
      this.readable?.();
    });
  }

  /** Queues the line `s[from, to)` (a trailing CR dropped); blank lines are not records. */
  private take(s: string, from: number, to: number): void {
    this.lineNo++;
    let end = to;
    if (end > from && s.charCodeAt(end - 1) === 13) end--;
    let i = from;
    while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    if (i === end) return;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    this.lines.push(s.slice(from, end));
    this.lineNos.push(this.lineNo);
  }

  next(max: number): SourceRead {
    this.start();
    if (this.failure) throw this.failure;
    const n = Math.min(max, this.queued);
    if (n === 0) return this.done ? { kind: 'eof' } : { kind: 'wait' };
    const rows: Row[] = [];
    const bad: BadInput[] = [];
    const end = this.head + n;
    for (let i = this.head; i < end; i++) {
      const text = this.lines[i]!;
      try {
        let o: unknown;
        try {
          o = JSON.parse(text);
        } catch (e) {
          throw new BadRecord(`stdin:${this.lineNos[i]}: malformed jsonl: ${(e as Error).message}`);
        }
        if (o === null || typeof o !== 'object' || Array.isArray(o))
          throw new BadRecord('expected a JSON object per line');
        rows.push(this.decode(o as Record<string, unknown>));
      } catch (e) {
        if (!(e instanceof BadRecord)) throw e;
        bad.push({ position: `stdin:${this.lineNos[i]}`, reason: e.message, raw: text });
      }
    }
    this.consumed += n;
    this.head = end;
    if (this.head > 4096 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.lineNos = this.lineNos.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.queued < this.highWater / 2) {
      this.paused = false;
      this.input.resume();
    }
    return { kind: 'batch', rows, bad };
  }

  position(): unknown {
    return this.consumed;
  }

  seek(position: unknown): void {
    this.consumed = position as number;
    this.skip = this.consumed;
  }

  close(): void {
    if (this.paused) this.input.resume();
  }
}
