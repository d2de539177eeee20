import type { AstExpr, FuncCall, Identifier } from '../ast/expr.ts';
import type { Query, QueryBody, Relation, SelectCore, TvfRef } from '../ast/query.ts';
import type { ColumnAst, CreateSource, OptionAst, Statement } from '../ast/statement.ts';
import { type Diagnostic, didYouMean, type Span } from '../diagnostics.ts';
import {
  mkAggregate,
  mkDistinct,
  mkFilter,
  mkJoin,
  mkLimit,
  mkOverAggregate,
  mkProject,
  mkTopN,
  mkUnion,
  mkUnnest,
  mkWindowAggregate,
  mkWindowTvf,
} from '../plan/build.ts';
import {
  type AggCall,
  type ColumnRef,
  columnsOf,
  type Expr,
  exprKey,
  literal,
  mapColumns,
} from '../plan/expr.ts';
import type { LogicalNode, OverAggregate, SortKey, Values, WindowSpec } from '../plan/logical.ts';
import type {
  ColumnDef,
  FunctionDef,
  FunctionRegistry,
  PlannedStatement,
  Program,
  SinkDef,
  SourceDef,
} from '../plan/program.ts';
import { classifyJoin, optimize, sortKey, windowOrigin } from '../plan/rules.ts';
import { type DataType, type Field, INT, typeToString } from '../types.ts';
import {
  AGG_PLACEHOLDER,
  bindAggCall,
  bindExpr,
  bindOver,
  type CallCollector,
  containsAggregate,
  containsOver,
  isAggregateName,
  mapAst,
  OVER_PLACEHOLDER,
  placeholder,
  requireBoolean,
  resolveColumn,
  type ScopeColumn,
  type UdfInfo,
} from './binder.ts';
import { AnalysisError, fail } from './errors.ts';
import { RANKING } from './functions.ts';
import { assignable, coerce, commonType } from './types-rules.ts';

interface Rel {
  readonly node: LogicalNode;
  readonly scope: ScopeColumn[];
  /** Set when the relation is a window TVF: its input and spec (for fusing with GROUP BY). */
  readonly tvf?: { readonly input: LogicalNode; readonly spec: WindowSpec };
  /** `FOR SYSTEM_TIME AS OF` on a table reference. */
  readonly temporal?: boolean;
}

interface Env {
  readonly ctes: ReadonlyMap<string, Query>;
}

const EMPTY_ENV: Env = { ctes: new Map() };

/** A relation's output with plain column names (what a subquery, view or statement produces). */
interface Planned {
  readonly node: LogicalNode;
}

/** Prefix of hidden scope columns (legacy window bounds): no SQL identifier can name them. */
const HIDDEN = '\u0000';

/** Aborts a statement that uses a definition which already has an error (reported once, there). */
class BrokenReference extends Error {}

function scopeOf(node: LogicalNode, qualifier?: string): ScopeColumn[] {
  return node.schema.fields.map((f) =>
    qualifier === undefined ? { name: f.name, field: f } : { qualifier, name: f.name, field: f },
  );
}

function lower(s: string): string {
  return s.toLowerCase();
}

/** Builds a Program from parsed statements; statements with errors are skipped and reported. */
export class Planner {
  readonly diagnostics: Diagnostic[] = [];
  private readonly sources = new Map<string, SourceDef>();
  private readonly tables = new Map<
    string,
    { def: SourceDef; type?: string; typeless?: boolean; partitionBy?: readonly string[] }
  >();
  private readonly sinks = new Map<string, SinkDef>();
  private readonly views = new Map<string, { name: string; query: Query }>();
  private readonly functions: FunctionDef[] = [];
  private readonly udfs = new Map<string, UdfInfo>();
  private readonly settings: Record<string, string> = {};
  private readonly statements: PlannedStatement[] = [];
  private readonly readTables = new Set<string>();
  private readonly writtenTables = new Set<string>();
  private readonly viewStack: string[] = [];
  /** Names whose definition had an error (here or in the parser). */
  readonly broken = new Set<string>();

  constructor(private readonly registry: FunctionRegistry = {}) {
    for (const [name, sig] of Object.entries(registry))
      this.udfs.set(lower(name), { name: lower(name), signature: sig });
  }

  run(statements: readonly Statement[]): Program {
    for (const s of statements) {
      try {
        const planned = this.statement(s);
        if (planned) this.statements.push(planned);
      } catch (e) {
        if (e instanceof AnalysisError) this.diagnostics.push(e.diagnostic);
        else if (e instanceof RangeError)
          // stack exhausted: only for inputs beyond the parser's nesting and operator limits
          this.diagnostics.push({
            code: 'E109',
            severity: 'error',
            message: 'statement is too complex to analyze',
            span: s.span,
            hint: 'split it into views or simpler expressions',
          });
        else if (!(e instanceof BrokenReference)) throw e;
        // a definition that failed is remembered, so statements using it do not add cascading errors
        if (s.kind === 'CreateView' || s.kind === 'CreateSource' || s.kind === 'CreateSink')
          this.broken.add(lower(s.name));
      }
    }
    const sources = [...this.sources.values()];
    const sinks = [...this.sinks.values()];
    for (const [key, t] of this.tables) {
      const written = this.writtenTables.has(key);
      const read = this.readTables.has(key);
      if (t.type !== 'sink' && (read || !written)) sources.push(t.def);
      if (written || t.type === 'sink')
        sinks.push({
          name: t.def.name,
          ...(t.typeless ? {} : { columns: t.def.columns }),
          ...(t.partitionBy ? { partitionBy: t.partitionBy } : {}),
          options: t.def.options,
          ...(t.def.primaryKey ? { primaryKey: t.def.primaryKey } : {}),
          span: t.def.span,
        });
    }
    return {
      sources,
      sinks,
      functions: this.functions,
      settings: { ...this.settings },
      statements: this.statements,
    };
  }

  // ------------------------------------------------------------------ statements

  private statement(s: Statement): PlannedStatement | undefined {
    switch (s.kind) {
      case 'CreateSource':
        this.createSource(s);
        return undefined;
      case 'CreateSink': {
        this.checkFresh(s.name, s.span);
        const columns = s.columns ? this.columnDefs(s.columns, 'sink') : undefined;
        if (s.primaryKey && columns) this.checkKey(s.primaryKey, columns, s.span);
        if (s.partitionedBy && columns) this.checkKey(s.partitionedBy, columns, s.span, 'partition');
        this.sinks.set(lower(s.name), {
          name: s.name,
          ...(columns ? { columns } : {}),
          options: this.options(s.options),
          ...(s.primaryKey ? { primaryKey: s.primaryKey } : {}),
          ...(s.partitionedBy ? { partitionBy: s.partitionedBy } : {}),
          span: s.span,
        });
        return undefined;
      }
      case 'CreateView': {
        this.checkFresh(s.name, s.span);
        this.viewStack.push(lower(s.name));
        try {
          this.query(s.query, EMPTY_ENV);
        } finally {
          this.viewStack.pop();
        }
        this.views.set(lower(s.name), { name: s.name, query: s.query });
        return undefined;
      }
      case 'CreateFunction': {
        if (this.functions.some((f) => lower(f.name) === lower(s.name)))
          fail('E601', `function '${s.name}' is already defined`, s.span);
        const reg = this.registry[lower(s.name)];
        const params = s.params?.map((p) => p.type) ?? reg?.params;
        const returns = s.returns ?? reg?.returns;
        const def: FunctionDef = {
          name: lower(s.name),
          path: s.path,
          aggregate: s.aggregate || reg?.aggregate === true,
          ...(params ? { params } : {}),
          ...(returns ? { returns } : {}),
          span: s.span,
        };
        this.functions.push(def);
        this.udfs.set(lower(s.name), {
          name: lower(s.name),
          ...(returns
            ? { signature: { aggregate: def.aggregate, returns, ...(params ? { params } : {}) } }
            : {}),
        });
        return undefined;
      }
      case 'Set':
        this.settings[s.key] = s.value;
        return undefined;
      case 'Insert':
        return this.insert(s);
      case 'QueryStmt':
        return { kind: 'Select', plan: optimize(this.query(s.query, EMPTY_ENV).node), span: s.span };
      case 'Explain': {
        if (s.target.kind !== 'Insert' && s.target.kind !== 'QueryStmt')
          fail(
            'E606',
            'EXPLAIN works on INSERT INTO and SELECT statements',
            s.target.span,
            'definitions have no plan',
          );
        const target = this.statement(s.target)!;
        return { kind: 'Explain', target, span: s.span };
      }
      default: {
        const never: never = s;
        throw new Error(`internal error: unknown statement ${JSON.stringify(never)}`);
      }
    }
  }

