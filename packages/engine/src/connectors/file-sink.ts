import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataType } from '@darq/parser';
import { ConnectorError, StateError } from '../errors.ts';
import { type FormatColumn, jsonLineEncoder, toJsonValue } from '../formats/codec.ts';
import { csvField } from '../formats/csv.ts';
import type { Row } from '../runtime/batch.ts';
import { ROW_KIND_LABELS, RowKind } from '../runtime/changelog.ts';
import type { SinkWriter } from './source.ts';

export interface FileSinkOptions {
  readonly path: string;
  readonly format: 'jsonl' | 'csv' | 'debezium_json';
  /** Rows carry a change kind (+I -U +U -D) after their columns. */
  readonly updating?: boolean;
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

  private readonly encodeBatch?: (rows: Row[]) => string;

  constructor(private readonly opts: FileSinkOptions) {
    this.description = `${opts.format} file ${opts.path}`;
    if (opts.format === 'debezium_json') {
      this.encode = () => '';
      this.encodeBatch = debeziumEncoder(opts.columns, opts.updating === true);
    } else if (opts.format === 'jsonl') {
      const plain = jsonLineEncoder(opts.columns);
      const width = opts.columns.length;
      // An updating result in plain JSON lines: each line says its change kind in an "op" field.
      this.encode = opts.updating
        ? (r) =>
            `${plain(r).slice(0, -1)}${width > 0 ? ',' : ''}"op":"${ROW_KIND_LABELS[r[width] as number]}"}`
        : plain;
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
    if (this.encodeBatch) {
      this.append(this.encodeBatch(rows));
      return;
    }
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

/** Debezium's JSON value form: timestamps as integer epoch milliseconds, NULL as null. */
function debeziumValue(v: unknown, type: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (type.kind === 'TIMESTAMP') return v;
  return toJsonValue(v, type);
}

/**
 * Debezium-style change events, one JSON object per line: `{"before": row|null, "after": row|null, "op": c|u|d}`.
 * An update-before directly followed by its update-after becomes one `u`; a lone `-U` is a `d` and a lone `+U`
 * a `c`. Append-only input is all `c`.
 */
function debeziumEncoder(columns: readonly FormatColumn[], updating: boolean): (rows: Row[]) => string {
  const width = columns.length;
  const obj = (r: Row) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < width; i++) o[columns[i]!.name] = debeziumValue(r[i], columns[i]!.type);
    return o;
  };
  return (rows) => {
    let text = '';
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const kind = updating ? (r[width] as number) : RowKind.INSERT;
      if (kind === RowKind.UPDATE_BEFORE) {
        const next = rows[i + 1];
        if (next && next[width] === RowKind.UPDATE_AFTER) {
          text += `${JSON.stringify({ before: obj(r), after: obj(next), op: 'u' })}\n`;
          i++;
          continue;
        }
        text += `${JSON.stringify({ before: obj(r), after: null, op: 'd' })}\n`;
      } else if (kind === RowKind.DELETE) {
        text += `${JSON.stringify({ before: obj(r), after: null, op: 'd' })}\n`;
      } else {
        text += `${JSON.stringify({ before: null, after: obj(r), op: 'c' })}\n`;
      }
    }
    return text;
  };
}

/** Rows to a stream (stdout) as JSON lines, released once committed. Not truncatable: see docs. */
export class StreamSinkWriter implements SinkWriter {
  readonly description = 'stdout';
  private readonly encode: (r: Row) => string;
  private count = 0;
  constructor(
    columns: readonly FormatColumn[],
    private readonly out: (text: string) => void,
    updating = false,
  ) {
    const plain = jsonLineEncoder(columns);
    const width = columns.length;
    // An updating result says each row's change kind in an "op" field, as the JSON-lines file sink does.
    this.encode = updating
      ? (r) => `${plain(r).slice(0, -1)}${width > 0 ? ',' : ''}"op":"${ROW_KIND_LABELS[r[width] as number]}"}`
      : plain;
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
