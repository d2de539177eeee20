import * as fs from 'node:fs';
import type { Darq, Lsn } from '@darq/darq-core';
import { jsonLineEncoder } from '../formats/codec.ts';
import type { StageSpec } from '../physical/graph.ts';
import { decodeBatch, type Row } from '../runtime/batch.ts';
import { ROW_KIND_LABELS } from '../runtime/changelog.ts';
import type { RuntimeContext } from '../runtime/context.ts';

/**
 * The tentative stream (`--tentative PATH`): every row a sink will write, as soon as it reaches the sink's
 * DARQ — before its version is committed — with explicit retractions for what a rollback undid. One JSON
 * object per line (docs/cluster.md):
 *
 *   {"row": {...}, "sink": "alerts", "worker": "w1", "v": 41, "lsn": 9120, "i": 3}
 *       a row: sink `alerts`, carried by entry `lsn` of worker `w1` (appended in its version `v`), row `i`
 *       of that entry. The same (worker, sink, lsn, i) may appear again after a rollback or a restart: the
 *       later line replaces the earlier one.
 *   {"retract": {"worker": "w1", "after_version": 40}}
 *       every row of worker w1 with v > 40 is withdrawn (a rollback or a crash undid those versions).
 *   {"commit": {"worker": "w1", "version": 42}}
 *       every row of worker w1 with v ≤ 42 is final: the committed output will contain it.
 *
 * Applying the lines in order — add or replace rows, drop retracted ones — and listing each sink's rows by
 * (lsn, i) yields exactly the sink's committed output.
 */
export class TentativeFile {
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'a');
  }

  /** Appends whole lines with one write (O_APPEND: lines of several worker processes never interleave). */
  append(text: string): void {
    if (text.length > 0) fs.writeSync(this.fd, text);
  }

  retract(worker: string, afterVersion: number): void {
    this.append(`${JSON.stringify({ retract: { worker, after_version: afterVersion } })}\n`);
  }

  commit(worker: string, version: number): void {
    this.append(`${JSON.stringify({ commit: { worker, version } })}\n`);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Copies the rows reaching one sink participant's DARQ to the tentative file. */
export class TentativeTap {
  private cursor = 0 as Lsn;
  private readonly encode: (r: Row) => string;
  private readonly prefix: string;

  constructor(
    private readonly file: TentativeFile,
    private readonly darq: Darq,
    stage: StageSpec,
    workerId: string,
  ) {
    const columns = stage.schema.fields.map((f) => ({ name: f.name, type: f.type }));
    const plain = jsonLineEncoder(columns);
    const width = columns.length;
    this.encode =
      stage.changelog === 'updating'
        ? (r) =>
            `${plain(r).slice(0, -1)}${width > 0 ? ',' : ''}"op":"${ROW_KIND_LABELS[r[width] as number]}"}`
        : plain;
    this.prefix = `,"sink":${JSON.stringify(stage.sink?.def.name ?? stage.id)},"worker":${JSON.stringify(workerId)}`;
  }

  /** Writes the rows of entries that arrived since the last call; returns how many entries it read. */
  poll(rt: RuntimeContext): number {
    const msgs = rt.readable(this.darq, this.cursor, 256);
    if (msgs.length === 0) return 0;
    let text = '';
    for (const m of msgs) {
      this.cursor = m.lsn;
      const rows = decodeBatch(m.body).rows;
      for (let i = 0; i < rows.length; i++) {
        text += `{"row":${this.encode(rows[i] as Row)}${this.prefix},"v":${m.version},"lsn":${m.lsn},"i":${i}}\n`;
      }
    }
    this.file.append(text);
    return msgs.length;
  }
}

/** Applies a tentative stream: the rows it ends with, per sink, in (lsn, i) order. */
export function applyTentative(text: string): Map<string, unknown[]> {
  const rows = new Map<
    string,
    { sink: string; worker: string; v: number; lsn: number; i: number; row: unknown }
  >();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const rec = JSON.parse(line) as {
      row?: unknown;
      sink: string;
      worker: string;
      v: number;
      lsn: number;
      i: number;
      retract?: { worker: string; after_version: number };
    };
    if (rec.retract) {
      for (const [k, r] of rows)
        if (r.worker === rec.retract.worker && r.v > rec.retract.after_version) rows.delete(k);
    } else if (rec.row !== undefined) {
      rows.set(`${rec.worker}/${rec.sink}/${rec.lsn}/${rec.i}`, rec as never);
    }
  }
  const bySink = new Map<string, Array<{ lsn: number; i: number; row: unknown }>>();
  for (const r of rows.values()) {
    const list = bySink.get(r.sink) ?? [];
    list.push(r);
    bySink.set(r.sink, list);
  }
  const out = new Map<string, unknown[]>();
  for (const [sink, list] of bySink) {
    list.sort((a, b) => a.lsn - b.lsn || a.i - b.i);
    out.set(
      sink,
      list.map((r) => r.row),
    );
  }
  return out;
}