  private checkFresh(name: string, span: Span): void {
    const k = lower(name);
    if (this.sources.has(k) || this.sinks.has(k) || this.views.has(k) || this.tables.has(k))
      fail('E601', `'${name}' is already defined`, span, 'pick another name');
  }

  private options(opts: readonly OptionAst[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const o of opts) {
      const k = lower(o.key);
      if (k in out) fail('E604', `option '${o.key}' is given twice`, o.span);
      out[k] = o.value;
    }
    return out;
  }

  private checkKey(
    key: readonly string[],
    columns: readonly ColumnDef[],
    span: Span,
    what = 'primary key',
  ): void {
    for (const k of key)
      if (!columns.some((c) => lower(c.name) === lower(k)))
        fail(
          'E603',
          `${what} column '${k}' is not a column`,
          span,
          didYouMean(
            k,
            columns.map((c) => c.name),
          ),
        );
  }

  private columnDefs(cols: readonly ColumnAst[], what: 'source' | 'sink'): ColumnDef[] {
    const out: ColumnDef[] = [];
    const physical: ScopeColumn[] = [];
    const seen = new Set<string>();
    for (const c of cols) {
      if (seen.has(lower(c.name))) fail('E607', `column '${c.name}' is declared twice`, c.span);
      seen.add(lower(c.name));
      if (c.kind === 'PhysicalColumn') {
        const field: Field = { name: c.name, type: c.type, nullable: !c.notNull };
        physical.push({ name: c.name, field });
        out.push({ name: c.name, type: c.type, nullable: !c.notNull, span: c.span });
      } else {
        if (what === 'sink')
          fail(
            'E605',
            `sink column '${c.name}' cannot be computed`,
            c.span,
            'compute it in the INSERT query',
          );
        out.push({ name: c.name, type: { kind: 'NULL' }, nullable: true, span: c.span });
      }
    }
    // computed columns see the physical columns, at their positions in the full column list
    const scopeAll: ScopeColumn[] = out.map((c) => ({
      name: c.name,
      field: { name: c.name, type: c.type, nullable: c.nullable },
    }));
    return out.map((c, i) => {
      const ast = cols[i]!;
      if (ast.kind !== 'ComputedColumn') return c;
      const visible = scopeAll.filter((_, j) => cols[j]!.kind === 'PhysicalColumn');
      const masked: ScopeColumn[] = scopeAll.map((s, j) =>
        cols[j]!.kind === 'PhysicalColumn' ? s : { name: `${HIDDEN}${s.name}`, field: s.field },
      );
      let expr: Expr;
      try {
        expr = bindExpr(ast.expr, { scope: visible, udfs: this.udfs, clause: 'a computed column' });
        // indices into the full column list, not into the physical ones
        expr = mapColumns(expr, (r) => ({
          ...r,
          index: masked.findIndex((m) => m.field === visible[r.index]!.field),
        }));
      } catch (e) {
        const other =
          e instanceof AnalysisError && e.diagnostic.code === 'E201'
            ? cols.find(
                (x) => x.kind === 'ComputedColumn' && e.diagnostic.message === `unknown column '${x.name}'`,
              )
            : undefined;
        if (other)
          fail(
            'E201',
            `computed column '${c.name}' reads computed column '${other.name}'`,
            (e as AnalysisError).diagnostic.span,
            'a computed column can only read physical columns',
          );
        throw e;
      }
      return { ...c, type: expr.type, nullable: true, expr };
    });
  }

  private createSource(s: CreateSource): void {
    this.checkFresh(s.name, s.span);
    const columns = this.columnDefs(s.columns, 'source');
    const fields: Field[] = columns.map((c) => {
      const proctime = c.expr?.kind === 'Call' && c.expr.fn === 'PROCTIME';
      return proctime
        ? { name: c.name, type: c.type, nullable: false, timeAttribute: 'proctime' as const }
        : { name: c.name, type: c.type, nullable: c.nullable };
    });
    let watermark: SourceDef['watermark'];
    if (s.watermark) {
      const wm = s.watermark;
      const idx = fields.findIndex((f) => lower(f.name) === lower(wm.column));
      if (idx < 0)
        fail(
          'E602',
          `watermark column '${wm.column}' is not a column`,
          wm.span,
          didYouMean(
            wm.column,
            fields.map((f) => f.name),
          ),
        );
      const f = fields[idx]!;
      if (f.type.kind !== 'TIMESTAMP')
        fail(
          'E602',
          `watermark column '${f.name}' must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), not ${typeToString(f.type)}`,
          wm.span,
          f.type.kind === 'BIGINT'
            ? `add a computed column: rowtime AS TO_TIMESTAMP_LTZ(${f.name}, 3), WATERMARK FOR rowtime AS rowtime`
            : undefined,
        );
      const scope = fields.map((g) => ({ name: g.name, field: g }));
      const expr: Expr = wm.expr
        ? bindExpr(wm.expr, { scope, udfs: this.udfs, clause: 'a watermark' })
        : { kind: 'ColumnRef', index: idx, name: f.name, type: f.type, span: wm.span };
      if (expr.type.kind !== 'TIMESTAMP')
        fail(
          'E602',
          `the watermark expression must be a TIMESTAMP, not ${typeToString(expr.type)}`,
          expr.span,
          `e.g. ${f.name} - INTERVAL '5' SECOND`,
        );
      fields[idx] = { ...f, timeAttribute: 'event' };
      watermark = { column: idx, expr };
    }
    if (s.primaryKey) this.checkKey(s.primaryKey, columns, s.span);
    const options = this.options(s.options);
    if (s.partitionedBy) this.checkKey(s.partitionedBy, columns, s.span, 'partition');
    if (s.keyword === 'SOURCE' && s.typeless)
      fail(
        'E602',
        `source '${s.name}' needs a column list`,
        s.span,
        `CREATE SOURCE ${s.name} (col TYPE, …) WITH (…)`,
      );
    const def: SourceDef = {
      name: s.name,
      columns,
      schema: { fields },
      ...(watermark ? { watermark } : {}),
      ...(s.primaryKey ? { primaryKey: s.primaryKey } : {}),
      options,
      changelog: /debezium|changelog|canal|maxwell/.test(options.format ?? '') ? 'updating' : 'append',
      span: s.span,
    };
    if (s.keyword === 'TABLE')
      this.tables.set(lower(s.name), {
        def,
        ...(options.type ? { type: lower(options.type) } : s.typeless ? { type: 'sink' } : {}),
        ...(s.typeless ? { typeless: true } : {}),
        ...(s.partitionedBy ? { partitionBy: s.partitionedBy } : {}),
      });
    else this.sources.set(lower(s.name), def);
  }

