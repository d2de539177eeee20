import { createHash } from 'node:crypto';
import { OperatorError } from '../errors.ts';
import type { Row } from '../runtime/batch.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyOf } from './join.ts';
import { keyString } from './window-aggregate.ts';

export interface LookupJoinSpec {
  /** Which input of the SQL join the table is: its columns come first ('left') or last ('right'). */
  readonly tableSide: 'left' | 'right';
  /** A probe row without a match is still emitted, padded with NULLs (`stream LEFT JOIN table`). */
  readonly padProbe: boolean;
  readonly probeWidth: number;
  readonly tableWidth: number;
  readonly probeKey: (row: Row) => unknown[];
  readonly tableKey: (row: Row) => unknown[];
  /** The rest of the join condition, over the output row (left ++ right). */
  readonly residual?: (row: Row) => boolean;
  /** The probe input is an updating stream: its rows end with their change kind, which the output keeps. */
  readonly probeUpdating: boolean;
}

/**
 * A table read whole when its operator opens: rows in the table side's schema (after the table's own filters
 * and projections). Throws with the file position on an unreadable line.
 */
export interface LookupTableSource {
  readonly description: string;
  load(): Row[];
}

/**
 * Lookup join: `stream JOIN side FOR SYSTEM_TIME AS OF stream.proctime ON f(stream) = side.key` (Flink's
 * lookup join), or an inner join with a bounded, static table (a file without `mode = 'tail'` and without a
 * watermark). The table is read in full at `open` and indexed by the equi-join key; each probe row is joined
 * with the rows of its key as it arrives and then forgotten, so the operator keeps no state per probe row and
 * needs no shuffle (every participant holds the whole table).
 *
 * Replay: a resumed run re-reads the table, so it must be the same file with the same content. Its digest is
 * kept in durable state and a changed table is refused, rather than silently joining later rows against
 * other data than earlier ones.
 */
export class LookupJoinOperator implements Operator {
  private readonly index = new Map<string, Row[]>();
  private digest = '';
  private digestDirty = false;
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: LookupJoinSpec,
    private readonly table: LookupTableSource,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    const rows = this.table.load();
    const h = createHash('sha256');
    for (const r of rows) {
      h.update(JSON.stringify(r));
      h.update('\n');
      const key = keyOf(r, this.spec.tableKey);
      if (key === null) continue; // a NULL key matches nothing
      const ks = keyString(key);
      const list = this.index.get(ks);
      if (list) list.push(r);
      else this.index.set(ks, [r]);
    }
    this.digest = `${rows.length}:${h.digest('hex').slice(0, 32)}`;
    const before = ctx.state.get('~table');
    if (before === undefined) this.digestDirty = true;
    else if (before !== this.digest) {
      throw new OperatorError(
        'LOOKUP_TABLE_CHANGED',
        this.id,
        `the lookup table ${this.table.description} differs from the one this state dir started with (${String(before).split(':')[0]} rows then, ${rows.length} now): resuming would join later rows against other data. Restore the original file, or start over with a fresh --state dir.`,
      );
    }
  }

  process(rows: Row[], out: Row[]): void {
    const spec = this.spec;
    const right = spec.tableSide === 'right';
    const pad = spec.padProbe ? new Array<unknown>(spec.tableWidth).fill(null) : undefined;
    const w = spec.probeWidth;
    for (const r of rows) {
      const probe = spec.probeUpdating ? r.slice(0, w) : r;
      const key = keyOf(probe, spec.probeKey);
      const matches = key === null ? undefined : this.index.get(keyString(key));
      let matched = false;
      if (matches) {
        for (const t of matches) {
          const row = right ? [...probe, ...t] : [...t, ...probe];
          if (spec.residual && !spec.residual(row)) continue;
          if (spec.probeUpdating) row.push(r[w]);
          out.push(row);
          matched = true;
        }
      }
      if (!matched && pad) {
        const row = right ? [...probe, ...pad] : [...pad, ...probe];
        if (spec.probeUpdating) row.push(r[w]);
        out.push(row);
      }
    }
  }

  onWatermark(): void {}

  checkpoint(): void {
    if (!this.digestDirty) return;
    this.ctx.state.put('~table', this.digest);
    this.digestDirty = false;
  }
}
