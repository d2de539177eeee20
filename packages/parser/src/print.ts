import type { AstExpr, AstFrameBound, OrderItem, OverSpec } from './ast/expr.ts';
import type { Query, QueryBody, Relation, SelectCore, SelectItem, TvfArg } from './ast/query.ts';
import type { ColumnAst, Statement } from './ast/statement.ts';
import { isKeyword } from './lexer/tokens.ts';
import { assertNever } from './plan/expr.ts';
import type { DataType } from './types.ts';

// SQL text from an AST: every compound expression is parenthesised and every identifier that could be read
// as a keyword is quoted, so `parse(print(ast))` gives back the same AST (spans aside).

export function ident(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) && !isKeyword(name)
    ? name
    : '`' + name.replace(/`/g, '``') + '`';
}

function str(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function typeSql(t: DataType): string {
  switch (t.kind) {
    case 'DECIMAL':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'TIMESTAMP':
      return `${t.ltz ? 'TIMESTAMP_LTZ' : 'TIMESTAMP'}(${t.precision})`;
    case 'ARRAY':
      return `ARRAY<${typeSql(t.element)}>`;
    case 'ROW':
      return `ROW<${t.fields.map((f) => `${ident(f.name)} ${typeSql(f.type)}${f.nullable ? '' : ' NOT NULL'}`).join(', ')}>`;
    case 'NULL':
      return 'VARCHAR';
    default:
      return t.kind;
  }
}

function frameBound(b: AstFrameBound): string {
  switch (b.kind) {
    case 'unbounded_preceding':
      return 'UNBOUNDED PRECEDING';
    case 'unbounded_following':
      return 'UNBOUNDED FOLLOWING';
    case 'current':
      return 'CURRENT ROW';
    case 'preceding':
      return `${expr(b.amount)} PRECEDING`;
    case 'following':
      return `${expr(b.amount)} FOLLOWING`;
    default:
      return assertNever(b);
  }
}

function orderItems(items: readonly OrderItem[]): string {
  return items
    .map((o) => `${expr(o.expr)}${o.direction ? ` ${o.direction}` : ''}${o.nulls ? ` NULLS ${o.nulls}` : ''}`)
    .join(', ');
}

function over(o: OverSpec): string {
  const parts: string[] = [];
  if (o.partitionBy.length) parts.push(`PARTITION BY ${o.partitionBy.map(expr).join(', ')}`);
  if (o.orderBy.length) parts.push(`ORDER BY ${orderItems(o.orderBy)}`);
  if (o.frame)
    parts.push(
      o.frame.upper
        ? `${o.frame.mode} BETWEEN ${frameBound(o.frame.lower)} AND ${frameBound(o.frame.upper)}`
        : `${o.frame.mode} ${frameBound(o.frame.lower)}`,
    );
  return `OVER (${parts.join(' ')})`;
}

/** SQL text of an expression, fully parenthesised. */
export function expr(e: AstExpr): string {
  switch (e.kind) {
    case 'Identifier':
      return e.parts.map(ident).join('.');
    case 'NumberLit':
      return e.text;
    case 'StringLit':
      return str(e.value);
    case 'BoolLit':
      return e.value ? 'TRUE' : 'FALSE';
    case 'NullLit':
      return 'NULL';
    case 'IntervalLit':
      return `INTERVAL ${e.negative ? '-' : ''}${str(e.value)}${e.unit ? ` ${e.unit}` : ''}${e.toUnit ? ` TO ${e.toUnit}` : ''}`;
    case 'TypedLit':
      return `${e.type} ${str(e.value)}`;
    case 'Unary':
      return `(${e.op} ${expr(e.operand)})`;
    case 'Binary':
      return `(${expr(e.left)} ${e.op} ${expr(e.right)})`;
    case 'FuncCall': {
      const args = e.star ? '*' : `${e.distinct ? 'DISTINCT ' : ''}${e.args.map(expr).join(', ')}`;
      const name = e.name === 'UNNEST' ? 'UNNEST' : ident(e.name);
      let s = `${name}(${args})`;
      if (e.filter) s += ` FILTER (WHERE ${expr(e.filter)})`;
      if (e.withinGroup) s += ` WITHIN GROUP (ORDER BY ${orderItems(e.withinGroup)})`;
      if (e.over) s += ` ${over(e.over)}`;
      return s;
    }
    case 'CaseExpr':
      return `CASE${e.operand ? ` ${expr(e.operand)}` : ''}${e.whens
        .map((w) => ` WHEN ${expr(w.when)} THEN ${expr(w.result)}`)
        .join('')}${e.else ? ` ELSE ${expr(e.else)}` : ''} END`;
    case 'CastExpr':
      return `${e.try ? 'TRY_CAST' : 'CAST'}(${expr(e.expr)} AS ${typeSql(e.type)})`;
    case 'InExpr':
      return `(${expr(e.expr)}${e.not ? ' NOT' : ''} IN (${e.list.map(expr).join(', ')}))`;
    case 'BetweenExpr':
      return `(${expr(e.expr)}${e.not ? ' NOT' : ''} BETWEEN ${expr(e.low)} AND ${expr(e.high)})`;
    case 'LikeExpr':
      return `(${expr(e.expr)}${e.not ? ' NOT' : ''} LIKE ${expr(e.pattern)})`;
    case 'IsExpr':
      return `(${expr(e.expr)} IS${e.not ? ' NOT' : ''} ${e.what})`;
    case 'ExtractExpr':
      return `EXTRACT(${ident(e.unit)} FROM ${expr(e.expr)})`;
    case 'TimeUnitCall':
      // parenthesised: an INTERVAL '1' DAY operand would otherwise take the TO for itself
      return `${e.fn}((${expr(e.expr)}) TO ${ident(e.unit)})`;
    case 'Subscript':
      return `(${expr(e.expr)})[${expr(e.index)}]`;
    case 'FieldAccess':
      return `(${expr(e.expr)}).${ident(e.field)}`;
    case 'ArrayCtor':
      return `ARRAY[${e.items.map(expr).join(', ')}]`;
    case 'ScalarSubquery':
      return `(${query(e.query)})`;
    default:
      return assertNever(e);
  }
}

function alias(a: string | undefined): string {
  return a === undefined ? '' : ` AS ${ident(a)}`;
}

function tvfArg(a: TvfArg): string {
  const v = a.value;
  const value =
    v.kind === 'TableArg'
      ? `TABLE ${ident(v.name)}${v.partitionBy.length ? ` PARTITION BY ${v.partitionBy.map(ident).join(', ')}` : ''}`
      : v.kind === 'DescriptorArg'
        ? `DESCRIPTOR(${v.columns.map(ident).join(', ')})`
        : expr(v.expr);
  return a.name === undefined ? value : `${ident(a.name)} => ${value}`;
}

function relation(r: Relation): string {
  switch (r.kind) {
    case 'TableRef':
      return `${ident(r.name)}${r.asOf ? ` FOR SYSTEM_TIME AS OF ${expr(r.asOf)}` : ''}${alias(r.alias)}`;
    case 'SubqueryRef':
      return `(${query(r.query)})${alias(r.alias)}`;
    case 'TvfRef':
      return `TABLE(${ident(r.fn)}(${r.args.map(tvfArg).join(', ')}))${alias(r.alias)}`;
    case 'UnnestRef':
      return `UNNEST(${expr(r.expr)})${r.alias !== undefined ? ` AS ${ident(r.alias)}${r.column !== undefined ? `(${ident(r.column)})` : ''}` : ''}`;
    case 'JoinRef': {
      const kw = {
        inner: 'JOIN',
        left: 'LEFT JOIN',
        right: 'RIGHT JOIN',
        full: 'FULL JOIN',
        cross: 'CROSS JOIN',
      }[r.joinKind];
      return `${relation(r.left)} ${kw} ${relation(r.right)}${r.on ? ` ON ${expr(r.on)}` : ''}`;
    }
    default:
      return assertNever(r);
  }
}

function selectItem(i: SelectItem): string {
  return i.kind === 'Star'
    ? i.qualifier !== undefined
      ? `${ident(i.qualifier)}.*`
      : '*'
    : `${expr(i.expr)}${alias(i.alias)}`;
}

function select(s: SelectCore): string {
  let out = `SELECT ${s.distinct ? 'DISTINCT ' : ''}${s.items.map(selectItem).join(', ')}`;
  if (s.from) out += ` FROM ${relation(s.from)}`;
  if (s.where) out += ` WHERE ${expr(s.where)}`;
  if (s.groupBy.length) out += ` GROUP BY ${s.groupBy.map(expr).join(', ')}`;
  if (s.having) out += ` HAVING ${expr(s.having)}`;
  if (s.emit) out += ` EMIT ${s.emit}`;
  if (s.lateInto !== undefined) out += ` LATE INTO ${ident(s.lateInto)}`;
  return out;
}

function body(b: QueryBody, operand: boolean): string {
  switch (b.kind) {
    case 'SelectCore':
      return select(b);
    case 'Query':
      return `(${query(b)})`;
    case 'UnionAll':
      return `${body(b.left, true)} UNION${b.all ? ' ALL' : ''} ${body(b.right, true)}`;
    case 'ValuesBody':
      return `VALUES ${b.rows.map((r) => `(${r.map(expr).join(', ')})`).join(', ')}`;
    default:
      void operand;
      return assertNever(b);
  }
}

/** SQL text of a query. */
export function query(q: Query): string {
  let out = '';
  if (q.ctes.length)
    out += `WITH ${q.ctes.map((c) => `${ident(c.name)} AS (${query(c.query)})`).join(', ')} `;
  out += body(q.body, false);
  if (q.orderBy.length) out += ` ORDER BY ${orderItems(q.orderBy)}`;
  if (q.limit !== undefined) out += ` LIMIT ${q.limit}`;
  return out;
}

function column(c: ColumnAst): string {
  return c.kind === 'PhysicalColumn'
    ? `${ident(c.name)} ${typeSql(c.type)}${c.notNull ? ' NOT NULL' : ''}`
    : `${ident(c.name)} AS ${expr(c.expr)}`;
}

function options(opts: readonly { key: string; value: string }[]): string {
  return opts.length ? ` WITH (${opts.map((o) => `${str(o.key)} = ${str(o.value)}`).join(', ')})` : '';
}

/**
 * SQL text that parses back to the same statement (spans aside):
 *
 * ```ts
 * print(parse("select a+1 x from t").statements[0])   // "SELECT (a + 1) AS x FROM t"
 * ```
 */
export function print(s: Statement): string {
  switch (s.kind) {
    case 'CreateSource': {
      const items = s.columns.map(column);
      if (s.watermark)
        items.push(
          `WATERMARK FOR ${ident(s.watermark.column)}${s.watermark.expr ? ` AS ${expr(s.watermark.expr)}` : ''}`,
        );
      if (s.primaryKey) items.push(`PRIMARY KEY (${s.primaryKey.map(ident).join(', ')}) NOT ENFORCED`);
      const cols = s.typeless ? '' : ` (${items.join(', ')})`;
      const part = s.partitionedBy ? ` PARTITIONED BY (${s.partitionedBy.map(ident).join(', ')})` : '';
      return `CREATE ${s.keyword} ${ident(s.name)}${cols}${part}${options(s.options)}`;
    }
    case 'CreateSink': {
      const items = s.columns?.map(column) ?? [];
      if (s.primaryKey) items.push(`PRIMARY KEY (${s.primaryKey.map(ident).join(', ')}) NOT ENFORCED`);
      const part = s.partitionedBy ? ` PARTITIONED BY (${s.partitionedBy.map(ident).join(', ')})` : '';
      return `CREATE SINK ${ident(s.name)}${s.columns ? ` (${items.join(', ')})` : ''}${part}${options(s.options)}`;
    }
    case 'CreateView':
      return `CREATE VIEW ${ident(s.name)} AS ${query(s.query)}`;
    case 'CreateFunction': {
      const sig = s.params
        ? ` (${s.params.map((p) => `${ident(p.name)} ${typeSql(p.type)}`).join(', ')}) RETURNS ${typeSql(s.returns!)}`
        : '';
      return `CREATE ${s.aggregate ? 'AGGREGATE ' : ''}FUNCTION ${ident(s.name)}${sig} FROM ${str(s.path)}`;
    }
    case 'Insert':
      return `INSERT INTO ${ident(s.sink)}${s.columns ? ` (${s.columns.map(ident).join(', ')})` : ''} ${query(s.query)}`;
    case 'QueryStmt':
      return query(s.query);
    case 'Explain':
      return `EXPLAIN ${print(s.target)}`;
    case 'Set':
      return `SET ${str(s.key)} = ${str(s.value)}`;
    default:
      return assertNever(s);
  }
}
