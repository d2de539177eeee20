import type { Span } from '../diagnostics.ts';
import type { AstExpr, OrderItem } from './expr.ts';

/** `[WITH …] body [ORDER BY …] [LIMIT n]`. */
export interface Query {
  readonly kind: 'Query';
  readonly ctes: readonly Cte[];
  readonly body: QueryBody;
  readonly orderBy: readonly OrderItem[];
  readonly limit?: number;
  readonly span: Span;
}

export interface Cte {
  readonly name: string;
  readonly query: Query;
  readonly span: Span;
}

export type QueryBody = SelectCore | UnionAll | Query | ValuesBody;

/** `a UNION ALL b` (plain UNION is parsed as `all: false` and planned as UNION ALL + DISTINCT). */
export interface UnionAll {
  readonly kind: 'UnionAll';
  readonly all: boolean;
  readonly left: QueryBody;
  readonly right: QueryBody;
  readonly span: Span;
}

export interface ValuesBody {
  readonly kind: 'ValuesBody';
  readonly rows: readonly (readonly AstExpr[])[];
  readonly span: Span;
}

export type SelectItem =
  | { readonly kind: 'Star'; readonly qualifier?: string; readonly span: Span }
  | { readonly kind: 'ExprItem'; readonly expr: AstExpr; readonly alias?: string; readonly span: Span };

/**
 * One SELECT block. Extensions (darq): `EMIT FINAL | EMIT CHANGES` for window aggregates, and
 * `LATE INTO sink` for rows that arrive after their window closed; both follow HAVING.
 */
export interface SelectCore {
  readonly kind: 'SelectCore';
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  readonly from?: Relation;
  readonly where?: AstExpr;
  readonly groupBy: readonly AstExpr[];
  readonly having?: AstExpr;
  readonly emit?: 'FINAL' | 'CHANGES';
  readonly lateInto?: string;
  readonly span: Span;
}

export type Relation = TableRef | SubqueryRef | JoinRef | TvfRef | UnnestRef;

/** `name [FOR SYSTEM_TIME AS OF expr] [AS alias]`. */
export interface TableRef {
  readonly kind: 'TableRef';
  readonly name: string;
  readonly alias?: string;
  readonly asOf?: AstExpr;
  readonly span: Span;
}

export interface SubqueryRef {
  readonly kind: 'SubqueryRef';
  readonly query: Query;
  readonly alias?: string;
  readonly span: Span;
}

/** Joins; a comma join is `cross` with no condition. */
export interface JoinRef {
  readonly kind: 'JoinRef';
  readonly joinKind: 'inner' | 'left' | 'right' | 'full' | 'cross';
  readonly left: Relation;
  readonly right: Relation;
  readonly on?: AstExpr;
  readonly span: Span;
}

/** An argument of a table function: `TABLE t [PARTITION BY …]`, `DESCRIPTOR(c)`, or a scalar. */
export type TvfArgValue =
  | {
      readonly kind: 'TableArg';
      readonly name: string;
      readonly partitionBy: readonly string[];
      readonly span: Span;
    }
  | { readonly kind: 'DescriptorArg'; readonly columns: readonly string[]; readonly span: Span }
  | { readonly kind: 'ExprArg'; readonly expr: AstExpr; readonly span: Span };

export interface TvfArg {
  readonly name?: string;
  readonly value: TvfArgValue;
  readonly span: Span;
}

/** Flink window TVF: `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) [AS alias]`. */
export interface TvfRef {
  readonly kind: 'TvfRef';
  readonly fn: string;
  readonly args: readonly TvfArg[];
  readonly alias?: string;
  readonly span: Span;
}

/** `UNNEST(expr) [AS alias [(column)]]`, usually after CROSS JOIN or a comma. */
export interface UnnestRef {
  readonly kind: 'UnnestRef';
  readonly expr: AstExpr;
  readonly alias?: string;
  readonly column?: string;
  readonly span: Span;
}
