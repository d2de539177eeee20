/** One record: the values of its columns in schema order (see the parser's runtime representation). */
export type Row = unknown[];

/** A scalar UDF: receives SQL NULL as `null`; may return `null`/`undefined` for NULL. */
export type ScalarUdf = (...args: unknown[]) => unknown;

export interface CompileOptions {
  /** Scalar UDFs by lower-case name, looked up once at compile time. */
  readonly udfs?: Readonly<Record<string, ScalarUdf>>;
  /** What a throwing UDF does: `'fail'` (default) throws an ExpressionError, `'null'` yields NULL. */
  readonly onUdfError?: 'fail' | 'null';
  /** The clock of PROCTIME(), NOW(), CURRENT_TIMESTAMP and UNIX_TIMESTAMP() (default `Date.now`). */
  readonly now?: () => number;
}
