import type { Span } from '../diagnostics.ts';
import { BIGINT, type Field, type Schema, TIMESTAMP3 } from '../types.ts';
import type { AggCall, Expr } from './expr.ts';
import type {
  Aggregate,
  Changelog,
  Deduplicate,
  Distinct,
  Filter,
  Join,
  Limit,
  LogicalNode,
  OverAggregate,
  Project,
  SortKey,
  TopN,
  Union,
  Unnest,
  WindowAggregate,
  WindowSpec,
  WindowTvf,
} from './logical.ts';

// Factories computing each node's schema, changelog mode and time attributes from its inputs.

function stripTime(f: Field): Field {
  if (!f.timeAttribute) return f;
  const { timeAttribute: _t, ...rest } = f;
  return rest;
}

function stripEventTime(f: Field): Field {
  return f.timeAttribute === 'event' ? stripTime(f) : f;
}

function nullableField(f: Field): Field {
  return f.nullable ? f : { ...f, nullable: true };
}

export function exprNullable(e: Expr, input: Schema): boolean {
  switch (e.kind) {
    case 'ColumnRef':
      return input.fields[e.index]?.nullable ?? true;
    case 'Literal':
      return e.value === null;
    case 'Call':
      if (
        [
          'IS_NULL',
          'IS_NOT_NULL',
          'IS_TRUE',
          'IS_FALSE',
          'IS_NOT_TRUE',
          'IS_NOT_FALSE',
          'PROCTIME',
          'NOW',
        ].includes(e.fn)
      )
        return false;
      if (
        [
          'REGEXP_EXTRACT',
          'SPLIT_INDEX',
          'ELEMENT_AT',
          'FIELD',
          'NULLIF',
          'TO_TIMESTAMP',
          '/',
          '%',
          'MOD',
        ].includes(e.fn)
      )
        return true;
      if (e.fn === 'COALESCE') return e.args.every((a) => exprNullable(a, input));
      return e.args.some((a) => exprNullable(a, input));
    case 'Case':
      return !e.else || e.whens.some((w) => exprNullable(w.result, input)) || exprNullable(e.else, input);
    case 'Cast':
      return exprNullable(e.expr, input) || (e.expr.type.kind === 'VARCHAR' && e.to.kind !== 'VARCHAR');
    default:
      return true;
  }
}

export function changelogOf(...inputs: LogicalNode[]): Changelog {
  return inputs.some((i) => i.changelog === 'updating') ? 'updating' : 'append';
}

export function mkFilter(input: LogicalNode, predicate: Expr, span: Span): Filter {
  return {
    kind: 'Filter',
    input,
    predicate,
    schema: input.schema,
    changelog: input.changelog,
    ...(input.uniqueKey ? { uniqueKey: input.uniqueKey } : {}),
    span,
  };
}

export function mkProject(
  input: LogicalNode,
  exprs: readonly Expr[],
  names: readonly string[],
  span: Span,
): Project {
  const fields: Field[] = exprs.map((e, i) => {
    const name = names[i] ?? `EXPR$${i}`;
    const nullable = exprNullable(e, input.schema);
    if (e.kind === 'ColumnRef') {
      const src = input.schema.fields[e.index];
      return src?.timeAttribute
        ? { name, type: e.type, nullable, timeAttribute: src.timeAttribute }
        : { name, type: e.type, nullable };
    }
    if (e.kind === 'Call' && e.fn === 'PROCTIME')
      return { name, type: e.type, nullable: false, timeAttribute: 'proctime' };
    return { name, type: e.type, nullable };
  });
  let uniqueKey: number[] | undefined;
  if (input.uniqueKey) {
    const mapped = input.uniqueKey.map((k) =>
      exprs.findIndex((e) => e.kind === 'ColumnRef' && e.index === k),
    );
    if (mapped.every((m) => m >= 0)) uniqueKey = mapped;
  }
  return {
    kind: 'Project',
    input,
    exprs,
    names: fields.map((f) => f.name),
    schema: { fields },
    changelog: input.changelog,
    ...(uniqueKey ? { uniqueKey } : {}),
    span,
  };
}

