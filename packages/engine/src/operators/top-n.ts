import type { SortKey } from '@darq/parser';
import type { Row } from '../runtime/batch.ts';
import { RowKind } from '../runtime/changelog.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';
import { compareRows } from './window-top-n.ts';

/**
 * Unbounded Top-N over an append-only input: `ROW_NUMBER() OVER (PARTITION BY k ORDER BY …) … WHERE rn <= N`
 * without a window. Each partition keeps its current top N; when a row enters it, the change is emitted as a
 * changelog. With the rank column, rows are identified by (partition, rank): every rank whose row changed
 * gets `-U`/`+U` (a new last rank `+I`); without it, the evicted row is `-D` and the new one `+I`. Ties keep
 * arrival order (an equal row ranks after the ones already there).
 *
 * Durable state: the top N rows per partition, written at version boundaries when changed.
 */
export class TopNOperator implements Operator {
  private readonly parts = new Map<string, Row[]>();
  private readonly dirty = new Set<string>();
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly partitionBy: readonly number[],
    private readonly orderBy: readonly SortKey[],
    private readonly limit: number,
    private readonly withRank: boolean,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    for (const [k, v] of ctx.state.scan('p')) this.parts.set(k.slice(1), v as Row[]);
  }

  process(rows: Row[], out: Row[]): void {
    for (const r of rows) {
      const ks = keyString(this.partitionBy.map((i) => r[i]));
      const top = this.parts.get(ks) ?? [];
      // Position after every row that sorts before or equal to r (ties: arrival order).
      let at = top.length;
      while (at > 0 && compareRows(top[at - 1]!, r, this.orderBy) > 0) at--;
      if (at >= this.limit) continue;
      const before = top.slice();
      top.splice(at, 0, r);
      const evicted = top.length > this.limit ? top.pop() : undefined;
      this.parts.set(ks, top);
      this.dirty.add(ks);
      if (!this.withRank) {
        if (evicted) out.push([...evicted, RowKind.DELETE]);
        out.push([...r, RowKind.INSERT]);
        continue;
      }
      for (let i = at; i < top.length; i++) {
        const old = before[i];
        if (old === undefined) out.push([...top[i]!, i + 1, RowKind.INSERT]);
        else {
          out.push([...old, i + 1, RowKind.UPDATE_BEFORE]);
          out.push([...top[i]!, i + 1, RowKind.UPDATE_AFTER]);
        }
      }
    }
  }

  onWatermark(): void {}

  checkpoint(): void {
    for (const ks of this.dirty) this.ctx.state.put(`p${ks}`, this.parts.get(ks));
    this.dirty.clear();
  }
}
