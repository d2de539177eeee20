import type { Row } from '../runtime/batch.ts';
import { StatelessOperator } from '../runtime/operator.ts';

/**
 * `CROSS JOIN UNNEST(expr)`: for each input row and each element of its array, the input columns followed by
 * the element. A NULL or empty array emits nothing. On an updating input every output row keeps the input
 * row's change kind (it sits after the columns).
 */
export class UnnestOperator extends StatelessOperator {
  constructor(
    readonly id: string,
    readonly name: string,
    private readonly array: (row: Row) => unknown,
    private readonly width: number,
    private readonly updating: boolean,
  ) {
    super();
  }

  process(rows: Row[], out: Row[]): void {
    const w = this.width;
    for (const r of rows) {
      const a = this.array(r);
      if (!Array.isArray(a)) continue;
      for (const el of a) {
        const o = r.slice(0, w);
        o.push(el);
        if (this.updating) o.push(r[w]);
        out.push(o);
      }
    }
  }
}
