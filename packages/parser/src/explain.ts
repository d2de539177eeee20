import { type AggCall, assertNever, type Expr } from './plan/expr.ts';
import type { LogicalNode, SortKey, WindowSpec } from './plan/logical.ts';
import type { PlannedStatement, Program } from './plan/program.ts';
import { type Schema, schemaToString, typeToString } from './types.ts';

const INFIX = new Set(['+', '-', '*', '/', '%', '=', '<>', '<', '<=', '>', '>=', 'AND', 'OR', '||']);

function fmtMs(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [u, s] of units) if (ms !== 0 && ms % u === 0) return `${ms / u}${s}`;
  return `${ms}ms`;
}

/** Renders a bound expression; a column is `name#index` (index into the node's input). */
export function exprToString(e: Expr): string {
  switch (e.kind) {
    case 'ColumnRef':
      return `${e.name}#${e.index}`;
    case 'Literal':
      if (e.value === null) return 'NULL';
      if (e.type.kind === 'INTERVAL' && typeof e.value === 'number') return fmtMs(e.value);
      if (e.type.kind === 'TIMESTAMP' && typeof e.value === 'number')
        return `TIMESTAMP '${new Date(e.value).toISOString()}'`;
      if (typeof e.value === 'string') return `'${e.value.replace(/'/g, "''")}'`;
      return String(e.value);
    case 'Call': {
      const args = e.args.map(exprToString);
      if (INFIX.has(e.fn) && args.length === 2) return `(${args[0]} ${e.fn} ${args[1]})`;
      if (e.fn === 'NEG') return `-${args[0]}`;
      if (e.fn === 'NOT') return `NOT ${args[0]}`;
      if (e.fn === 'LIKE' || e.fn === 'NOT_LIKE') return `(${args[0]} ${e.fn.replace('_', ' ')} ${args[1]})`;
      if (e.fn.startsWith('IS_')) return `(${args[0]} ${e.fn.replace(/_/g, ' ')})`;
      if (e.fn === 'BETWEEN' || e.fn === 'NOT_BETWEEN')
        return `(${args[0]} ${e.fn.replace('_', ' ')} ${args[1]} AND ${args[2]})`;
      if (e.fn === 'IN' || e.fn === 'NOT_IN')
        return `(${args[0]} ${e.fn.replace('_', ' ')} (${args.slice(1).join(', ')}))`;
      return `${e.fn}(${args.join(', ')})`;
    }
    case 'Case':
      return `CASE${e.operand ? ` ${exprToString(e.operand)}` : ''}${e.whens
        .map((w) => ` WHEN ${exprToString(w.when)} THEN ${exprToString(w.result)}`)
        .join('')}${e.else ? ` ELSE ${exprToString(e.else)}` : ''} END`;
    case 'Cast':
      return `CAST(${exprToString(e.expr)} AS ${typeToString(e.to)})`;
    default:
      return assertNever(e);
  }
}

function aggToString(a: AggCall): string {
  const args = a.fn === 'COUNT' && a.args.length === 0 ? '*' : a.args.map(exprToString).join(', ');
  return `${a.name}=${a.fn}(${a.distinct ? 'DISTINCT ' : ''}${args})${a.filter ? ` FILTER (WHERE ${exprToString(a.filter)})` : ''}`;
}

function col(schema: Schema, i: number): string {
  return `${schema.fields[i]?.name ?? '?'}#${i}`;
}

function windowToString(w: WindowSpec, input: Schema): string {
  const parts = [`time=${col(input, w.timeColumn)}`];
  if (w.sizeMs !== undefined) parts.push(`size=${fmtMs(w.sizeMs)}`);
  if (w.slideMs !== undefined) parts.push(`slide=${fmtMs(w.slideMs)}`);
  if (w.stepMs !== undefined) parts.push(`step=${fmtMs(w.stepMs)}`);
  if (w.gapMs !== undefined) parts.push(`gap=${fmtMs(w.gapMs)}`);
  if (w.offsetMs) parts.push(`offset=${fmtMs(w.offsetMs)}`);
  if (w.attached) parts.push(`attached=[${col(input, w.attached.start)}, ${col(input, w.attached.end)}]`);
  if (w.partitionBy?.length)
    parts.push(`partitionBy=[${w.partitionBy.map((c) => col(input, c)).join(', ')}]`);
  return `${w.kind}(${parts.join(', ')})`;
}

function sortToString(keys: readonly SortKey[], input: Schema): string {
  return keys.map((k) => `${col(input, k.column)} ${k.direction.toUpperCase()}`).join(', ');
}

