import { BadRecord, type FormatColumn, jsonObjectDecoder } from '../formats/codec.ts';
import type { Row } from '../runtime/batch.ts';
import type { BadInput, SourceRead, SourceReader } from './source.ts';

/**
 * Rows from an async iterable given by a Node program (library API). The reader pulls ahead into a bounded
 * buffer and hands out what has arrived; while the iterable has nothing new the source waits. Its position is
 * the number of rows consumed: a resumed run skips that many rows of the iterable it is given, so giving the
 * same sequence again (a re-readable stream, a generator function) resumes exactly once.
 */
export class AsyncIterableSourceReader implements SourceReader {
  readonly description: string;
  private readonly buffer: Record<string, unknown>[] = [];
  private consumed = 0;
  private skip = 0;
  private done = false;
  private failure: unknown;
  private resume: (() => void) | undefined;
  private readonly decode: (o: Record<string, unknown>) => Row;
  private started = false;
  private readable: (() => void) | undefined;

  constructor(
    private readonly name: string,
    private readonly iterable: AsyncIterable<Record<string, unknown>>,
    columns: readonly FormatColumn[],
    private readonly highWater = 8192,
  ) {
    this.description = `async iterable ${name}`;
    this.decode = jsonObjectDecoder(columns);
  }

  onReadable(wake: () => void): void {
    this.readable = wake;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    void (async () => {
      try {
        for await (const item of this.iterable) {
          if (this.skip > 0) {
            this.skip--;
            continue;
          }
          this.buffer.push(item);
          if (this.buffer.length === 1) this.readable?.();
          if (this.buffer.length >= this.highWater) await new Promise<void>((r) => (this.resume = r));
        }
      } catch (e) {
        this.failure = e;
      }
      this.done = true;
      this.readable?.();
    })();
  }

  next(max: number): SourceRead {
    this.start();
    if (this.failure) throw this.failure;
    if (this.buffer.length === 0) return this.done ? { kind: 'eof' } : { kind: 'wait' };
    const items = this.buffer.splice(0, max);
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
    const rows: Row[] = [];
    const bad: BadInput[] = [];
    for (const item of items) {
      try {
        rows.push(this.decode(item));
      } catch (e) {
        if (!(e instanceof BadRecord)) throw e;
        bad.push({ position: `${this.name}#${this.consumed}`, reason: e.message, raw: JSON.stringify(item) });
      }
      this.consumed++;
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
    this.resume?.();
  }
}
