import type { Span } from '../diagnostics.ts';
import type { DataType } from '../types.ts';
import type { AstExpr } from './expr.ts';
import type { Query } from './query.ts';

export type Statement =
  | CreateSource
  | CreateSink
  | CreateView
  | CreateFunction
  | InsertStmt
  | QueryStmt
  | ExplainStmt
  | SetStmt;

export type ColumnAst =
  | {
      readonly kind: 'PhysicalColumn';
      readonly name: string;
      readonly type: DataType;
      readonly notNull: boolean;
      readonly span: Span;
    }
  | { readonly kind: 'ComputedColumn'; readonly name: string; readonly expr: AstExpr; readonly span: Span };

export interface WatermarkAst {
  readonly column: string;
  readonly expr?: AstExpr;
  readonly span: Span;
}

export interface OptionAst {
  readonly key: string;
  readonly value: string;
  readonly span: Span;
}

/** `CREATE SOURCE|TABLE name (columns, WATERMARK FOR …, PRIMARY KEY (…) NOT ENFORCED) WITH (…)`. */
export interface CreateSource {
  readonly kind: 'CreateSource';
  readonly keyword: 'SOURCE' | 'TABLE';
  readonly name: string;
  readonly columns: readonly ColumnAst[];
  readonly watermark?: WatermarkAst;
  readonly primaryKey?: readonly string[];
  readonly partitionedBy?: readonly string[];
  /** `CREATE TABLE t WITH (…)` without a column list (a sink that takes the query's columns). */
  readonly typeless?: boolean;
  readonly options: readonly OptionAst[];
  readonly span: Span;
}

/** `CREATE SINK name [(columns)] WITH (…)`. */
export interface CreateSink {
  readonly kind: 'CreateSink';
  readonly name: string;
  readonly columns?: readonly ColumnAst[];
  readonly primaryKey?: readonly string[];
  readonly partitionedBy?: readonly string[];
  readonly options: readonly OptionAst[];
  readonly span: Span;
}

export interface CreateView {
  readonly kind: 'CreateView';
  readonly name: string;
  readonly query: Query;
  readonly span: Span;
}

/** `CREATE [AGGREGATE] FUNCTION name [(p type, …) RETURNS type] FROM 'file.ts'` (darq extension). */
export interface CreateFunction {
  readonly kind: 'CreateFunction';
  readonly name: string;
  readonly aggregate: boolean;
  readonly params?: readonly { readonly name: string; readonly type: DataType }[];
  readonly returns?: DataType;
  readonly path: string;
  readonly span: Span;
}

export interface InsertStmt {
  readonly kind: 'Insert';
  readonly sink: string;
  readonly columns?: readonly string[];
  readonly query: Query;
  readonly span: Span;
}

export interface QueryStmt {
  readonly kind: 'QueryStmt';
  readonly query: Query;
  readonly span: Span;
}

export interface ExplainStmt {
  readonly kind: 'Explain';
  readonly target: Statement;
  readonly span: Span;
}

export interface SetStmt {
  readonly kind: 'Set';
  readonly key: string;
  readonly value: string;
  readonly span: Span;
}
