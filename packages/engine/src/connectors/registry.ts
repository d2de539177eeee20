import * as path from 'node:path';
import type { Schema, SinkDef, SourceDef } from '@darq/parser';
import { PlanError } from '../errors.ts';
import type { FormatColumn } from '../formats/codec.ts';
import type { Row } from '../runtime/batch.ts';
import { ROW_KIND_LABELS } from '../runtime/changelog.ts';
import { BlackholeSinkWriter, CallbackSinkWriter, FileSinkWriter, StreamSinkWriter } from './file-sink.ts';
import { FileSourceReader } from './file-source.ts';
import { AsyncIterableSourceReader } from './iterable-source.ts';
import { ArraySourceReader, NexmarkSourceReader, SearchTraceSourceReader } from './memory-source.ts';
import { PartitionedFileSinkWriter } from './partitioned-file-sink.ts';
import type { SinkWriter, SourceReader } from './source.ts';
import { type StdinLog, StdinSourceReader } from './stdin-source.ts';

/** Where connectors look things up: the SQL file's directory, CLI overrides, in-process sources and sinks. */
export interface ConnectorContext {
  /** Relative paths in WITH options resolve against this directory (the SQL file's). */
  readonly baseDir: string;
  /** `--input name=path`: replaces a source's path (resolved against the working directory). */
  readonly inputs?: Readonly<Record<string, string>>;
  /** `--output name=path`. */
  readonly outputs?: Readonly<Record<string, string>>;
  /**
   * Library API: rows for a source by name — an array (replayable: the position is the index) or an async
   * iterable (resumed by skipping the rows already committed).
   */
  readonly arrays?: Readonly<
    Record<string, readonly Record<string, unknown>[] | AsyncIterable<Record<string, unknown>>>
  >;
  /** Library API: a callback per sink name. */
  readonly callbacks?: Readonly<Record<string, (rows: Record<string, unknown>[]) => void>>;
  readonly persistence: 'process' | 'machine';
  readonly stdout: (text: string) => void;
  readonly stateDir: string;
  /** Standard input's records, shared by every stdin source of the process (default: a log of its own). */
  readonly stdin?: StdinLog;
}

function lookup(map: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  if (!map) return undefined;
  for (const [k, v] of Object.entries(map)) if (k.toLowerCase() === name.toLowerCase()) return v;
  return undefined;
}

function fileFormat(options: Readonly<Record<string, string>>, what: string): 'jsonl' | 'csv' {
  const f = (options.format ?? 'jsonl').toLowerCase();
  if (f === 'jsonl' || f === 'json' || f === 'ndjson') return 'jsonl';
  if (f === 'csv') return 'csv';
  throw new PlanError(
    'UNSUPPORTED_FORMAT',
    `${what}: format '${options.format}' is not supported; use 'jsonl' (one JSON object per line) or 'csv'`,
  );
}

function physicalColumns(def: SourceDef): FormatColumn[] {
  return def.columns.filter((c) => !c.expr).map((c) => ({ name: c.name, type: c.type }));
}

export function createSourceReader(def: SourceDef, ctx: ConnectorContext): SourceReader {
  const o = def.options;
  const what = `source ${def.name}`;
  const given = ctx.arrays
    ? Object.entries(ctx.arrays).find(([k]) => k.toLowerCase() === def.name.toLowerCase())?.[1]
    : undefined;
  if (given) {
    return Array.isArray(given)
      ? new ArraySourceReader(def.name, given, physicalColumns(def))
      : new AsyncIterableSourceReader(
          def.name,
          given as AsyncIterable<Record<string, unknown>>,
          physicalColumns(def),
        );
  }
  const connector = (o.connector ?? '').toLowerCase();
  switch (connector) {
    case 'file':
    case 'filesystem':
    case 'single_file': {
      const override = lookup(ctx.inputs, def.name);
      if (override === '-') {
        // `--input name=-`: the source's JSON lines come from standard input instead of its file.
        if (fileFormat(o, what) !== 'jsonl')
          throw new PlanError(
            'UNSUPPORTED_FORMAT',
            `${what}: standard input (--input ${def.name}=-) reads JSON lines`,
          );
        return new StdinSourceReader(physicalColumns(def), ctx.stdin);
      }
      const p = override ? path.resolve(override) : o.path ? path.resolve(ctx.baseDir, o.path) : undefined;
      if (!p) throw new PlanError('MISSING_OPTION', `${what}: the file connector needs a 'path' option`);
      return new FileSourceReader({
        path: p,
        format: /^debezium[_-]json$/i.test(o.format ?? '') ? 'debezium_json' : fileFormat(o, what),
        columns: physicalColumns(def),
        follow: (o.mode ?? o['source.mode'] ?? '').toLowerCase() === 'tail' || o.follow === 'true',
        header: o['csv.header'] === 'true' || o.header === 'true',
        // Integer timestamps: epoch milliseconds, except in Debezium change events, where (as Arroyo reads
        // them) they are epoch nanoseconds; 'timestamp.unit' = 'ms' | 'ns' overrides either.
        timestampUnit:
          (o['timestamp.unit'] ?? (/^debezium/i.test(o.format ?? '') ? 'ns' : 'ms')) === 'ns' ? 'ns' : 'ms',
      });
    }
    case 'stdin': {
      const format = fileFormat(o, what);
      if (format === 'csv') {
        throw new PlanError(
          'UNSUPPORTED_FORMAT',
          `${what}: the stdin connector reads JSON lines; use format = 'jsonl'`,
        );
      }
      return new StdinSourceReader(physicalColumns(def), ctx.stdin);
    }
    case 'search-trace':
    case 'search_trace':
      return new SearchTraceSourceReader(def.name, o, physicalColumns(def));
    case 'nexmark':
      return new NexmarkSourceReader(def.name, o, physicalColumns(def), ctx);
    case 'memory':
      throw new PlanError(
        'MISSING_ROWS',
        `${what} uses connector 'memory': pass its rows in the library call (sources: { ${def.name}: [...] })`,
      );
    case '':
      throw new PlanError(
        'MISSING_OPTION',
        `${what}: WITH (connector = …) is missing; try connector = 'file'`,
      );
    default:
      throw new PlanError(
        'UNKNOWN_CONNECTOR',
        `${what}: unknown connector '${o.connector}'; available: file, stdin, search-trace, nexmark`,
      );
  }
}

