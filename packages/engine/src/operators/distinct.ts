import type { Row } from '../runtime/batch.ts';
import { isAccumulate, RowKind } from '../runtime/changelog.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';

/**
 * `SELECT DISTINCT`: each distinct row once. Over an append-only input a row is emitted the first time it is
 * seen (append-only output). Over an updating input each row is counted: it is inserted when its count
 * becomes 1 and deleted when it drops to 0 (updating output).
 *
 * Durable state: the count of each distinct row (one entry per distinct row: it grows with them).
 */
export class DistinctOperator implements Operator {
  private readonly counts = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly width: number,
    private readonly updating: boolean,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    for (const [k, v] of ctx.state.scan('r')) this.counts.set(k.slice(1), v as number);
  }

  process(rows: Row[], out: Row[]): void {
    for (const r of rows) {
      const values = r.slice(0, this.width);
      const key = JSON.stringify(values);
      const n = this.counts.get(key) ?? 0;
      if (!this.updating) {
        if (n > 0) continue;
        this.counts.set(key, 1);
        out.push(values);
      } else if (isAccumulate(r[this.width] as RowKind)) {
        this.counts.set(key, n + 1);
        if (n === 0) out.push([...values, RowKind.INSERT]);
      } else {
        if (n <= 1) {
          this.counts.delete(key);
          if (n === 1) out.push([...values, RowKind.DELETE]);
        } else this.counts.set(key, n - 1);
      }
      this.dirty.add(key);
    }
  }

  onWatermark(): void {}

  checkpoint(): void {
    for (const k of this.dirty) {
      const n = this.counts.get(k);
      if (n === undefined) this.ctx.state.delete(`r${k}`);
      else this.ctx.state.put(`r${k}`, n);
    }
    this.dirty.clear();
  }
}