export function windowColumns(time: Field): Field[] {
  return [
    { name: 'window_start', type: TIMESTAMP3, nullable: false },
    { name: 'window_end', type: TIMESTAMP3, nullable: false },
    {
      name: 'window_time',
      type: time.type.kind === 'TIMESTAMP' ? time.type : TIMESTAMP3,
      nullable: false,
      ...(time.timeAttribute ? { timeAttribute: time.timeAttribute } : {}),
    },
  ];
}

export function mkWindowTvf(input: LogicalNode, window: WindowSpec, span: Span): WindowTvf {
  const time = input.schema.fields[window.timeColumn]!;
  return {
    kind: 'WindowTvf',
    input,
    window,
    schema: { fields: [...input.schema.fields, ...windowColumns(time)] },
    changelog: input.changelog,
    span,
  };
}

export function mkWindowAggregate(
  input: LogicalNode,
  window: WindowSpec,
  groupKeys: readonly Expr[],
  keyNames: readonly string[],
  aggs: readonly AggCall[],
  emit: 'final' | 'changes',
  lateInto: string | undefined,
  span: Span,
): WindowAggregate {
  const time = input.schema.fields[window.timeColumn]!;
  const fields: Field[] = [
    ...groupKeys.map((k, i) => ({
      name: keyNames[i] ?? `key${i}`,
      type: k.type,
      nullable: exprNullable(k, input.schema),
    })),
    ...windowColumns(time),
    ...aggs.map((a) => ({ name: a.name, type: a.type, nullable: a.fn !== 'COUNT' })),
  ];
  const n = groupKeys.length;
  return {
    kind: 'WindowAggregate',
    input,
    window,
    groupKeys,
    aggs,
    emit,
    ...(lateInto ? { lateInto } : {}),
    schema: { fields },
    changelog: emit === 'changes' ? 'updating' : 'append',
    uniqueKey: [...groupKeys.map((_, i) => i), n, n + 1],
    span,
  };
}

export function mkAggregate(
  input: LogicalNode,
  groupKeys: readonly Expr[],
  keyNames: readonly string[],
  aggs: readonly AggCall[],
  span: Span,
): Aggregate {
  const fields: Field[] = [
    ...groupKeys.map((k, i) => ({
      name: keyNames[i] ?? `key${i}`,
      type: k.type,
      nullable: exprNullable(k, input.schema),
    })),
    ...aggs.map((a) => ({ name: a.name, type: a.type, nullable: a.fn !== 'COUNT' })),
  ];
  return {
    kind: 'Aggregate',
    input,
    groupKeys,
    aggs,
    schema: { fields },
    changelog: 'updating',
    uniqueKey: groupKeys.map((_, i) => i),
    span,
  };
}

export function mkUnion(inputs: readonly LogicalNode[], span: Span): Union {
  const first = inputs[0]!;
  const fields = first.schema.fields.map((f, i) => {
    const all = inputs.map((n) => n.schema.fields[i]!);
    const nullable = all.some((g) => g.nullable);
    const attr = all.every((g) => g.timeAttribute === f.timeAttribute) ? f.timeAttribute : undefined;
    return attr ? { ...f, nullable, timeAttribute: attr } : { ...stripTime(f), nullable };
  });
  return { kind: 'Union', inputs, schema: { fields }, changelog: changelogOf(...inputs), span };
}

export function mkJoin(
  joinKind: Join['joinKind'],
  left: LogicalNode,
  right: LogicalNode,
  condition: Expr | undefined,
  extra: Pick<Join, 'equiKeys' | 'variant'> &
    Partial<Pick<Join, 'residual' | 'window' | 'interval' | 'temporal'>>,
  span: Span,
): Join {
  const keepTime = extra.variant !== 'regular' || extra.temporal === true;
  let lf = left.schema.fields.map((f) => (keepTime ? f : stripEventTime(f)));
  let rf = right.schema.fields.map((f) => (keepTime && !extra.temporal ? f : stripEventTime(f)));
  if (joinKind === 'right' || joinKind === 'full') lf = lf.map(nullableField);
  if (joinKind === 'left' || joinKind === 'full') rf = rf.map(nullableField);
  const appendOnly =
    left.changelog === 'append' &&
    (right.changelog === 'append' || extra.temporal === true) &&
    (joinKind === 'inner' ||
      extra.variant === 'window' ||
      extra.variant === 'interval' ||
      extra.temporal === true);
  return {
    kind: 'Join',
    joinKind,
    left,
    right,
    ...(condition ? { condition } : {}),
    ...extra,
    schema: { fields: [...lf, ...rf] },
    changelog: appendOnly ? 'append' : 'updating',
    span,
  };
}