  private insert(s: Statement & { kind: 'Insert' }): PlannedStatement {
    const key = lower(s.sink);
    const sink = this.sinks.get(key);
    const table = this.tables.get(key);
    if (!sink && !table && this.broken.has(key)) throw new BrokenReference();
    if (!sink && !table) {
      if (this.sources.has(key) || this.views.has(key))
        fail('E206', `'${s.sink}' is not a sink`, s.span, `declare it with CREATE SINK ${s.sink} WITH (…)`);
      fail(
        'E206',
        `unknown sink '${s.sink}'`,
        s.span,
        didYouMean(s.sink, [
          ...[...this.sinks.values()].map((x) => x.name),
          ...[...this.tables.values()].map((t) => t.def.name),
        ]) ?? `declare it with CREATE SINK ${s.sink} WITH (…)`,
      );
    }
    if (table) this.writtenTables.add(key);
    const columns = sink ? sink.columns : table!.typeless ? undefined : table!.def.columns;
    const name = sink ? sink.name : table!.def.name;
    let node = this.query(s.query, EMPTY_ENV).node;
    if (columns) {
      let target = columns;
      if (s.columns) {
        target = s.columns.map((c) => {
          const col = columns.find((x) => lower(x.name) === lower(c));
          if (!col)
            fail(
              'E201',
              `sink '${name}' has no column '${c}'`,
              s.span,
              didYouMean(
                c,
                columns.map((x) => x.name),
              ),
            );
          return col;
        });
      }
      const fields = node.schema.fields;
      if (fields.length !== target.length)
        fail(
          'E308',
          `the query produces ${fields.length} column${fields.length === 1 ? '' : 's'} but sink '${name}' has ${target.length}`,
          s.query.span,
          `sink columns: ${target.map((c) => c.name).join(', ')}`,
        );
      const exprs: Expr[] = fields.map((f, i) => {
        const want = target[i]!.type;
        if (!assignable(f.type, want))
          fail(
            'E309',
            `cannot write ${typeToString(f.type)} column '${f.name}' into sink column '${target[i]!.name}' ${typeToString(want)}`,
            s.query.span,
            'add an explicit CAST',
          );
        const ref: ColumnRef = {
          kind: 'ColumnRef',
          index: i,
          name: f.name,
          type: f.type,
          span: s.query.span,
        };
        return coerce(ref, want);
      });
      let finalExprs = exprs;
      let finalNames = target.map((c) => c.name);
      if (s.columns) {
        // columns not listed are NULL, in sink order
        finalExprs = columns.map((c) => {
          const j = target.indexOf(c);
          return j >= 0 ? exprs[j]! : literal(null, c.type, s.span);
        });
        finalNames = columns.map((c) => c.name);
      }
      node = mkProject(node, finalExprs, finalNames, s.span);
    }
    return { kind: 'Insert', sink: name, plan: optimize(node), span: s.span };
  }

  // ------------------------------------------------------------------ queries

  /** Plans a query; the output columns are the node's schema fields. */
  query(q: Query, env: Env): Planned {
    let ctes = env.ctes;
    for (const c of q.ctes) {
      const next = new Map(ctes);
      next.set(lower(c.name), c.query);
      // validate the CTE where it is written
      this.query(c.query, { ctes });
      ctes = next;
    }
    const inner: Env = { ctes };
    let node = this.body(q.body, inner);
    if (q.orderBy.length > 0) {
      const scope = scopeOf(node);
      const keys: SortKey[] = q.orderBy.map((o) => {
        let e: Expr;
        if (o.expr.kind === 'NumberLit' && /^\d+$/.test(o.expr.text)) {
          const i = Number(o.expr.text) - 1;
          const f = node.schema.fields[i];
          if (!f)
            fail('E406', `ORDER BY ${o.expr.text} is out of range (1..${node.schema.fields.length})`, o.span);
          e = { kind: 'ColumnRef', index: i, name: f.name, type: f.type, span: o.span };
        } else e = bindExpr(o.expr, { scope, udfs: this.udfs, clause: 'ORDER BY' });
        if (e.kind !== 'ColumnRef')
          fail(
            'E504',
            'ORDER BY on a stream takes output columns',
            o.span,
            'select the expression with an alias and order by the alias',
          );
        return sortKey(
          e.index,
          o.direction === 'DESC',
          o.nulls === undefined ? undefined : o.nulls === 'FIRST',
        );
      });
      if (q.limit !== undefined) node = mkTopN(node, [], keys, q.limit, undefined, false, q.span);
      else {
        const f = node.schema.fields[keys[0]!.column]!;
        if (!(f.timeAttribute && keys[0]!.direction === 'asc'))
          fail(
            'E504',
            `ORDER BY ${f.name} needs a LIMIT on a stream`,
            q.orderBy[0]!.span,
            'a stream can only be ordered by a time attribute ascending; add LIMIT n for a Top-N',
          );
      }
    } else if (q.limit !== undefined) node = mkLimit(node, q.limit, q.span);
    return { node };
  }

  private body(b: QueryBody, env: Env): LogicalNode {
    switch (b.kind) {
      case 'SelectCore':
        return this.select(b, env);
      case 'Query':
        return this.query(b, env).node;
      case 'UnionAll': {
        const inputs = [this.body(b.left, env), this.body(b.right, env)].flatMap((n) =>
          n.kind === 'Union' ? n.inputs : [n],
        );
        const width = inputs[0]!.schema.fields.length;
        for (const n of inputs)
          if (n.schema.fields.length !== width)
            fail('E308', `UNION inputs have ${width} and ${n.schema.fields.length} columns`, b.span);
        const types: DataType[] = [];
        for (let i = 0; i < width; i++) {
          let t: DataType = { kind: 'NULL' };
          for (const n of inputs) {
            const c = commonType(t, n.schema.fields[i]!.type);
            if (!c)
              fail(
                'E301',
                `UNION column ${i + 1} mixes ${typeToString(t)} and ${typeToString(n.schema.fields[i]!.type)}`,
                b.span,
              );
            t = c;
          }
          types.push(t);
        }
        const aligned = inputs.map((n) => {
          if (n.schema.fields.every((f, i) => typeToString(f.type) === typeToString(types[i]!))) return n;
          const exprs = n.schema.fields.map((f, i) =>
            coerce({ kind: 'ColumnRef', index: i, name: f.name, type: f.type, span: b.span }, types[i]!),
          );
          return mkProject(
            n,
            exprs,
            inputs[0]!.schema.fields.map((f) => f.name),
            b.span,
          );
        });
        const union = mkUnion(aligned, b.span);
        return b.all ? union : mkDistinct(union, b.span);
      }
      case 'ValuesBody': {
        const rows = b.rows.map((r) =>
          r.map((e) => bindExpr(e, { scope: [], udfs: this.udfs, clause: 'VALUES' })),
        );
        const width = rows[0]!.length;
        if (rows.some((r) => r.length !== width)) fail('E308', 'VALUES rows have different lengths', b.span);
        const types = Array.from({ length: width }, (_, i) => {
          let t: DataType = { kind: 'NULL' };
          for (const r of rows) {
            const c = commonType(t, r[i]!.type);
            if (!c)
              fail(
                'E301',
                `VALUES column ${i + 1} mixes ${typeToString(t)} and ${typeToString(r[i]!.type)}`,
                r[i]!.span,
              );
            t = c;
          }
          return t.kind === 'NULL' ? INT : t;
        });
        const node: Values = {
          kind: 'Values',
          rows: rows.map((r) => r.map((e, i) => coerce(e, types[i]!))),
          schema: {
            fields: types.map((t, i) => ({
              name: `EXPR$${i}`,
              type: t,
              nullable: rows.some((r) => r[i]!.type.kind === 'NULL'),
            })),
          },
          changelog: 'append',
          span: b.span,
        };
        return node;
      }
      default: {
        const never: never = b;
        throw new Error(`internal error: unknown query body ${JSON.stringify(never)}`);
      }
    }
  }

