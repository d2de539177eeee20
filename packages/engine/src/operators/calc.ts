import type { Row } from '../runtime/batch.ts';
import { StatelessOperator } from '../runtime/operator.ts';

/**
 * Filter and projection fused into one pass (Flink's Calc): `WHERE` then `SELECT` expressions, both compiled
 * to JavaScript functions at plan time.
 */
export class CalcOperator extends StatelessOperator {
  constructor(
    readonly id: string,
    readonly name: string,
    private readonly predicate: ((row: Row) => boolean) | undefined,
    private readonly projection: ((row: Row) => Row) | undefined,
  ) {
    super();
  }

  process(rows: Row[], out: Row[]): void {
    const p = this.predicate;
    const f = this.projection;
    if (p && f) {
      for (const r of rows) if (p(r)) out.push(f(r));
    } else if (p) {
      for (const r of rows) if (p(r)) out.push(r);
    } else if (f) {
      for (const r of rows) out.push(f(r));
    } else {
      for (const r of rows) out.push(r);
    }
  }
}
