import { ExpressionError } from '../expr/errors.ts';
import type { Row } from '../runtime/batch.ts';
import { type OperatorContext, StatelessOperator } from '../runtime/operator.ts';

/**
 * Filter and projection fused into one pass (Flink's Calc): `WHERE` then `SELECT` expressions, both compiled
 * to JavaScript functions at plan time. With `skipFailedRows`, a row whose expression fails (a UDF that throws)
 * goes to the dead-letter file with the function, the row and the reason, and the run goes on; otherwise the
 * error ends the run and the open version is discarded, so the failing step has no partial effect.
 */
export class CalcOperator extends StatelessOperator {
  private ctx?: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly predicate: ((row: Row) => boolean) | undefined,
    private readonly projection: ((row: Row) => Row) | undefined,
    private readonly skipFailedRows = false,
    /** WHERE and SELECT fused into one function: null when the row does not pass. */
    private readonly calc?: (row: Row) => Row | null,
  ) {
    super();
  }

  override open(ctx: OperatorContext): void {
    this.ctx = ctx;
  }

  process(rows: Row[], out: Row[]): void {
    if (this.skipFailedRows) {
      this.processSkipping(rows, out);
      return;
    }
    const p = this.predicate;
    const f = this.projection;
    const calc = this.calc;
    if (calc) {
      for (const r of rows) {
        const o = calc(r);
        if (o !== null) out.push(o);
      }
    } else if (p && f) {
      for (const r of rows) if (p(r)) out.push(f(r));
    } else if (p) {
      for (const r of rows) if (p(r)) out.push(r);
    } else if (f) {
      for (const r of rows) out.push(f(r));
    } else {
      for (const r of rows) out.push(r);
    }
  }

  private processSkipping(rows: Row[], out: Row[]): void {
    const p = this.predicate;
    const f = this.projection;
    let failed: Row[] | undefined;
    const calc = this.calc;
    for (const r of rows) {
      try {
        if (calc) {
          const o = calc(r);
          if (o !== null) out.push(o);
          continue;
        }
        if (p && !p(r)) continue;
        out.push(f ? f(r) : r);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        (failed ??= []).push([this.name, this.id, e.message, JSON.stringify(r)]);
      }
    }
    if (failed && this.ctx) {
      this.ctx.metrics.badRecords += failed.length;
      this.ctx.sideOutput('deadletter', failed);
    }
  }
}

/**
 * A blackhole sink fused into the stage that feeds it: there is nothing to release, so nothing needs to cross
 * a stage boundary (no log entries); it only counts rows.
 */
export class BlackholeOperator extends StatelessOperator {
  private ctx?: OperatorContext;
  constructor(
    readonly id: string,
    readonly name: string,
  ) {
    super();
  }
  override open(ctx: OperatorContext): void {
    this.ctx = ctx;
  }
  process(rows: Row[]): void {
    if (this.ctx) this.ctx.metrics.rowsOut += rows.length;
  }
}