  // ------------------------------------------------------------------ relations

  private relation(r: Relation, env: Env): Rel {
    switch (r.kind) {
      case 'TableRef': {
        const rel = this.named(r.name, r.alias, r.span, env);
        return r.asOf ? { ...rel, temporal: true } : rel;
      }
      case 'SubqueryRef': {
        const { node } = this.query(r.query, env);
        return { node, scope: scopeOf(node, r.alias) };
      }
      case 'TvfRef':
        return this.tvf(r, env);
      case 'UnnestRef': {
        const one: Values = {
          kind: 'Values',
          rows: [[]],
          schema: { fields: [] },
          changelog: 'append',
          span: r.span,
        };
        const expr = bindExpr(r.expr, { scope: [], udfs: this.udfs, clause: 'UNNEST' });
        if (expr.type.kind !== 'ARRAY')
          fail('E303', `UNNEST expects an ARRAY, got ${typeToString(expr.type)}`, r.expr.span);
        const node = mkUnnest(one, expr, r.column ?? r.alias ?? 'EXPR$0', r.span);
        return { node, scope: scopeOf(node, r.alias) };
      }
      case 'JoinRef': {
        const left = this.relation(r.left, env);
        if (r.right.kind === 'UnnestRef') {
          const u = r.right;
          const expr = bindExpr(u.expr, { scope: left.scope, udfs: this.udfs, clause: 'UNNEST' });
          if (expr.type.kind !== 'ARRAY')
            fail('E303', `UNNEST expects an ARRAY, got ${typeToString(expr.type)}`, u.expr.span);
          const node = mkUnnest(left.node, expr, u.column ?? u.alias ?? 'EXPR$0', u.span);
          const last = node.schema.fields[node.schema.fields.length - 1]!;
          return {
            node,
            scope: [
              ...left.scope,
              { ...(u.alias ? { qualifier: u.alias } : {}), name: last.name, field: last },
            ],
          };
        }
        const right = this.relation(r.right, env);
        const scope = [...left.scope, ...right.scope];
        let condition: Expr | undefined;
        if (r.on) {
          condition = bindExpr(r.on, { scope, udfs: this.udfs, clause: 'ON' });
          requireBoolean(condition, 'ON');
        } else if (r.joinKind !== 'cross' && r.joinKind !== 'inner')
          fail('E509', `${r.joinKind.toUpperCase()} JOIN needs an ON condition`, r.span);
        const joinKind = r.joinKind === 'cross' ? 'inner' : r.joinKind;
        const temporal = right.temporal === true;
        const node = mkJoin(
          joinKind,
          left.node,
          right.node,
          condition,
          classifyJoin(left.node, right.node, condition, temporal),
          r.span,
        );
        return { node, scope: scope.map((c, i) => ({ ...c, field: node.schema.fields[i]! })) };
      }
      default: {
        const never: never = r;
        throw new Error(`internal error: unknown relation ${JSON.stringify(never)}`);
      }
    }
  }

  private named(name: string, alias: string | undefined, span: Span, env: Env): Rel {
    const key = lower(name);
    const q = alias ?? name;
    const cte = env.ctes.get(key);
    if (cte) {
      const { node } = this.query(cte, env);
      return { node, scope: scopeOf(node, q) };
    }
    const view = this.views.get(key);
    if (view) {
      if (this.viewStack.includes(key)) fail('E601', `view '${name}' refers to itself`, span);
      this.viewStack.push(key);
      try {
        const { node } = this.query(view.query, EMPTY_ENV);
        return { node, scope: scopeOf(node, q) };
      } finally {
        this.viewStack.pop();
      }
    }
    const source = this.sources.get(key) ?? this.tables.get(key)?.def;
    if (source) {
      if (this.tables.has(key)) {
        if (this.tables.get(key)!.type === 'sink')
          fail('E209', `'${name}' is a sink (type = 'sink') and cannot be read`, span);
        this.readTables.add(key);
      }
      const node: LogicalNode = {
        kind: 'Scan',
        source: source.name,
        columns: source.schema.fields.map((_, i) => i),
        schema: source.schema,
        changelog: source.changelog,
        ...(source.primaryKey
          ? {
              uniqueKey: source.primaryKey.map((k) =>
                source.schema.fields.findIndex((f) => lower(f.name) === lower(k)),
              ),
            }
          : {}),
        span,
      };
      return { node, scope: scopeOf(node, q) };
    }
    if (this.sinks.has(key))
      fail(
        'E209',
        `'${name}' is a sink and cannot be read`,
        span,
        'declare it with CREATE SOURCE to read it',
      );
    if (this.broken.has(key)) throw new BrokenReference();
    const names = [
      ...[...this.sources.values()].map((s) => s.name),
      ...[...this.tables.values()].map((t) => t.def.name),
      ...[...this.views.values()].map((v) => v.name),
      ...[...env.ctes.keys()],
    ];
    return fail(
      'E203',
      `unknown table '${name}'`,
      span,
      didYouMean(name, names) ??
        (names.length > 0 ? `known: ${names.join(', ')}` : 'declare it with CREATE SOURCE'),
    );
  }