/** Rows as plain objects of the schema's columns; an updating result's rows also get `op` (+I -U +U -D). */
function objectRows(
  schema: Schema,
  fn: (rows: Record<string, unknown>[]) => void,
  updating: boolean,
): (rows: Row[]) => void {
  const names = schema.fields.map((f) => f.name);
  const n = names.length;
  return (rows) =>
    fn(
      rows.map((r) => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) o[names[i]!] = r[i];
        if (updating) o.op = ROW_KIND_LABELS[r[n] as number];
        return o;
      }),
    );
}

export function createSinkWriter(
  def: SinkDef,
  schema: Schema,
  ctx: ConnectorContext,
  updating = false,
): SinkWriter {
  const o = def.options;
  const what = `sink ${def.name}`;
  const columns: FormatColumn[] = schema.fields.map((f) => ({ name: f.name, type: f.type }));
  const cb = ctx.callbacks
    ? Object.entries(ctx.callbacks).find(([k]) => k.toLowerCase() === def.name.toLowerCase())?.[1]
    : undefined;
  if (cb) return new CallbackSinkWriter(objectRows(schema, cb, updating));
  const override = lookup(ctx.outputs, def.name);
  if (override === '-') return new StreamSinkWriter(columns, ctx.stdout, updating);
  // `--output name=path` writes that sink to a file whatever its connector (JSON lines unless it names CSV).
  const connector = override ? 'file' : (o.connector ?? '').toLowerCase();
  switch (connector) {
    case 'file':
    case 'filesystem':
    case 'single_file': {
      const p = override ? path.resolve(override) : o.path ? path.resolve(ctx.baseDir, o.path) : undefined;
      if (!p) throw new PlanError('MISSING_OPTION', `${what}: the file connector needs a 'path' option`);
      if (def.partitionBy && def.partitionBy.length > 0) {
        if (updating) {
          throw new PlanError(
            'UNSUPPORTED',
            `${what}: a PARTITIONED BY file sink takes append-only rows, but this query's result is updating; write it to an unpartitioned sink (format 'debezium-json' keeps the changes)`,
          );
        }
        const format = fileFormat(o, what);
        return new PartitionedFileSinkWriter({
          dir: p,
          format,
          columns,
          partitionBy: def.partitionBy,
          header: o['csv.header'] === 'true' || o.header === 'true',
          fsync: ctx.persistence === 'machine',
        });
      }
      return new FileSinkWriter({
        path: p,
        format:
          override && !/^(csv|debezium_json|debezium-json)$/i.test(o.format ?? '')
            ? 'jsonl'
            : /^debezium[_-]json$/i.test(o.format ?? '')
              ? 'debezium_json'
              : fileFormat(o, what),
        updating,
        columns,
        header: o['csv.header'] === 'true' || o.header === 'true',
        fsync: ctx.persistence === 'machine',
      });
    }
    case 'stdout':
    case 'print':
      return new StreamSinkWriter(columns, ctx.stdout, updating);
    case 'blackhole':
      return new BlackholeSinkWriter();
    case 'memory':
      throw new PlanError(
        'MISSING_CALLBACK',
        `${what} uses connector 'memory': pass a callback in the library call (sinks: { ${def.name}: (rows) => … })`,
      );
    case '':
      throw new PlanError(
        'MISSING_OPTION',
        `${what}: WITH (connector = …) is missing; try connector = 'file'`,
      );
    default:
      throw new PlanError(
        'UNKNOWN_CONNECTOR',
        `${what}: unknown connector '${o.connector}'; available: file, stdout, blackhole`,
      );
  }
}

export function deadLetterWriter(ctx: ConnectorContext, file?: string): SinkWriter {
  return new FileSinkWriter({
    path: file ?? path.join(ctx.stateDir, 'dead-letters.jsonl'),
    format: 'jsonl',
    columns: ['source', 'position', 'reason', 'raw'].map((name) => ({ name, type: { kind: 'VARCHAR' } })),
    fsync: ctx.persistence === 'machine',
  });
}
