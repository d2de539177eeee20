import type { WindowSpec } from '@darq/parser';
import type { Row } from '../runtime/batch.ts';
import { type Operator, type OperatorContext, StatelessOperator } from '../runtime/operator.ts';
import { assignWindows } from '../windows/index.ts';

/**
 * A window table function on its own (`SELECT * FROM TABLE(TUMBLE(…))`, a window join's input): each row
 * followed by window_start, window_end and window_time, once per window it falls in (HOP and CUMULATE give
 * several).
 */
export class WindowTvfOperator extends StatelessOperator {
  constructor(
    readonly id: string,
    readonly name: string,
    private readonly window: WindowSpec,
  ) {
    super();
  }

  process(rows: Row[], out: Row[]): void {
    const tc = this.window.timeColumn;
    for (const r of rows) {
      const t = r[tc];
      if (typeof t !== 'number') continue;
      for (const w of assignWindows(t, this.window)) out.push([...r, w.start, w.end, w.end - 1]);
    }
  }
}

/** `LIMIT n` without ORDER BY: the first n rows to arrive, then nothing. */
export class LimitOperator implements Operator {
  private seen = 0;
  private ctx!: OperatorContext;
  constructor(
    readonly id: string,
    readonly name: string,
    private readonly limit: number,
  ) {}
  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    const n = ctx.state.get('n');
    if (typeof n === 'number') this.seen = n;
  }
  process(rows: Row[], out: Row[]): void {
    for (const r of rows) {
      if (this.seen >= this.limit) return;
      out.push(r);
      this.seen++;
    }
  }
  onWatermark(): void {}
  checkpoint(): void {
    this.ctx.state.put('n', this.seen);
  }
}