  /** Flink window TVFs: TUMBLE(data, timecol, size[, offset]), HOP(data, timecol, slide, size[, offset]), … */
  private tvf(r: TvfRef, env: Env): Rel {
    const params: Record<string, string[]> = {
      TUMBLE: ['DATA', 'TIMECOL', 'SIZE', 'OFFSET'],
      HOP: ['DATA', 'TIMECOL', 'SLIDE', 'SIZE', 'OFFSET'],
      CUMULATE: ['DATA', 'TIMECOL', 'STEP', 'SIZE', 'OFFSET'],
      SESSION: ['DATA', 'TIMECOL', 'GAP'],
    };
    const names = params[r.fn];
    if (!names)
      fail(
        'E502',
        `unknown table function '${r.fn}'`,
        r.span,
        didYouMean(r.fn, Object.keys(params)) ?? 'use TUMBLE, HOP, CUMULATE or SESSION',
      );
    const args = new Map<string, (typeof r.args)[number]>();
    r.args.forEach((a, i) => {
      const n = a.name !== undefined ? a.name.toUpperCase() : names[i];
      if (n === undefined || !names.includes(n))
        fail(
          'E502',
          `${r.fn} has no ${a.name ? `argument '${a.name}'` : `argument ${i + 1}`}`,
          a.span,
          `${r.fn}(${names.join(', ')})`,
        );
      if (args.has(n)) fail('E502', `${r.fn} argument ${n} is given twice`, a.span);
      args.set(n, a);
    });
    const required = names.filter((n) => n !== 'OFFSET');
    for (const n of required)
      if (!args.has(n))
        fail('E502', `${r.fn} needs its ${n} argument`, r.span, `${r.fn}(${names.join(', ')})`);
    const data = args.get('DATA')!.value;
    if (data.kind !== 'TableArg') fail('E502', `${r.fn}'s first argument is TABLE name`, data.span);
    const rel = this.named(data.name, undefined, data.span, env);
    if (rel.node.changelog === 'updating')
      fail('E503', `${r.fn} needs an append-only input, but '${data.name}' is updating`, data.span);
    const desc = args.get('TIMECOL')!.value;
    if (desc.kind !== 'DescriptorArg' || desc.columns.length !== 1)
      fail('E502', `${r.fn}'s time column is written DESCRIPTOR(column)`, desc.span);
    const { index: timeColumn } = resolveColumn(rel.scope, [desc.columns[0]!], desc.span);
    const tf = rel.node.schema.fields[timeColumn]!;
    if (!tf.timeAttribute)
      fail(
        'E501',
        `column '${tf.name}' is not a time attribute`,
        desc.span,
        `declare WATERMARK FOR ${tf.name} AS … on the source, or use a PROCTIME() column`,
      );
    const ms = (n: string): number | undefined => {
      const a = args.get(n);
      if (!a) return undefined;
      if (a.value.kind !== 'ExprArg') fail('E502', `${r.fn} argument ${n} must be an INTERVAL`, a.span);
      const e = bindExpr(a.value.expr, { scope: [], udfs: this.udfs, clause: r.fn });
      if (e.kind !== 'Literal' || e.type.kind !== 'INTERVAL' || typeof e.value !== 'number')
        fail(
          'E502',
          `${r.fn} argument ${n} must be an INTERVAL literal`,
          a.span,
          "e.g. INTERVAL '10' SECOND",
        );
      if (n !== 'OFFSET' && e.value <= 0) fail('E502', `${r.fn} ${n} must be positive`, a.span);
      return e.value;
    };
    let partitionBy: number[] | undefined;
    if (data.partitionBy.length > 0) {
      if (r.fn !== 'SESSION') fail('E502', `PARTITION BY is only allowed in SESSION windows`, data.span);
      partitionBy = data.partitionBy.map((p) => resolveColumn(rel.scope, [p], data.span).index);
    }
    const offset = ms('OFFSET');
    const spec: WindowSpec = {
      kind: r.fn as WindowSpec['kind'],
      timeColumn,
      ...(r.fn === 'SESSION' ? { gapMs: ms('GAP')! } : { sizeMs: ms('SIZE')! }),
      ...(r.fn === 'HOP' ? { slideMs: ms('SLIDE')! } : {}),
      ...(r.fn === 'CUMULATE' ? { stepMs: ms('STEP')! } : {}),
      ...(offset ? { offsetMs: offset } : {}),
      ...(partitionBy ? { partitionBy } : {}),
    };
    if (spec.kind === 'CUMULATE' && spec.sizeMs! % spec.stepMs! !== 0)
      fail('E502', 'CUMULATE size must be a multiple of its step', r.span);
    if (spec.kind === 'HOP' && spec.sizeMs! % spec.slideMs! !== 0)
      fail(
        'E502',
        'HOP size must be a multiple of its slide',
        r.span,
        'HOP(TABLE t, DESCRIPTOR(ts), slide, size)',
      );
    const node = mkWindowTvf(rel.node, spec, r.span);
    const q = r.alias ?? data.name;
    return { node, scope: scopeOf(node, q), tvf: { input: rel.node, spec } };
  }

  // ------------------------------------------------------------------ SELECT

  private select(sel: SelectCore, env: Env): LogicalNode {
    let s = sel;
    let rel: Rel = s.from
      ? this.relation(s.from, env)
      : {
          node: { kind: 'Values', rows: [[]], schema: { fields: [] }, changelog: 'append', span: s.span },
          scope: [],
        };
    const scope = rel.scope;
    const udfs = this.udfs;
    let where: Expr | undefined;
    // (a legacy group window below replaces rel by a window TVF over it: the WHERE indices stay valid)
    if (s.where) {
      if (containsOver(s.where))
        fail(
          'E404',
          'window functions are not allowed in WHERE',
          s.where.span,
          'filter on them in an outer query',
        );
      where = bindExpr(s.where, { scope, udfs, clause: 'WHERE' });
      requireBoolean(where, 'WHERE');
    }
    const legacy = this.legacyWindow(s, rel);
    if (legacy) ({ select: s, rel } = legacy);
    // select items: stars expand to columns, UNNEST(x) items become an Unnest node
    type Item = { ast?: AstExpr; direct?: Expr; name: string; span: Span };
    const items: Item[] = [];
    s.items.forEach((it, i) => {
      if (it.kind === 'Star') {
        const cols = rel.scope.flatMap((c, j) =>
          !c.name.startsWith(HIDDEN) &&
          (it.qualifier === undefined || lower(c.qualifier ?? '') === lower(it.qualifier))
            ? [[c, j] as const]
            : [],
        );
        if (it.qualifier !== undefined && cols.length === 0) {
          const quals = [...new Set(scope.map((c) => c.qualifier).filter((q): q is string => !!q))];
          fail('E205', `unknown table or alias '${it.qualifier}'`, it.span, didYouMean(it.qualifier, quals));
        }
        if (it.qualifier === undefined && cols.length === 0)
          fail('E201', 'SELECT * without a FROM has no columns', it.span);
        for (const [c, j] of cols)
          items.push({
            direct: { kind: 'ColumnRef', index: j, name: c.name, type: c.field.type, span: it.span },
            name: c.name,
            span: it.span,
          });
      } else {
        const name =
          it.alias ??
          (it.expr.kind === 'Identifier'
            ? it.expr.parts[it.expr.parts.length - 1]!
            : it.expr.kind === 'FieldAccess'
              ? it.expr.field
              : `EXPR$${i}`);
        items.push({ ast: it.expr, name: name.startsWith(HIDDEN) ? `EXPR$${i}` : name, span: it.span });
      }
    });
    const isAgg =
      s.groupBy.length > 0 ||
      items.some((it) => it.ast && containsAggregate(it.ast, udfs)) ||
      (s.having !== undefined && containsAggregate(s.having, udfs));
    if (!isAgg && s.having) fail('E407', 'HAVING needs GROUP BY or an aggregate', s.having.span, 'use WHERE');
    if (!isAgg && (s.emit || s.lateInto))
      fail(
        'E507',
        `${s.emit ? 'EMIT' : 'LATE INTO'} applies to window aggregates (GROUP BY window_start, window_end)`,
        s.span,
      );

    let node: LogicalNode;
    let exprs: Expr[];
    if (isAgg) ({ node, exprs } = this.aggregate(s, rel, where, items));
    else {
      let base = where ? mkFilter(rel.node, where, s.where!.span) : rel.node;
      ({ node: base, exprs } = this.windowFunctions(base, scope, items));
      node = base;
    }
    // UNNEST(expr) select items (Arroyo style): one output row per element
    exprs = exprs.map((e) => {
      if (e.kind === 'Call' && e.fn === 'UNNEST') {
        const arg = e.args[0]!;
        if (arg.type.kind !== 'ARRAY')
          fail('E303', `UNNEST expects an ARRAY, got ${typeToString(arg.type)}`, arg.span);
        node = mkUnnest(node, arg, 'EXPR$unnest', e.span);
        return {
          kind: 'ColumnRef',
          index: node.schema.fields.length - 1,
          name: 'unnest',
          type: arg.type.element,
          span: e.span,
        } satisfies ColumnRef;
      }
      return e;
    });
    node = mkProject(
      node,
      exprs,
      items.map((it) => it.name),
      s.span,
    );
    if (s.distinct) node = mkDistinct(node, s.span);
    return node;
  }

