import {
  mkDeduplicate,
  mkFilter,
  mkJoin,
  mkOverAggregate,
  mkProject,
  mkTopN,
  mkUnion,
  mkUnnest,
  mkWindowAggregate,
  mkWindowTvf,
} from './build.ts';
import { type AggCall, assertNever, type Expr, forEachColumn, mapColumns } from './expr.ts';
import type { LogicalNode, Scan, SortKey, WindowSpec } from './logical.ts';

// Projection pruning: every node is rebuilt to produce only the columns something above it reads; a Scan
// then lists only the source columns the query uses. `map[old] = new` (or -1 when the column is gone).

interface Pruned {
  readonly node: LogicalNode;
  readonly map: readonly number[];
}

function identity(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function remap(e: Expr, map: readonly number[]): Expr {
  return mapColumns(e, (c) => {
    const i = map[c.index];
    if (i === undefined || i < 0)
      throw new Error(`internal error: pruned column ${c.name}#${c.index} is still read`);
    return { ...c, index: i };
  });
}

function col(map: readonly number[], i: number): number {
  const j = map[i];
  if (j === undefined || j < 0) throw new Error(`internal error: pruned column #${i} is still read`);
  return j;
}

function uses(into: Set<number>, ...es: (Expr | undefined)[]): void {
  for (const e of es) if (e) forEachColumn(e, (c) => into.add(c.index));
}

function aggUses(into: Set<number>, aggs: readonly AggCall[]): void {
  for (const a of aggs) uses(into, ...a.args, a.filter);
}

function remapAgg(a: AggCall, map: readonly number[]): AggCall {
  return {
    ...a,
    args: a.args.map((x) => remap(x, map)),
    ...(a.filter ? { filter: remap(a.filter, map) } : {}),
  };
}

function remapWindow(w: WindowSpec, map: readonly number[]): WindowSpec {
  return {
    ...w,
    timeColumn: col(map, w.timeColumn),
    ...(w.partitionBy ? { partitionBy: w.partitionBy.map((c) => col(map, c)) } : {}),
    ...(w.attached ? { attached: { start: col(map, w.attached.start), end: col(map, w.attached.end) } } : {}),
  };
}

function remapSort(keys: readonly SortKey[], map: readonly number[]): SortKey[] {
  return keys.map((k) => ({ ...k, column: col(map, k.column) }));
}

function all(n: LogicalNode): Set<number> {
  return new Set(identity(n.schema.fields.length));
}

/** Prunes a plan whose every output column is needed. */
export function pruneColumns(root: LogicalNode): LogicalNode {
  return prune(root, all(root)).node;
}

function prune(n: LogicalNode, needed: Set<number>): Pruned {
  switch (n.kind) {
    case 'Scan': {
      const keep = n.columns.filter((_, i) => needed.has(i));
      const map = n.columns.map((_, i) => (needed.has(i) ? keep.indexOf(n.columns[i]!) : -1));
      const fields = n.schema.fields.filter((_, i) => needed.has(i));
      const uniqueKey = n.uniqueKey?.every((k) => needed.has(k))
        ? n.uniqueKey.map((k) => map[k]!)
        : undefined;
      const { uniqueKey: _u, ...rest } = n;
      const scan: Scan = { ...rest, columns: keep, schema: { fields }, ...(uniqueKey ? { uniqueKey } : {}) };
      return { node: scan, map };
    }
    case 'Values':
      return { node: n, map: identity(n.schema.fields.length) };
    case 'Filter': {
      const want = new Set(needed);
      uses(want, n.predicate);
      const child = prune(n.input, want);
      return { node: mkFilter(child.node, remap(n.predicate, child.map), n.span), map: child.map };
    }
    case 'Project': {
      const kept = n.exprs.map((_, i) => i).filter((i) => needed.has(i));
      const want = new Set<number>();
      uses(want, ...kept.map((i) => n.exprs[i]!));
      const child = prune(n.input, want);
      const map = n.exprs.map((_, i) => kept.indexOf(i));
      const node = mkProject(
        child.node,
        kept.map((i) => remap(n.exprs[i]!, child.map)),
        kept.map((i) => n.names[i]!),
        n.span,
      );
      return { node, map };
    }
    case 'WindowTvf': {
      const k = n.input.schema.fields.length;
      const want = new Set([...needed].filter((i) => i < k));
      want.add(n.window.timeColumn);
      for (const p of n.window.partitionBy ?? []) want.add(p);
      const child = prune(n.input, want);
      const m = child.node.schema.fields.length;
      const node = mkWindowTvf(child.node, remapWindow(n.window, child.map), n.span);
      return { node, map: [...child.map, m, m + 1, m + 2] };
    }
    case 'WindowAggregate': {
      const want = new Set<number>([n.window.timeColumn, ...(n.window.partitionBy ?? [])]);
      if (n.window.attached) want.add(n.window.attached.start).add(n.window.attached.end);
      // LATE INTO writes the late input rows whole: keep every input column.
      if (n.lateInto) for (let i = 0; i < n.input.schema.fields.length; i++) want.add(i);
      uses(want, ...n.groupKeys);
      aggUses(want, n.aggs);
      const child = prune(n.input, want);
      const node = mkWindowAggregate(
        child.node,
        remapWindow(n.window, child.map),
        n.groupKeys.map((g) => remap(g, child.map)),
        n.schema.fields.slice(0, n.groupKeys.length).map((f) => f.name),
        n.aggs.map((a) => remapAgg(a, child.map)),
        n.emit,
        n.lateInto,
        n.span,
      );
      return { node, map: identity(n.schema.fields.length) };
    }
    case 'Aggregate': {
      const want = new Set<number>();
      uses(want, ...n.groupKeys);
      aggUses(want, n.aggs);
      const child = prune(n.input, want);
      const node = {
        ...n,
        input: child.node,
        groupKeys: n.groupKeys.map((g) => remap(g, child.map)),
        aggs: n.aggs.map((a) => remapAgg(a, child.map)),
      };
      return { node, map: identity(n.schema.fields.length) };
    }
    case 'Union': {
      // inputs stay aligned column for column: each keeps all its outputs (pruning continues below)
      const inputs = n.inputs.map((i) => prune(i, all(i)).node);
      return { node: mkUnion(inputs, n.span), map: identity(n.schema.fields.length) };
    }
    case 'Join': {
      const k = n.left.schema.fields.length;
      const want = new Set(needed);
      uses(want, n.condition, n.residual);
      for (const [l, r] of n.equiKeys) want.add(l).add(k + r);
      if (n.window)
        want
          .add(n.window.leftStart)
          .add(n.window.leftEnd)
          .add(k + n.window.rightStart)
          .add(k + n.window.rightEnd);
      if (n.interval) want.add(n.interval.leftTime).add(k + n.interval.rightTime);
      const left = prune(n.left, new Set([...want].filter((i) => i < k)));
      const right = prune(n.right, new Set([...want].filter((i) => i >= k).map((i) => i - k)));
      const lm = left.node.schema.fields.length;
      const map = [...left.map, ...right.map.map((j) => (j < 0 ? -1 : j + lm))];
      const node = mkJoin(
        n.joinKind,
        left.node,
        right.node,
        n.condition ? remap(n.condition, map) : undefined,
        {
          variant: n.variant,
          equiKeys: n.equiKeys.map(([l, r]) => [col(left.map, l), col(right.map, r)] as const),
          ...(n.residual ? { residual: remap(n.residual, map) } : {}),
          ...(n.temporal ? { temporal: true } : {}),
          ...(n.window
            ? {
                window: {
                  leftStart: col(left.map, n.window.leftStart),
                  leftEnd: col(left.map, n.window.leftEnd),
                  rightStart: col(right.map, n.window.rightStart),
                  rightEnd: col(right.map, n.window.rightEnd),
                },
              }
            : {}),
          ...(n.interval
            ? {
                interval: {
                  ...n.interval,
                  leftTime: col(left.map, n.interval.leftTime),
                  rightTime: col(right.map, n.interval.rightTime),
                },
              }
            : {}),
        },
        n.span,
      );
      return { node, map };
    }
    case 'TopN':
    case 'Deduplicate': {
      const k = n.input.schema.fields.length;
      const want = new Set([...needed].filter((i) => i < k));
      for (const p of n.partitionBy) want.add(p);
      if (n.kind === 'TopN') for (const o of n.orderBy) want.add(o.column);
      else want.add(n.timeColumn);
      const child = prune(n.input, want);
      const m = child.node.schema.fields.length;
      // the rank column is only produced when something reads it
      const rn = n.rowNumberColumn !== undefined && needed.has(k) ? n.rowNumberColumn : undefined;
      const map = n.rowNumberColumn ? [...child.map, rn ? m : -1] : [...child.map];
      const partitionBy = n.partitionBy.map((c) => col(child.map, c));
      const node =
        n.kind === 'TopN'
          ? mkTopN(child.node, partitionBy, remapSort(n.orderBy, child.map), n.limit, rn, n.windowed, n.span)
          : mkDeduplicate(child.node, partitionBy, col(child.map, n.timeColumn), n.keep, rn, n.span);
      return { node, map };
    }
    case 'OverAggregate': {
      const k = n.input.schema.fields.length;
      const want = new Set([...needed].filter((i) => i < k));
      for (const p of n.partitionBy) want.add(p);
      for (const o of n.orderBy) want.add(o.column);
      aggUses(want, n.aggs);
      const child = prune(n.input, want);
      const m = child.node.schema.fields.length;
      const node = mkOverAggregate(
        child.node,
        n.partitionBy.map((c) => col(child.map, c)),
        remapSort(n.orderBy, child.map),
        n.frame,
        n.aggs.map((a) => remapAgg(a, child.map)),
        n.span,
      );
      return { node, map: [...child.map, ...n.aggs.map((_, i) => m + i)] };
    }
    case 'Unnest': {
      const k = n.input.schema.fields.length;
      const want = new Set([...needed].filter((i) => i < k));
      uses(want, n.expr);
      const child = prune(n.input, want);
      const node = mkUnnest(child.node, remap(n.expr, child.map), n.name, n.span);
      return { node, map: [...child.map, child.node.schema.fields.length] };
    }
    case 'Distinct': {
      const child = prune(n.input, all(n.input));
      return { node: { ...n, input: child.node }, map: identity(n.schema.fields.length) };
    }
    case 'Limit': {
      const child = prune(n.input, needed);
      return { node: { ...n, input: child.node, schema: child.node.schema }, map: child.map };
    }
    default:
      return assertNever(n);
  }
}
