import type { Row } from '../runtime/batch.ts';
import { RowKind } from '../runtime/changelog.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

/**
 * Deduplication, `ROW_NUMBER() OVER (PARTITION BY k ORDER BY time ASC|DESC) … WHERE rn = 1`:
 * - keep 'first' (ASC): the first row to arrive per key is emitted, later ones are dropped — append-only;
 * - keep 'last' (DESC): the row with the latest time per key (on equal times the later arrival) replaces the
 *   previous one — an updating result, `+I` then `-U`/`+U`.
 * With `withRank`, the rank column (always 1) follows the row.
 *
 * Durable state: the kept row per key, written at version boundaries when changed.
 */
export class DeduplicateOperator implements Operator {
  private readonly kept = new Map<string, Row>();
  private readonly dirty = new Set<string>();
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly keyCols: readonly number[],
    private readonly timeColumn: number,
    private readonly keep: 'first' | 'last',
    private readonly withRank: boolean,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    for (const [k, v] of ctx.state.scan('k')) this.kept.set(k.slice(1), v as Row);
  }

  private out(row: Row): Row {
    return this.withRank ? [...row, 1] : row;
  }

  process(rows: Row[], out: Row[]): void {
    for (const r of rows) {
      const ks = keyString(this.keyCols.map((i) => r[i]));
      const cur = this.kept.get(ks);
      if (this.keep === 'first') {
        if (cur) continue;
        this.kept.set(ks, [1]);
        this.dirty.add(ks);
        out.push(this.out(r));
        continue;
      }
      if (!cur) {
        out.push([...this.out(r), RowKind.INSERT]);
      } else {
        if ((r[this.timeColumn] as number) < (cur[this.timeColumn] as number)) continue;
        out.push([...this.out(cur), RowKind.UPDATE_BEFORE], [...this.out(r), RowKind.UPDATE_AFTER]);
      }
      this.kept.set(ks, r);
      this.dirty.add(ks);
    }
  }

  onWatermark(): void {}

  checkpoint(): void {
    for (const ks of this.dirty) this.ctx.state.put(`k${ks}`, this.kept.get(ks));
    this.dirty.clear();
  }
}