  /**
   * Flink's legacy group windows: `GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)` (also HOP(ts, slide, size) and
   * SESSION(ts, gap)) with TUMBLE_START/_END/_ROWTIME(…) in the select list are planned as the window TVF
   * form: the relation becomes a WindowTvf with hidden window columns, the group key becomes
   * window_start, window_end, and the auxiliary functions read those columns.
   */
  private legacyWindow(s: SelectCore, rel: Rel): { select: SelectCore; rel: Rel } | undefined {
    const i = s.groupBy.findIndex(
      (g) => g.kind === 'FuncCall' && ['TUMBLE', 'HOP', 'SESSION'].includes(g.name),
    );
    if (i < 0) return undefined;
    const call = s.groupBy[i] as FuncCall;
    if (rel.tvf)
      fail(
        'E505',
        `GROUP BY ${call.name}(…) over a window TVF: group by window_start, window_end`,
        call.span,
      );
    const want = call.name === 'HOP' ? 3 : 2;
    if (call.args.length !== want)
      fail(
        'E502',
        `${call.name}(time, ${call.name === 'HOP' ? 'slide, size' : call.name === 'SESSION' ? 'gap' : 'size'}) takes ${want} arguments`,
        call.span,
      );
    const time = bindExpr(call.args[0]!, { scope: rel.scope, udfs: this.udfs, clause: 'GROUP BY' });
    if (time.kind !== 'ColumnRef' || !rel.node.schema.fields[time.index]?.timeAttribute)
      fail(
        'E501',
        `${call.name}(…) needs a time attribute column as its first argument`,
        call.args[0]!.span,
        'declare WATERMARK FOR … on the source',
      );
    if (rel.node.changelog === 'updating') fail('E503', `${call.name} needs an append-only input`, call.span);
    const ms = call.args.slice(1).map((a) => {
      const e = bindExpr(a, { scope: [], udfs: this.udfs, clause: call.name });
      if (e.kind !== 'Literal' || e.type.kind !== 'INTERVAL' || typeof e.value !== 'number' || e.value <= 0)
        fail(
          'E502',
          `${call.name} lengths are positive INTERVAL literals`,
          a.span,
          "e.g. INTERVAL '10' SECOND",
        );
      return e.value;
    });
    let partitionBy: number[] | undefined;
    if (call.name === 'SESSION') {
      // sessions are per group key
      partitionBy = s.groupBy
        .filter((_, j) => j !== i)
        .map((g) => {
          const e = bindExpr(g, { scope: rel.scope, udfs: this.udfs, clause: 'GROUP BY' });
          if (e.kind !== 'ColumnRef') fail('E505', 'a SESSION window groups by plain columns', g.span);
          return e.index;
        });
    }
    const spec: WindowSpec =
      call.name === 'TUMBLE'
        ? { kind: 'TUMBLE', timeColumn: time.index, sizeMs: ms[0]! }
        : call.name === 'HOP'
          ? { kind: 'HOP', timeColumn: time.index, slideMs: ms[0]!, sizeMs: ms[1]! }
          : { kind: 'SESSION', timeColumn: time.index, gapMs: ms[0]!, partitionBy: partitionBy ?? [] };
    const node = mkWindowTvf(rel.node, spec, call.span);
    const n = rel.node.schema.fields.length;
    const hidden = ['window_start', 'window_end', 'window_time'].map((w, k) => ({
      name: `${HIDDEN}${w}`,
      field: node.schema.fields[n + k]!,
    }));
    const ref = (w: string): AstExpr => ({ kind: 'Identifier', parts: [`${HIDDEN}${w}`], span: call.span });
    const aux: Record<string, string> = {
      START: 'window_start',
      END: 'window_end',
      ROWTIME: 'window_time',
      PROCTIME: 'window_time',
    };
    const rewrite = (e: AstExpr): AstExpr =>
      mapAst(e, (x) => {
        if (x.kind !== 'FuncCall') return undefined;
        const m = /^(TUMBLE|HOP|SESSION)_(START|END|ROWTIME|PROCTIME)$/.exec(x.name);
        if (!m) return undefined;
        if (m[1] !== call.name) fail('E505', `${x.name} does not match GROUP BY ${call.name}(…)`, x.span);
        return { ...ref(aux[m[2]!]!), span: x.span };
      });
    const groupBy = [
      ...s.groupBy.slice(0, i),
      ref('window_start'),
      ref('window_end'),
      ...s.groupBy.slice(i + 1),
    ];
    return {
      select: {
        ...s,
        items: s.items.map((it) => (it.kind === 'ExprItem' ? { ...it, expr: rewrite(it.expr) } : it)),
        groupBy,
        ...(s.having ? { having: rewrite(s.having) } : {}),
      },
      rel: { node, scope: [...rel.scope, ...hidden], tvf: { input: rel.node, spec } },
    };
  }