export function mkTopN(
  input: LogicalNode,
  partitionBy: readonly number[],
  orderBy: readonly SortKey[],
  limit: number,
  rowNumberColumn: string | undefined,
  windowed: boolean,
  span: Span,
): TopN {
  const fields = input.schema.fields.map((f) => (windowed ? f : stripEventTime(f)));
  if (rowNumberColumn) fields.push({ name: rowNumberColumn, type: BIGINT, nullable: false });
  const n = input.schema.fields.length;
  return {
    kind: 'TopN',
    input,
    partitionBy,
    orderBy,
    limit,
    ...(rowNumberColumn ? { rowNumberColumn } : {}),
    windowed,
    schema: { fields },
    changelog: windowed && input.changelog === 'append' ? 'append' : 'updating',
    uniqueKey: rowNumberColumn ? [...partitionBy, n] : [...partitionBy],
    span,
  };
}

export function mkDeduplicate(
  input: LogicalNode,
  partitionBy: readonly number[],
  timeColumn: number,
  keep: 'first' | 'last',
  rowNumberColumn: string | undefined,
  span: Span,
): Deduplicate {
  const fields = input.schema.fields.map((f) => (keep === 'first' ? f : stripEventTime(f)));
  if (rowNumberColumn) fields.push({ name: rowNumberColumn, type: BIGINT, nullable: false });
  return {
    kind: 'Deduplicate',
    input,
    partitionBy,
    timeColumn,
    keep,
    ...(rowNumberColumn ? { rowNumberColumn } : {}),
    schema: { fields },
    changelog: keep === 'first' && input.changelog === 'append' ? 'append' : 'updating',
    uniqueKey: [...partitionBy],
    span,
  };
}

export function mkOverAggregate(
  input: LogicalNode,
  partitionBy: readonly number[],
  orderBy: readonly SortKey[],
  frame: OverAggregate['frame'],
  aggs: readonly AggCall[],
  span: Span,
): OverAggregate {
  return {
    kind: 'OverAggregate',
    input,
    partitionBy,
    orderBy,
    frame,
    aggs,
    schema: {
      fields: [
        ...input.schema.fields,
        ...aggs.map((a) => ({
          name: a.name,
          type: a.type,
          nullable: a.fn !== 'COUNT' && a.fn !== 'ROW_NUMBER' && a.fn !== 'RANK' && a.fn !== 'DENSE_RANK',
        })),
      ],
    },
    changelog: input.changelog,
    span,
  };
}

export function mkUnnest(input: LogicalNode, expr: Expr, name: string, span: Span): Unnest {
  const element = expr.type.kind === 'ARRAY' ? expr.type.element : expr.type;
  return {
    kind: 'Unnest',
    input,
    expr,
    name,
    schema: { fields: [...input.schema.fields, { name, type: element, nullable: true }] },
    changelog: input.changelog,
    span,
  };
}

export function mkDistinct(input: LogicalNode, span: Span): Distinct {
  return {
    kind: 'Distinct',
    input,
    schema: { fields: input.schema.fields.map(stripTime) },
    changelog: input.changelog,
    uniqueKey: input.schema.fields.map((_, i) => i),
    span,
  };
}

export function mkLimit(input: LogicalNode, limit: number, span: Span): Limit {
  return { kind: 'Limit', input, limit, schema: input.schema, changelog: input.changelog, span };
}

/** Replace the inputs of a node, recomputing nothing (used by rewrite rules that keep the input schema). */
export function withInput<N extends LogicalNode>(n: N, input: LogicalNode): N {
  return { ...n, input } as N;
}
