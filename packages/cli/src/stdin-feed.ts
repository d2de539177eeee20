import type { Writable } from 'node:stream';
import { LineSplitter, type LineStart } from '@darq/engine';

interface Line {
  readonly text: string;
  readonly line: number;
  /** Record index; -1 for a blank line. */
  readonly index: number;
}

/**
 * Standard input of a multi-process run. The supervisor reads it and feeds the worker running the stdin
 * source, keeping every line from the first record that worker's cut has not covered yet: when the worker is
 * killed, its restart gets the stream again from there (its restored position is never below its cut), so
 * no record is lost and none is read twice. Memory holds what is not yet committed, nothing more.
 */
export class StdinFeed {
  private readonly splitter = new LineSplitter();
  private kept: Line[] = [];
  private head = 0;
  private target: Writable | undefined;
  private ended = false;
  private started = false;

  constructor(private readonly input: NodeJS.ReadableStream = process.stdin) {}

  /** Where a worker started now begins reading: the first kept record (or the next one to arrive). */
  start(): LineStart {
    const first = this.kept[this.head];
    return first === undefined
      ? { index: this.splitter.index, line: this.splitter.line }
      : { index: first.index < 0 ? this.nextIndexFrom(this.head) : first.index, line: first.line - 1 };
  }

  private nextIndexFrom(i: number): number {
    for (let k = i; k < this.kept.length; k++) if (this.kept[k]!.index >= 0) return this.kept[k]!.index;
    return this.splitter.index;
  }

  /** Feeds `to` from `start()` on: the kept lines now, then the stream as it arrives. */
  attach(to: Writable): void {
    to.on('error', () => {}); // EPIPE when the worker dies: it is restarted and attached again
    this.target = to;
    let text = '';
    for (let k = this.head; k < this.kept.length; k++) text += `${this.kept[k]!.text}\n`;
    if (text !== '') this.write(text);
    if (this.ended) to.end();
    this.listen();
    this.input.resume();
  }

  /** The worker died: hold the input until its restart is attached. */
  detach(to: Writable): void {
    if (this.target !== to) return;
    this.target = undefined;
    if (!this.ended) this.input.pause();
  }

  /** The worker's cut has consumed the records below `index`: they are not needed again. */
  committed(index: number): void {
    while (this.head < this.kept.length && this.kept[this.head]!.index < index) this.head++;
    if (this.head > 4096 && this.head * 2 > this.kept.length) {
      this.kept = this.kept.slice(this.head);
      this.head = 0;
    }
  }

  private listen(): void {
    if (this.started) return;
    this.started = true;
    this.input.on('data', (chunk: Buffer | string) => {
      let text = '';
      this.splitter.push(chunk, (t, line, index) => {
        this.kept.push({ text: t, line, index });
        text += `${t}\n`;
      });
      if (text !== '') this.write(text);
    });
    this.input.on('end', () => {
      let text = '';
      this.splitter.end((t, line, index) => {
        this.kept.push({ text: t, line, index });
        text += `${t}\n`;
      });
      if (text !== '') this.write(text);
      this.ended = true;
      this.target?.end();
    });
  }

  private write(text: string): void {
    const to = this.target;
    if (to === undefined) return;
    if (!to.write(text)) {
      // Backpressure: the worker reads slower than the producer writes.
      this.input.pause();
      to.once('drain', () => {
        if (this.target === to) this.input.resume();
      });
    }
  }
}