  /** OVER (…) calls in a non-aggregate select list → OverAggregate nodes (one per distinct window). */
  private windowFunctions(
    input: LogicalNode,
    scope: ScopeColumn[],
    items: { ast?: AstExpr; direct?: Expr; name: string }[],
  ): { node: LogicalNode; exprs: Expr[] } {
    const groups: {
      key: string;
      partitionBy: number[];
      orderBy: SortKey[];
      frame: OverAggregate['frame'];
      aggs: AggCall[];
    }[] = [];
    const refs: { group: number; agg: number }[] = [];
    const udfs = this.udfs;
    let current: ScopeColumn[] = scope;
    let node = input;
    // make sure partition/order expressions are columns: project computed ones first
    const extra: Expr[] = [];
    const colOf = (e: Expr, span: Span): number => {
      if (e.kind === 'ColumnRef') return e.index;
      const k = exprKey(e);
      let i = extra.findIndex((x) => exprKey(x) === k);
      if (i < 0) {
        extra.push(e);
        i = extra.length - 1;
      }
      void span;
      return scope.length + i;
    };
    const collector: CallCollector = {
      aggregate: () =>
        fail('E402', 'aggregate without GROUP BY mixed with OVER', items[0]?.ast?.span ?? input.span),
      over: (call: FuncCall, bind) => {
        const over = call.over!;
        const { partitionBy, orderBy } = bindOver(over, bind);
        const pcols = partitionBy.map((e) => colOf(e, over.span));
        const ocols = orderBy.map((o) => sortKey(colOf(o.expr, over.span), o.desc, o.nullsFirst));
        let frame: OverAggregate['frame'] = { mode: 'RANGE', lower: { kind: 'unbounded' } };
        if (over.frame) {
          const f = over.frame;
          if (
            (f.upper && f.upper.kind !== 'current') ||
            f.lower.kind === 'following' ||
            f.lower.kind === 'unbounded_following'
          )
            fail('E506', 'OVER frames must end at CURRENT ROW on a stream', over.span);
          if (f.lower.kind === 'unbounded_preceding') frame = { mode: f.mode, lower: { kind: 'unbounded' } };
          else if (f.lower.kind === 'current') frame = { mode: f.mode, lower: { kind: 'current' } };
          else {
            const amt = bindExpr(f.lower.amount, { scope: [], udfs, clause: 'OVER' });
            if (amt.kind !== 'Literal' || typeof amt.value !== 'number')
              fail('E506', 'an OVER frame bound must be a constant', over.span);
            if (f.mode === 'RANGE' && amt.type.kind !== 'INTERVAL')
              fail('E506', "a RANGE frame bound is an INTERVAL, e.g. INTERVAL '1' HOUR PRECEDING", over.span);
            frame = { mode: f.mode, lower: { kind: 'preceding', amount: amt.value } };
          }
        }
        if (RANKING.has(call.name) && orderBy.length === 0)
          fail('E404', `${call.name}() OVER needs ORDER BY`, over.span);
        const key = JSON.stringify([pcols, ocols, frame]);
        let g = groups.findIndex((x) => x.key === key);
        if (g < 0) {
          groups.push({ key, partitionBy: pcols, orderBy: ocols, frame, aggs: [] });
          g = groups.length - 1;
        }
        let agg: AggCall;
        if (!RANKING.has(call.name) && !isAggregateName(call.name, udfs))
          fail(
            'E404',
            `${call.name}(…) OVER: ${call.name} is not an aggregate or ranking function`,
            call.span,
            'OVER applies to ROW_NUMBER, RANK, DENSE_RANK and aggregates such as SUM or COUNT',
          );
        if (RANKING.has(call.name)) {
          if (call.args.length > 0) fail('E302', `${call.name}() takes no arguments`, call.span);
          agg = {
            kind: 'AggCall',
            fn: call.name,
            args: [],
            distinct: false,
            type: { kind: 'BIGINT' },
            name: `w${g}$${groups[g]!.aggs.length}`,
            span: call.span,
          };
        } else {
          agg = bindAggCall({ ...call }, bind, udfs, `w${g}$${groups[g]!.aggs.length}`);
        }
        groups[g]!.aggs.push(agg);
        refs.push({ group: g, agg: groups[g]!.aggs.length - 1 });
        return placeholder(OVER_PLACEHOLDER, refs.length - 1, agg.type, call.span);
      },
    };
    const bound = items.map(
      (it) => it.direct ?? bindExpr(it.ast!, { scope: current, udfs, clause: 'SELECT', collector }),
    );
    if (groups.length === 0) return { node, exprs: bound };
    if (extra.length > 0) {
      const exprs: Expr[] = [
        ...scope.map(
          (c, i) =>
            ({ kind: 'ColumnRef', index: i, name: c.name, type: c.field.type, span: input.span }) as Expr,
        ),
        ...extra,
      ];
      node = mkProject(
        node,
        exprs,
        [...scope.map((c) => c.name), ...extra.map((_, i) => `$over${i}`)],
        input.span,
      );
      current = scopeOf(node);
    }
    // name each OVER column after the select item that is exactly that call (rn, rownum, …)
    bound.forEach((e, idx) => {
      if (e.kind === 'Call' && e.fn === OVER_PLACEHOLDER) {
        const r = refs[(e.args[0] as { value: number }).value]!;
        (groups[r.group]!.aggs[r.agg] as { name: string }).name = items[idx]!.name;
      }
    });
    const offsets: number[] = [];
    for (const g of groups) {
      offsets.push(node.schema.fields.length);
      node = mkOverAggregate(node, g.partitionBy, g.orderBy, g.frame, g.aggs, node.span);
    }
    const exprs = bound.map((e) =>
      replaceCalls(e, OVER_PLACEHOLDER, (k, span, type) => {
        const r = refs[k]!;
        const index = offsets[r.group]! + r.agg;
        return { kind: 'ColumnRef', index, name: node.schema.fields[index]!.name, type, span };
      }),
    );
    return { node, exprs };
  }

