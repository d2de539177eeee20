import type { Span } from '../diagnostics.ts';
import type { DataType, Schema } from '../types.ts';
import type { Expr } from './expr.ts';
import type { LogicalNode } from './logical.ts';

/**
 * Everything a SQL script defines and does, in the order written. Produced by `compile()`.
 *
 * ```ts
 * const { program, diagnostics } = compile(sqlText, { file: 'q.sql' });
 * for (const s of program!.statements) if (s.kind === 'Insert') run(s.sink, s.plan);
 * ```
 */
export interface Program {
  readonly sources: readonly SourceDef[];
  readonly sinks: readonly SinkDef[];
  readonly functions: readonly FunctionDef[];
  /** `SET 'key' = 'value'` statements, last one wins. */
  readonly settings: Readonly<Record<string, string>>;
  /** One per INSERT INTO, bare SELECT and EXPLAIN, in script order. Views are inlined into the plans. */
  readonly statements: readonly PlannedStatement[];
}

/**
 * One column of a source or sink. Physical columns are read from the input; a computed column
 * (`rowtime AS TO_TIMESTAMP_LTZ(ts, 3)`) carries `expr`, bound over `SourceDef.schema` and referring to
 * physical columns only. `PROCTIME()` computed columns have `timeAttribute: 'proctime'` in the schema.
 */
export interface ColumnDef {
  readonly name: string;
  readonly type: DataType;
  readonly nullable: boolean;
  readonly expr?: Expr;
  readonly span: Span;
}

/**
 * `CREATE SOURCE name (…) WITH (…)` (also spelt `CREATE TABLE` when it is read from).
 * `schema` lists all columns in declared order; the watermark column is marked `timeAttribute: 'event'`.
 * `watermark.expr` is bound over `schema` and gives the watermark for a row (`ts - INTERVAL '4' SECOND`).
 * `options` keys are lower-cased, values as written. `changelog` is `'updating'` for changelog formats
 * (`format = 'debezium_json'`), else `'append'`.
 */
export interface SourceDef {
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  readonly schema: Schema;
  readonly watermark?: { readonly column: number; readonly expr: Expr };
  readonly primaryKey?: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  readonly changelog: 'append' | 'updating';
  readonly span: Span;
}

/**
 * `CREATE SINK name [(columns)] WITH (…)` (also a `CREATE TABLE` that is only written to). With columns,
 * INSERT maps the query's columns to them by position (with implicit casts); without, the sink takes the
 * query's names and types.
 */
export interface SinkDef {
  readonly name: string;
  readonly columns?: readonly ColumnDef[];
  readonly options: Readonly<Record<string, string>>;
  readonly primaryKey?: readonly string[];
  /** `PARTITIONED BY (dt, hm)`: column names whose values name the output partition (directory). */
  readonly partitionBy?: readonly string[];
  readonly span: Span;
}

/**
 * `CREATE [AGGREGATE] FUNCTION name [(arg type, …) RETURNS type] FROM 'path'`. `path` is as written; the
 * engine resolves it relative to the SQL file. `params`/`returns` come from the statement or from
 * `compile(…, { functions })`.
 */
export interface FunctionDef {
  readonly name: string;
  readonly path: string;
  readonly aggregate: boolean;
  readonly params?: readonly DataType[];
  readonly returns?: DataType;
  readonly span: Span;
}

/** A statement to run. `Explain` wraps the statement it explains (the engine prints `explain()` of it). */
export type PlannedStatement =
  | { readonly kind: 'Insert'; readonly sink: string; readonly plan: LogicalNode; readonly span: Span }
  | { readonly kind: 'Select'; readonly plan: LogicalNode; readonly span: Span }
  | { readonly kind: 'Explain'; readonly target: PlannedStatement; readonly span: Span };

/**
 * Signatures of user-defined functions, keyed by lower-case name, for `compile(sql, { functions })`.
 * A UDF used in SQL needs a signature from here or from its CREATE FUNCTION statement.
 */
export type FunctionRegistry = Readonly<Record<string, FunctionSignature>>;

export interface FunctionSignature {
  readonly aggregate?: boolean;
  /** Parameter types; arguments are implicitly cast to them. Omitted: any arguments are accepted. */
  readonly params?: readonly DataType[];
  readonly returns: DataType;
}