function describe(n: LogicalNode): string {
  switch (n.kind) {
    case 'Scan':
      return `Scan ${n.source} columns=[${n.columns.join(', ')}]`;
    case 'Values':
      return `Values rows=${n.rows.length}`;
    case 'Filter':
      return `Filter ${exprToString(n.predicate)}`;
    case 'Project':
      return `Project ${n.exprs.map((e, i) => `${n.names[i]}=${exprToString(e)}`).join(', ')}`;
    case 'WindowTvf':
      return `WindowTvf ${windowToString(n.window, n.input.schema)}`;
    case 'WindowAggregate':
      return `WindowAggregate ${windowToString(n.window, n.input.schema)} keys=[${n.groupKeys.map(exprToString).join(', ')}] aggs=[${n.aggs.map(aggToString).join(', ')}] emit=${n.emit}${n.lateInto ? ` lateInto=${n.lateInto}` : ''}`;
    case 'Aggregate':
      return `Aggregate keys=[${n.groupKeys.map(exprToString).join(', ')}] aggs=[${n.aggs.map(aggToString).join(', ')}]`;
    case 'Union':
      return `Union all inputs=${n.inputs.length}`;
    case 'Join': {
      const parts = [`${n.joinKind}`, `variant=${n.variant}${n.temporal ? ' (lookup)' : ''}`];
      if (n.equiKeys.length)
        parts.push(
          `keys=[${n.equiKeys.map(([l, r]) => `${col(n.left.schema, l)}=${col(n.right.schema, r)}`).join(', ')}]`,
        );
      if (n.window)
        parts.push(
          `window=[${col(n.left.schema, n.window.leftStart)}=${col(n.right.schema, n.window.rightStart)}, ${col(n.left.schema, n.window.leftEnd)}=${col(n.right.schema, n.window.rightEnd)}]`,
        );
      if (n.interval)
        parts.push(
          `interval=${col(n.right.schema, n.interval.rightTime)} in [${col(n.left.schema, n.interval.leftTime)} + ${fmtMs(n.interval.lowerMs)}, + ${fmtMs(n.interval.upperMs)}]`,
        );
      if (n.residual) parts.push(`residual=${exprToString(n.residual)}`);
      return `Join ${parts.join(' ')}`;
    }
    case 'TopN':
      return `TopN partitionBy=[${n.partitionBy.map((c) => col(n.input.schema, c)).join(', ')}] orderBy=[${sortToString(n.orderBy, n.input.schema)}] limit=${n.limit}${n.rowNumberColumn ? ` rowNumber=${n.rowNumberColumn}` : ''}${n.windowed ? ' windowed' : ''}`;
    case 'Deduplicate':
      return `Deduplicate partitionBy=[${n.partitionBy.map((c) => col(n.input.schema, c)).join(', ')}] time=${col(n.input.schema, n.timeColumn)} keep=${n.keep}${n.rowNumberColumn ? ` rowNumber=${n.rowNumberColumn}` : ''}`;
    case 'OverAggregate': {
      const lowerBound = n.frame.lower;
      const frame = `${n.frame.mode} ${lowerBound.kind === 'unbounded' ? 'UNBOUNDED PRECEDING' : lowerBound.kind === 'current' ? 'CURRENT ROW' : `${n.frame.mode === 'RANGE' ? fmtMs(lowerBound.amount) : lowerBound.amount} PRECEDING`}`;
      return `OverAggregate partitionBy=[${n.partitionBy.map((c) => col(n.input.schema, c)).join(', ')}] orderBy=[${sortToString(n.orderBy, n.input.schema)}] frame=${frame} aggs=[${n.aggs.map(aggToString).join(', ')}]`;
    }
    case 'Unnest':
      return `Unnest ${n.name}=${exprToString(n.expr)}`;
    case 'Distinct':
      return 'Distinct';
    case 'Limit':
      return `Limit ${n.limit}`;
    default:
      return assertNever(n);
  }
}

function inputs(n: LogicalNode): readonly LogicalNode[] {
  switch (n.kind) {
    case 'Scan':
    case 'Values':
      return [];
    case 'Union':
      return n.inputs;
    case 'Join':
      return [n.left, n.right];
    default:
      return [n.input];
  }
}

/** Renders a logical plan as an indented tree: one line per node, then its changelog mode and schema. */
export function explainNode(n: LogicalNode, indent = ''): string {
  const lines = [
    `${indent}${describe(n)}`,
    `${indent}  : ${n.changelog}${n.uniqueKey ? ` key=[${n.uniqueKey.join(', ')}]` : ''} ${schemaToString(n.schema)}`,
  ];
  for (const i of inputs(n)) lines.push(explainNode(i, `${indent}  `));
  return lines.join('\n');
}

function explainStatement(s: PlannedStatement): string {
  switch (s.kind) {
    case 'Insert':
      return `INSERT INTO ${s.sink}\n${explainNode(s.plan, '  ')}`;
    case 'Select':
      return `SELECT\n${explainNode(s.plan, '  ')}`;
    case 'Explain':
      return `EXPLAIN ${explainStatement(s.target)}`;
    default:
      return assertNever(s);
  }
}

/**
 * A stable, readable text of a program: its sources (schema, watermark), sinks and each statement's plan
 * tree with changelog modes, unique keys and time attributes (`*ROWTIME*`, `*PROCTIME*` in schemas).
 *
 * ```
 * SOURCE searches [term VARCHAR, user_id BIGINT, ip VARCHAR, ts TIMESTAMP(3) *ROWTIME*] watermark=(ts#3 - 0ms)
 * INSERT INTO region_counts
 *   Project region=…, window_start=window_start#1, …
 *     : append [region INT, …]
 *     WindowAggregate TUMBLE(time=ts#3, size=500ms) keys=[…] aggs=[n=COUNT(*)] emit=final
 * ```
 */
export function explain(program: Program): string {
  const out: string[] = [];
  for (const s of program.sources)
    out.push(
      `SOURCE ${s.name} ${schemaToString(s.schema)}${s.watermark ? ` watermark=${exprToString(s.watermark.expr)}` : ''}${s.changelog === 'updating' ? ' updating' : ''}`,
    );
  for (const s of program.sinks)
    out.push(
      `SINK ${s.name}${s.columns ? ` ${schemaToString({ fields: s.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })) })}` : ''}`,
    );
  for (const s of program.statements) out.push(explainStatement(s));
  return out.join('\n');
}
