import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectorError, StateError } from '../errors.ts';
import { type FormatColumn, jsonLineEncoder, toJsonValue } from '../formats/codec.ts';
import { csvField } from '../formats/csv.ts';
import type { Row } from '../runtime/batch.ts';
import type { SinkWriter } from './source.ts';

export interface PartitionedFileSinkOptions {
  /** The sink's directory; partitions are subdirectories of it. */
  readonly dir: string;
  readonly format: 'jsonl' | 'csv';
  /** Every column of the sink, partition columns included. */
  readonly columns: readonly FormatColumn[];
  /** Names of the partition columns, in path order (`PARTITIONED BY (dt, hm)`). */
  readonly partitionBy: readonly string[];
  /** CSV: a header line at the top of each file. */
  readonly header?: boolean;
  readonly fsync: boolean;
  /** At most this many files are kept open at once (least recently written closed first). Default 64. */
  readonly maxOpenFiles?: number;
}

/** The committed byte length of every file written so far, by path relative to the directory. */
type Committed = Record<string, number>;

/** Hive's partition-path escaping (what Flink's filesystem sink writes): `22:13` → `22%3A13`. */
const SPECIAL = new Set('"#%\'*/:=?\\{}[]^'.split(''));
export function escapePartitionValue(v: string): string {
  let out = '';
  for (const c of v) {
    const code = c.charCodeAt(0);
    out +=
      code < 0x20 || code === 0x7f || SPECIAL.has(c)
        ? `%${code.toString(16).toUpperCase().padStart(2, '0')}`
        : c;
  }
  return out;
}

/** The directory name of a NULL or empty partition value, as Hive and Flink write it. */
export const DEFAULT_PARTITION = '__DEFAULT_PARTITION__';

/**
 * A partitioned file sink, `CREATE SINK s (…, dt VARCHAR, hm VARCHAR) PARTITIONED BY (dt, hm) WITH (connector =
 * 'file', path = 'out/s/', format = 'csv')`: each row goes to `out/s/dt=2023-11-14/hm=22%3A13/part-0.csv`
 * (Flink's layout: `name=value` directories, values escaped as Hive does; the partition columns live in the path,
 * not in the file). Exactly-once like the single-file sink: rows are written only once committed, and the
 * committed length of every file is recorded with the step that consumed them; a restart truncates each file
 * to its committed length and removes part files a crashed run created after the last commit, so the directory
 * written across crashes is byte-identical to one written without any. A fresh run removes the part files of
 * an earlier run (and nothing else).
 */
export class PartitionedFileSinkWriter implements SinkWriter {
  readonly description: string;
  private readonly lengths = new Map<string, number>();
  /** Open files, least recently written first. */
  private readonly open_ = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly encode: (r: Row) => string;
  private readonly partCols: number[];
  private readonly fileName: string;
  private readonly headerLine: string;

  constructor(private readonly opts: PartitionedFileSinkOptions) {
    this.description = `${opts.format} files under ${opts.dir} partitioned by (${opts.partitionBy.join(', ')})`;
    const names = opts.columns.map((c) => c.name.toLowerCase());
    this.partCols = opts.partitionBy.map((p) => {
      const i = names.indexOf(p.toLowerCase());
      if (i < 0) {
        throw new ConnectorError(
          'PARTITION_COLUMN',
          `partition column ${p} is not a column of the sink (${opts.columns.map((c) => c.name).join(', ')})`,
        );
      }
      return i;
    });
    const dataIdx = opts.columns.map((_, i) => i).filter((i) => !this.partCols.includes(i));
    const dataCols = dataIdx.map((i) => opts.columns[i]!);
    if (opts.format === 'jsonl') {
      const enc = jsonLineEncoder(dataCols);
      this.encode = (r) => enc(dataIdx.map((i) => r[i]));
    } else {
      this.encode = (r) => dataIdx.map((i) => csvField(toJsonValue(r[i], opts.columns[i]!.type))).join(',');
    }
    this.fileName = `part-0.${opts.format === 'jsonl' ? 'jsonl' : 'csv'}`;
    this.headerLine =
      opts.format === 'csv' && opts.header ? `${dataCols.map((c) => csvField(c.name)).join(',')}\n` : '';
  }

