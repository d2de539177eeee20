import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectorError, StateError } from '../errors.ts';
import { type FormatColumn, jsonLineEncoder, toJsonValue } from '../formats/codec.ts';
import { csvField } from '../formats/csv.ts';
import type { Row } from '../runtime/batch.ts';
import type { SinkWriter } from './source.ts';

export interface FileSinkOptions {
  readonly path: string;
  readonly format: 'jsonl' | 'csv';
  readonly columns: readonly FormatColumn[];
  /** CSV: write a header line first. */
  readonly header?: boolean;
  /** fsync the file before each version that records its length commits (persistence = machine). */
  readonly fsync: boolean;
}

/**
 * An exactly-once file: rows are appended only once the version that produced them is committed, and the
 * committed byte length is recorded with the step that consumed them. A restart truncates whatever a crashed
 * run appended after that length, then writes the committed rows not yet covered — so a file written across
 * crashes is byte-identical to one written without any.
 */
export class FileSinkWriter implements SinkWriter {
  readonly description: string;
  private fd = -1;
  private length = 0;
  private readonly encode: (r: Row) => string;
  private dirty = false;

  constructor(private readonly opts: FileSinkOptions) {
    this.description = `${opts.format} file ${opts.path}`;
    if (opts.format === 'jsonl') {
      this.encode = jsonLineEncoder(opts.columns);
    } else {
      const cols = opts.columns;
      this.encode = (r) => cols.map((c, i) => csvField(toJsonValue(r[i], c.type))).join(',');
    }
  }

  open(committed: unknown): void {
    const file = this.opts.path;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch (e) {
      throw new ConnectorError(
        'SINK_DIR',
        `cannot create the directory of output file ${file}: ${(e as Error).message}`,
      );
    }
    const committedLength = typeof committed === 'number' ? committed : undefined;
    try {
      if (committedLength === undefined) {
        // A fresh run owns the file: start it empty.
        this.fd = fs.openSync(file, 'w');
        this.length = 0;
        if (this.opts.format === 'csv' && this.opts.header) {
          this.append(`${this.opts.columns.map((c) => csvField(c.name)).join(',')}\n`);
        }
        return;
      }
      this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    } catch (e) {
      throw new ConnectorError('SINK_FILE', `cannot open output file ${file}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const size = fs.fstatSync(this.fd).size;
    if (size < committedLength) {
      throw new StateError(
        'SINK_FILE_SHORT',
        `output file ${file} has ${size} bytes but ${committedLength} bytes of it were committed: it was truncated or replaced outside darq. Restore it, or start over with a fresh --state dir.`,
      );
    }
    if (size > committedLength) fs.ftruncateSync(this.fd, committedLength);
    this.length = committedLength;
  }

  private append(text: string): void {
    const b = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < b.length) off += fs.writeSync(this.fd, b, off, b.length - off, this.length + off);
    this.length += b.length;
    this.dirty = true;
  }

  write(rows: Row[]): void {
    if (rows.length === 0) return;
    let text = '';
    for (const r of rows) text += `${this.encode(r)}\n`;
    this.append(text);
  }

  position(): unknown {
    return this.length;
  }

  sync(): void {
    if (this.dirty && this.opts.fsync) fs.fdatasyncSync(this.fd);
    this.dirty = false;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Rows to a stream (stdout) as JSON lines, released once committed. Not truncatable: see docs. */
export class StreamSinkWriter implements SinkWriter {
  readonly description = 'stdout';
  private readonly encode: (r: Row) => string;
  private count = 0;
  constructor(
    columns: readonly FormatColumn[],
    private readonly out: (text: string) => void,
  ) {
    this.encode = jsonLineEncoder(columns);
  }
  open(committed: unknown): void {
    this.count = typeof committed === 'number' ? committed : 0;
  }
  write(rows: Row[]): void {
    if (rows.length === 0) return;
    let text = '';
    for (const r of rows) text += `${this.encode(r)}\n`;
    this.out(text);
    this.count += rows.length;
  }
  position(): unknown {
    return this.count;
  }
  sync(): void {}
  close(): void {}
}

/** Hands committed rows to a callback (the library API); positions count rows. */
export class CallbackSinkWriter implements SinkWriter {
  readonly description = 'callback';
  private count = 0;
  constructor(private readonly fn: (rows: Row[]) => void) {}
  open(committed: unknown): void {
    this.count = typeof committed === 'number' ? committed : 0;
  }
  write(rows: Row[]): void {
    if (rows.length === 0) return;
    this.fn(rows);
    this.count += rows.length;
  }
  position(): unknown {
    return this.count;
  }
  sync(): void {}
  close(): void {}
}

/** Discards rows (benchmarks). */
export class BlackholeSinkWriter implements SinkWriter {
  readonly description = 'blackhole';
  private count = 0;
  open(committed: unknown): void {
    this.count = typeof committed === 'number' ? committed : 0;
  }
  write(rows: Row[]): void {
    this.count += rows.length;
  }
  position(): unknown {
    return this.count;
  }
  sync(): void {}
  close(): void {}
}
