import type { AggregatorList } from '../aggregates/index.ts';
import type { Row } from '../runtime/batch.ts';
import { isAccumulate, RowKind } from '../runtime/changelog.ts';
import type { Operator, OperatorContext } from '../runtime/operator.ts';
import { keyString } from './window-aggregate.ts';

interface Group {
  readonly key: unknown[];
  accs: unknown[];
  /** Rows currently in the group (adds minus retractions); 0 = the group is gone. */
  count: number;
  /** The last result row emitted for the group (without kind), or null if none is live downstream. */
  emitted: unknown[] | null;
}

function sameRow(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'object' && x !== null && JSON.stringify(x) === JSON.stringify(y)) continue;
    return false;
  }
  return true;
}

/**
 * Unwindowed GROUP BY over an append-only or updating input, emitting a changelog: `+I` for a new group,
 * `-U`/`+U` when its result changes, `-D` when its last row is retracted. Changes are emitted once per input
 * batch for every group the batch touched (intermediate results inside one batch are folded together; the
 * final state is the same whatever the batching). A global aggregate (no GROUP BY) emits its row from the
 * first input on. Aggregates are retraction-aware (MIN/MAX keep a multiset when the input updates).
 *
 * Durable state: one row per group (key, accumulators, row count, last emitted result), written at version
 * boundaries when changed.
 */
export class GroupAggregateOperator implements Operator {
  private readonly groups = new Map<string, Group>();
  private readonly dirty = new Set<string>();
  private ctx!: OperatorContext;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly keyOf: (row: Row) => unknown[],
    private readonly list: AggregatorList,
    /** Input columns; an updating input's row kind sits at this index. */
    private readonly inputWidth: number,
    private readonly inputUpdating: boolean,
  ) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    for (const [k, v] of ctx.state.scan('g')) this.groups.set(k.slice(1), v as Group);
  }

  process(rows: Row[], out: Row[]): void {
    const touched = new Set<string>();
    const list = this.list;
    for (const row of rows) {
      const kind = this.inputUpdating ? (row[this.inputWidth] as RowKind) : RowKind.INSERT;
      const key = this.keyOf(row);
      const ks = keyString(key);
      let g = this.groups.get(ks);
      if (!g) {
        g = { key, accs: list.init(), count: 0, emitted: null };
        this.groups.set(ks, g);
      }
      if (isAccumulate(kind)) {
        list.add(g.accs, row);
        g.count++;
      } else {
        list.retract(g.accs, row);
        g.count--;
      }
      touched.add(ks);
    }
    for (const ks of [...touched].sort()) {
      const g = this.groups.get(ks)!;
      this.dirty.add(ks);
      if (g.count <= 0) {
        if (g.emitted) out.push([...g.emitted, RowKind.DELETE]);
        this.groups.delete(ks);
        continue;
      }
      const result = [...g.key, ...list.results(g.accs)];
      if (!g.emitted) out.push([...result, RowKind.INSERT]);
      else if (!sameRow(g.emitted, result)) {
        out.push([...g.emitted, RowKind.UPDATE_BEFORE]);
        out.push([...result, RowKind.UPDATE_AFTER]);
      }
      g.emitted = result;
    }
  }

  onWatermark(): void {}

  checkpoint(): void {
    const state = this.ctx.state;
    for (const ks of this.dirty) {
      const g = this.groups.get(ks);
      if (g) state.put(`g${ks}`, g);
      else state.delete(`g${ks}`);
    }
    this.dirty.clear();
  }
}