  private partitionPath(r: Row): string {
    let p = '';
    for (let k = 0; k < this.partCols.length; k++) {
      const i = this.partCols[k]!;
      const v = r[i];
      const text =
        v === null || v === undefined ? '' : String(toJsonValue(v, this.opts.columns[i]!.type) ?? '');
      p += `${this.opts.columns[i]!.name}=${text === '' ? DEFAULT_PARTITION : escapePartitionValue(text)}/`;
    }
    return `${p}${this.fileName}`;
  }

  /** Part files under the directory, relative paths (only the ones this sink names; nothing else is touched). */
  private partFiles(): string[] {
    const found: string[] = [];
    const depth = this.opts.partitionBy.length;
    const walk = (rel: string, level: number) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(path.join(this.opts.dir, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (level < depth && e.isDirectory() && e.name.includes('=')) walk(r, level + 1);
        else if (level === depth && e.isFile() && e.name === this.fileName) found.push(r);
      }
    };
    walk('', 0);
    return found;
  }

  open(committed: unknown): void {
    try {
      fs.mkdirSync(this.opts.dir, { recursive: true });
    } catch (e) {
      throw new ConnectorError(
        'SINK_DIR',
        `cannot create output directory ${this.opts.dir}: ${(e as Error).message}`,
      );
    }
    const before = (committed ?? undefined) as Committed | undefined;
    for (const [rel, len] of Object.entries(before ?? {})) this.lengths.set(rel, len);
    for (const rel of this.partFiles()) {
      const len = this.lengths.get(rel);
      // Not committed: an earlier run's file (fresh start) or one a crashed run created after its last commit.
      if (len === undefined) fs.rmSync(path.join(this.opts.dir, rel));
    }
    for (const [rel, len] of this.lengths) {
      const file = path.join(this.opts.dir, rel);
      const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
      if (size < len) {
        throw new StateError(
          'SINK_FILE_SHORT',
          `output file ${file} has ${Math.max(size, 0)} bytes but ${len} bytes of it were committed: it was truncated, replaced or removed outside darq. Restore it, or start over with a fresh --state dir.`,
        );
      }
      if (size > len) fs.truncateSync(file, len);
    }
  }

  private fd(rel: string): number {
    const fd = this.open_.get(rel);
    if (fd !== undefined) {
      this.open_.delete(rel);
      this.open_.set(rel, fd);
      return fd;
    }
    if (this.open_.size >= (this.opts.maxOpenFiles ?? 64)) {
      const [oldest, ofd] = this.open_.entries().next().value as [string, number];
      if (this.dirty.has(oldest) && this.opts.fsync) fs.fdatasyncSync(ofd);
      this.dirty.delete(oldest);
      fs.closeSync(ofd);
      this.open_.delete(oldest);
    }
    const file = path.join(this.opts.dir, rel);
    let nfd: number;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      nfd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    } catch (e) {
      throw new ConnectorError('SINK_FILE', `cannot open output file ${file}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    this.open_.set(rel, nfd);
    return nfd;
  }

  write(rows: Row[]): void {
    const texts = new Map<string, string>();
    for (const r of rows) {
      const rel = this.partitionPath(r);
      texts.set(rel, `${texts.get(rel) ?? ''}${this.encode(r)}\n`);
    }
    for (const [rel, text] of texts) {
      let length = this.lengths.get(rel);
      const fd = this.fd(rel);
      const b = Buffer.from(length === undefined ? this.headerLine + text : text, 'utf8');
      length ??= 0;
      let off = 0;
      while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off, length + off);
      this.lengths.set(rel, length + b.length);
      this.dirty.add(rel);
    }
  }

  position(): unknown {
    return Object.fromEntries(this.lengths);
  }

  sync(): void {
    if (this.opts.fsync) for (const rel of this.dirty) fs.fdatasyncSync(this.open_.get(rel)!);
    this.dirty.clear();
  }

  close(): void {
    for (const fd of this.open_.values()) fs.closeSync(fd);
    this.open_.clear();
  }
}
