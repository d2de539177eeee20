import type { Span } from '../diagnostics.ts';
import type { DataType } from '../types.ts';
import type { Query } from './query.ts';

/** Unbound expressions as written (names unresolved, no types). Parentheses are not kept. */
export type AstExpr =
  | Identifier
  | NumberLit
  | StringLit
  | BoolLit
  | NullLit
  | IntervalLit
  | TypedLit
  | Unary
  | Binary
  | FuncCall
  | CaseExpr
  | CastExpr
  | InExpr
  | BetweenExpr
  | LikeExpr
  | IsExpr
  | ExtractExpr
  | TimeUnitCall
  | Subscript
  | FieldAccess
  | ArrayCtor
  | ScalarSubquery;

/** `a`, `t.a`, `t.r.f`: resolution decides which parts are a qualifier, a column and row fields. */
export interface Identifier {
  readonly kind: 'Identifier';
  readonly parts: readonly string[];
  readonly span: Span;
}

/** A numeric literal as written (`12`, `0.908`, `1e6`). */
export interface NumberLit {
  readonly kind: 'NumberLit';
  readonly text: string;
  readonly span: Span;
}

export interface StringLit {
  readonly kind: 'StringLit';
  readonly value: string;
  readonly span: Span;
}

export interface BoolLit {
  readonly kind: 'BoolLit';
  readonly value: boolean;
  readonly span: Span;
}

export interface NullLit {
  readonly kind: 'NullLit';
  readonly span: Span;
}

/** `INTERVAL '10' SECOND`, `INTERVAL '1:30' MINUTE TO SECOND`, `INTERVAL '20 seconds'` (unit inside). */
export interface IntervalLit {
  readonly kind: 'IntervalLit';
  readonly value: string;
  readonly unit?: string;
  readonly toUnit?: string;
  readonly negative: boolean;
  readonly span: Span;
}

/** `TIMESTAMP '2023-01-01 00:00:00'`, `DATE '2023-01-01'`. */
export interface TypedLit {
  readonly kind: 'TypedLit';
  readonly type: string;
  readonly value: string;
  readonly span: Span;
}

export interface Unary {
  readonly kind: 'Unary';
  readonly op: '-' | '+' | 'NOT';
  readonly operand: AstExpr;
  readonly span: Span;
}

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '||'
  | '='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | 'AND'
  | 'OR';

export interface Binary {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly left: AstExpr;
  readonly right: AstExpr;
  readonly span: Span;
}

export interface OrderItem {
  readonly expr: AstExpr;
  readonly direction?: 'ASC' | 'DESC';
  readonly nulls?: 'FIRST' | 'LAST';
  readonly span: Span;
}

export type AstFrameBound =
  | { readonly kind: 'unbounded_preceding' }
  | { readonly kind: 'preceding'; readonly amount: AstExpr }
  | { readonly kind: 'current' }
  | { readonly kind: 'following'; readonly amount: AstExpr }
  | { readonly kind: 'unbounded_following' };

export interface OverSpec {
  readonly partitionBy: readonly AstExpr[];
  readonly orderBy: readonly OrderItem[];
  readonly frame?: {
    readonly mode: 'ROWS' | 'RANGE';
    readonly lower: AstFrameBound;
    readonly upper?: AstFrameBound;
  };
  readonly span: Span;
}

/** `f(a, b)`, `COUNT(*)`, `COUNT(DISTINCT x) FILTER (WHERE …)`, `ROW_NUMBER() OVER (…)`. */
export interface FuncCall {
  readonly kind: 'FuncCall';
  readonly name: string;
  readonly args: readonly AstExpr[];
  readonly star: boolean;
  readonly distinct: boolean;
  readonly filter?: AstExpr;
  readonly withinGroup?: readonly OrderItem[];
  readonly over?: OverSpec;
  readonly span: Span;
}

export interface CaseExpr {
  readonly kind: 'CaseExpr';
  readonly operand?: AstExpr;
  readonly whens: readonly { readonly when: AstExpr; readonly result: AstExpr }[];
  readonly else?: AstExpr;
  readonly span: Span;
}

export interface CastExpr {
  readonly kind: 'CastExpr';
  readonly expr: AstExpr;
  readonly type: DataType;
  readonly try: boolean;
  readonly span: Span;
}

export interface InExpr {
  readonly kind: 'InExpr';
  readonly expr: AstExpr;
  readonly list: readonly AstExpr[];
  readonly not: boolean;
  readonly span: Span;
}

export interface BetweenExpr {
  readonly kind: 'BetweenExpr';
  readonly expr: AstExpr;
  readonly low: AstExpr;
  readonly high: AstExpr;
  readonly not: boolean;
  readonly span: Span;
}

export interface LikeExpr {
  readonly kind: 'LikeExpr';
  readonly expr: AstExpr;
  readonly pattern: AstExpr;
  readonly not: boolean;
  readonly span: Span;
}

/** `x IS [NOT] NULL | TRUE | FALSE`. */
export interface IsExpr {
  readonly kind: 'IsExpr';
  readonly expr: AstExpr;
  readonly what: 'NULL' | 'TRUE' | 'FALSE';
  readonly not: boolean;
  readonly span: Span;
}

/** `EXTRACT(unit FROM x)`. */
export interface ExtractExpr {
  readonly kind: 'ExtractExpr';
  readonly unit: string;
  readonly expr: AstExpr;
  readonly span: Span;
}

/** `FLOOR(ts TO unit)`, `CEIL(ts TO unit)`. */
export interface TimeUnitCall {
  readonly kind: 'TimeUnitCall';
  readonly fn: 'FLOOR' | 'CEIL';
  readonly expr: AstExpr;
  readonly unit: string;
  readonly span: Span;
}

/** `a[i]` (1-based array element). */
export interface Subscript {
  readonly kind: 'Subscript';
  readonly expr: AstExpr;
  readonly index: AstExpr;
  readonly span: Span;
}

/** `(expr).field` on a non-identifier (identifier paths are Identifier parts). */
export interface FieldAccess {
  readonly kind: 'FieldAccess';
  readonly expr: AstExpr;
  readonly field: string;
  readonly span: Span;
}

/** `ARRAY[a, b]`. */
export interface ArrayCtor {
  readonly kind: 'ArrayCtor';
  readonly items: readonly AstExpr[];
  readonly span: Span;
}

/** `(SELECT …)` in an expression: parsed, reported as unsupported by the analyzer. */
export interface ScalarSubquery {
  readonly kind: 'ScalarSubquery';
  readonly query: Query;
  readonly span: Span;
}
