import type { SortKey } from '@darq/parser';
import type { Row } from '../runtime/batch.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

interface Partition {
  readonly key: unknown[];
  readonly end: number;
  rows: Row[];
}

/** Compares two values in SQL order: numbers, strings, booleans; NULL placed by `nulls`. */
function compareValues(a: unknown, b: unknown, k: SortKey): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) {
    if (an && bn) return 0;
    return an === (k.nulls === 'first') ? -1 : 1;
  }
  const c = (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  return k.direction === 'desc' ? -c : c;
}

/** Compares two rows by the sort keys. */
export function compareRows(a: Row, b: Row, order: readonly SortKey[]): number {
  for (const k of order) {
    const c = compareValues(a[k.column], b[k.column], k);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Window Top-N: `ROW_NUMBER() OVER (PARTITION BY window_start, window_end, … ORDER BY …) … WHERE rn <= N`
 * over the output of a window aggregate. Rows of a window are held until the watermark passes its end, then
 * ranked once (a stable sort: ties keep their arrival order) and the first N emitted, each with its rank if
 * the query reads it. Append-only output.
 *
 * Durable state: the held rows per (window, partition key), written at version boundaries when changed.
 */
export class WindowTopNOperator implements Operator {
  private readonly parts = new Map<string, Partition>();
  private readonly dirty = new Set<string>();
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly partitionBy: readonly number[],
    private readonly endColumn: number,
    private readonly orderBy: readonly SortKey[],
    private readonly limit: number,
    private readonly withRank: boolean,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    for (const [k, v] of ctx.state.scan('p')) this.parts.set(k.slice(1), v as Partition);
  }

  process(rows: Row[]): void {
    for (const r of rows) {
      const key = this.partitionBy.map((i) => r[i]);
      const ks = keyString(key);
      let p = this.parts.get(ks);
      if (!p) {
        p = { key, end: r[this.endColumn] as number, rows: [] };
        this.parts.set(ks, p);
      }
      p.rows.push(r);
      this.dirty.add(ks);
    }
  }

  onWatermark(watermark: number, out: Row[]): void {
    const due = [...this.parts].filter(([, p]) => p.end <= watermark);
    if (due.length === 0) return;
    due.sort(([ka, a], [kb, b]) => a.end - b.end || (ka < kb ? -1 : ka > kb ? 1 : 0));
    const order = this.orderBy;
    const cmp = (a: Row, b: Row) => {
      for (const k of order) {
        const c = compareValues(a[k.column], b[k.column], k);
        if (c !== 0) return c;
      }
      return 0;
    };
    for (const [ks, p] of due) {
      const ranked = p.rows.slice().sort(cmp);
      const n = Math.min(this.limit, ranked.length);
      for (let i = 0; i < n; i++) out.push(this.withRank ? [...ranked[i]!, i + 1] : ranked[i]!);
      this.parts.delete(ks);
      this.dirty.add(ks);
    }
  }

  checkpoint(): void {
    for (const ks of this.dirty) {
      const p = this.parts.get(ks);
      if (p) this.ctx.state.put(`p${ks}`, p);
      else this.ctx.state.delete(`p${ks}`);
    }
    this.dirty.clear();
  }
}