  /** GROUP BY / aggregates: a WindowAggregate (window TVF grouped by its bounds) or an Aggregate. */
  private aggregate(
    s: SelectCore,
    rel: Rel,
    where: Expr | undefined,
    items: { ast?: AstExpr; direct?: Expr; name: string; span: Span }[],
  ): { node: LogicalNode; exprs: Expr[] } {
    const scope = rel.scope;
    const udfs = this.udfs;
    // GROUP BY keys: ordinals and select aliases refer to select items
    let itemKeys: string[] | undefined;
    const keys: { expr: Expr; name: string }[] = s.groupBy.map((g, gi) => {
      let ast = g;
      let name: string | undefined;
      if (g.kind === 'NumberLit' && /^\d+$/.test(g.text)) {
        const it = items[Number(g.text) - 1];
        if (!it) fail('E406', `GROUP BY ${g.text} is out of range (1..${items.length})`, g.span);
        if (it.direct) return { expr: it.direct, name: it.name };
        if (containsAggregate(it.ast!, udfs))
          fail('E406', `GROUP BY ${g.text} refers to an aggregate`, g.span);
        ast = it.ast!;
        name = it.name;
      } else if (g.kind === 'Identifier' && g.parts.length === 1) {
        const col = scope.some((c) => lower(c.name) === lower(g.parts[0]!));
        const it = items.find((x) => lower(x.name) === lower(g.parts[0]!) && x.ast);
        if (!col && it?.ast && !containsAggregate(it.ast, udfs)) {
          ast = it.ast;
          name = it.name;
        }
      }
      if (containsAggregate(ast, udfs)) fail('E402', 'aggregates are not allowed in GROUP BY', g.span);
      if (containsOver(ast)) fail('E404', 'window functions are not allowed in GROUP BY', g.span);
      const expr = bindExpr(ast, { scope, udfs, clause: 'GROUP BY' });
      // a computed key is named after the select item that repeats it (GROUP BY DATE_FORMAT(…) ↔ … AS day)
      let itemName: string | undefined;
      if (ast.kind !== 'Identifier') {
        const key = astKey(ast);
        itemKeys ??= items.map((it) => (it.ast ? astKey(it.ast) : ''));
        const keysOfItems = itemKeys;
        itemName = items.find((it, i) => it.ast && it.ast !== ast && keysOfItems[i] === key)?.name;
      }
      return { expr, name: name ?? itemName ?? (expr.kind === 'ColumnRef' ? expr.name : `key${gi}`) };
    });
    // aggregates in SELECT and HAVING
    const aggs: AggCall[] = [];
    const aggKeys: string[] = [];
    const collector: CallCollector = {
      aggregate: (call, bind) => {
        const agg = bindAggCall(call, bind, udfs, '');
        const key = JSON.stringify([
          agg.fn,
          agg.args.map(exprKey),
          agg.distinct,
          agg.filter ? exprKey(agg.filter) : '',
        ]);
        let k = aggKeys.indexOf(key);
        if (k < 0) {
          aggKeys.push(key);
          aggs.push(agg);
          k = aggs.length - 1;
        }
        return placeholder(AGG_PLACEHOLDER, k, agg.type, call.span);
      },
    };
    const bound = items.map(
      (it) => it.direct ?? bindExpr(it.ast!, { scope, udfs, clause: 'SELECT', collector }),
    );
    let having: Expr | undefined;
    if (s.having) {
      having = bindExpr(s.having, { scope, udfs, clause: 'HAVING', collector });
      requireBoolean(having, 'HAVING');
    }
    // name aggregates after the select item that is exactly that aggregate
    const names = new Set<string>();
    aggs.forEach((a, k) => {
      const idx = bound.findIndex(
        (e) => e.kind === 'Call' && e.fn === AGG_PLACEHOLDER && (e.args[0] as { value: number }).value === k,
      );
      let name = idx >= 0 ? items[idx]!.name : `agg${k}`;
      while (names.has(lower(name))) name = `${name}_${k}`;
      names.add(lower(name));
      (a as { name: string }).name = name;
    });

    // window fusion
    const tvf = rel.tvf;
    const n = tvf ? tvf.input.schema.fields.length : -1;
    const isWin = (e: Expr, off: number): boolean => e.kind === 'ColumnRef' && e.index === n + off;
    const hasStart = tvf !== undefined && keys.some((k) => isWin(k.expr, 0));
    const hasEnd = tvf !== undefined && keys.some((k) => isWin(k.expr, 1));
    const usesWindowCols = (e: Expr): boolean => tvf !== undefined && [...columnsOf(e)].some((c) => c >= n);
    let node: LogicalNode;
    let rewriteRef: (c: ColumnRef) => Expr | undefined;
    let aggBase = keys.length;
    const attached = tvf
      ? undefined
      : attachedWindow(
          rel.node,
          keys.map((k) => k.expr),
        );
    // window_time is determined by the window: grouping by it adds nothing
    let plainKeys = keys.filter((k) => !(tvf && (isWin(k.expr, 0) || isWin(k.expr, 1) || isWin(k.expr, 2))));
    if (tvf && (hasStart || hasEnd)) {
      if (!(hasStart && hasEnd))
        fail(
          'E505',
          'GROUP BY over a window TVF needs both window_start and window_end',
          s.span,
          'GROUP BY …, window_start, window_end',
        );
      for (const k of plainKeys)
        if (usesWindowCols(k.expr))
          fail('E505', 'GROUP BY keys cannot compute on window columns', k.expr.span);
      for (const a of aggs)
        if (a.args.some(usesWindowCols) || (a.filter && usesWindowCols(a.filter)))
          fail('E505', 'aggregates cannot read window columns', a.span);
      let input = tvf.input;
      if (where) {
        if (usesWindowCols(where))
          fail(
            'E505',
            'WHERE on window columns of a window aggregate is not supported',
            where.span,
            'filter in HAVING',
          );
        input = mkFilter(input, where, where.span);
      }
      node = mkWindowAggregate(
        input,
        tvf.spec,
        plainKeys.map((k) => k.expr),
        plainKeys.map((k) => k.name),
        aggs,
        s.emit === 'CHANGES' ? 'changes' : 'final',
        s.lateInto,
        s.span,
      );
      if (s.lateInto && !this.sinks.has(lower(s.lateInto)) && !this.tables.has(lower(s.lateInto)))
        fail(
          'E206',
          `unknown sink '${s.lateInto}' in LATE INTO`,
          s.span,
          didYouMean(
            s.lateInto,
            [...this.sinks.values()].map((x) => x.name),
          ),
        );
      const k = plainKeys.length;
      rewriteRef = (c) => (c.index >= n && c.index <= n + 2 ? { ...c, index: k + (c.index - n) } : undefined);
      aggBase = k + 3;
    } else if (attached) {
      // GROUP BY the window_start/window_end of an already windowed input (cascaded windows, NEXMark q5)
      const { start, end, time, window } = attached;
      const isWinCol = (e: Expr): boolean =>
        e.kind === 'ColumnRef' && (e.index === start || e.index === end || e.index === time);
      plainKeys = keys.filter((k) => !isWinCol(k.expr));
      const input = where ? mkFilter(rel.node, where, where.span) : rel.node;
      const { partitionBy: _p, ...rest } = window;
      node = mkWindowAggregate(
        input,
        { ...rest, timeColumn: time >= 0 ? time : end, attached: { start, end } },
        plainKeys.map((k) => k.expr),
        plainKeys.map((k) => k.name),
        aggs,
        s.emit === 'CHANGES' ? 'changes' : 'final',
        s.lateInto,
        s.span,
      );
      const k = plainKeys.length;
      rewriteRef = (c) =>
        c.index === start
          ? { ...c, index: k }
          : c.index === end
            ? { ...c, index: k + 1 }
            : c.index === time
              ? { ...c, index: k + 2 }
              : undefined;
      aggBase = k + 3;
    } else {
      if (s.emit || s.lateInto)
        fail(
          'E507',
          `${s.emit ? 'EMIT' : 'LATE INTO'} applies to window aggregates (GROUP BY window_start, window_end)`,
          s.span,
        );
      const input = where ? mkFilter(rel.node, where, where.span) : rel.node;
      node = mkAggregate(
        input,
        keys.map((k) => k.expr),
        keys.map((k) => k.name),
        aggs,
        s.span,
      );
      rewriteRef = () => undefined;
    }
    const keyIndex = new Map(plainKeys.map((k, i) => [exprKey(k.expr), i]));
    const post = (e: Expr): Expr => {
      const ki = keyIndex.get(exprKey(e));
      if (ki !== undefined)
        return {
          kind: 'ColumnRef',
          index: ki,
          name: node.schema.fields[ki]!.name,
          type: e.type,
          span: e.span,
        };
      switch (e.kind) {
        case 'ColumnRef': {
          const r = rewriteRef(e);
          if (r) return r;
          return fail(
            'E401',
            `column '${e.name}' must appear in GROUP BY or be used in an aggregate`,
            e.span,
            `add it to GROUP BY, or wrap it: MAX(${e.name})`,
          );
        }
        case 'Literal':
          return e;
        case 'Call':
          if (e.fn === AGG_PLACEHOLDER) {
            const k = (e.args[0] as { value: number }).value;
            return { kind: 'ColumnRef', index: aggBase + k, name: aggs[k]!.name, type: e.type, span: e.span };
          }
          return { ...e, args: e.args.map(post) };
        case 'Case':
          return {
            ...e,
            ...(e.operand ? { operand: post(e.operand) } : {}),
            whens: e.whens.map((w) => ({ when: post(w.when), result: post(w.result) })),
            ...(e.else ? { else: post(e.else) } : {}),
          };
        case 'Cast':
          return { ...e, expr: post(e.expr) };
        default:
          return e;
      }
    };
    if (having) node = mkFilter(node, post(having), s.having!.span);
    return { node, exprs: bound.map(post) };
  }
}

/** Group keys that are the window_start and window_end columns of one upstream window. */
function attachedWindow(
  input: LogicalNode,
  keys: readonly Expr[],
): { start: number; end: number; time: number; window: WindowSpec } | undefined {
  if (input.changelog !== 'append') return undefined;
  for (const k of keys) {
    if (k.kind !== 'ColumnRef') continue;
    const o = windowOrigin(input, k.index);
    if (o?.role !== 'start') continue;
    for (const e of keys) {
      if (e.kind !== 'ColumnRef') continue;
      const oe = windowOrigin(input, e.index);
      if (oe?.role === 'end' && oe.id === o.id) {
        const time = input.schema.fields.findIndex((_, i) => {
          const ot = windowOrigin(input, i);
          return ot?.role === 'time' && ot.id === o.id;
        });
        return { start: k.index, end: e.index, time, window: o.window };
      }
    }
  }
  return undefined;
}

function replaceCalls(e: Expr, fn: string, f: (k: number, span: Span, type: DataType) => Expr): Expr {
  switch (e.kind) {
    case 'Call':
      if (e.fn === fn) return f((e.args[0] as { value: number }).value, e.span, e.type);
      return { ...e, args: e.args.map((a) => replaceCalls(a, fn, f)) };
    case 'Case':
      return {
        ...e,
        ...(e.operand ? { operand: replaceCalls(e.operand, fn, f) } : {}),
        whens: e.whens.map((w) => ({
          when: replaceCalls(w.when, fn, f),
          result: replaceCalls(w.result, fn, f),
        })),
        ...(e.else ? { else: replaceCalls(e.else, fn, f) } : {}),
      };
    case 'Cast':
      return { ...e, expr: replaceCalls(e.expr, fn, f) };
    default:
      return e;
  }
}

function astKey(a: AstExpr): string {
  return JSON.stringify(a, (k, v) => (k === 'span' ? undefined : v));
}

export type { Identifier };
export { mapColumns };
