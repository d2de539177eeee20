export { CODES } from './analyze/errors.ts';
export type { AstExpr } from './ast/expr.ts';
export type { Query, Relation, SelectCore } from './ast/query.ts';
export type { Statement } from './ast/statement.ts';
export { type CompileOptions, compile } from './compile.ts';
export type { Diagnostic, Position, Span } from './diagnostics.ts';
export { formatDiagnostic } from './diagnostics.ts';
export { explain, explainNode, exprToString } from './explain.ts';
export { parse } from './parse.ts';
export type { AggCall, Call, Case, Cast, ColumnRef, Expr, Literal } from './plan/expr.ts';
export { exprKey, forEachColumn, mapColumns } from './plan/expr.ts';
export type {
  Aggregate,
  Changelog,
  Deduplicate,
  Distinct,
  Filter,
  FrameBound,
  Join,
  Limit,
  LogicalKind,
  LogicalNode,
  OverAggregate,
  Project,
  Scan,
  SortKey,
  TopN,
  Union,
  Unnest,
  Values,
  WindowAggregate,
  WindowSpec,
  WindowTvf,
} from './plan/logical.ts';
export { inputsOf } from './plan/logical.ts';
export type {
  ColumnDef,
  FunctionDef,
  FunctionRegistry,
  FunctionSignature,
  PlannedStatement,
  Program,
  SinkDef,
  SourceDef,
} from './plan/program.ts';
export { print } from './print.ts';
export type { DataType, Field, Schema, TypeKind } from './types.ts';
export { schemaToString, typeEquals, typeToString } from './types.ts';
