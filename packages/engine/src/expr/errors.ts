import { EngineError } from '../errors.ts';
import type { Row } from './types.ts';

/**
 * A failure while evaluating a compiled expression on one row: a UDF that threw (code `EXPR_UDF_FAILED`) or
 * returned a Promise (`EXPR_UDF_ASYNC`), an exact division by zero (`EXPR_DIVISION_BY_ZERO`). It names the
 * function, the argument values and the row, so the engine can send the row to the dead-letter file.
 */
export class ExpressionError extends EngineError {
  readonly fn?: string;
  readonly args?: readonly unknown[];
  readonly row?: Row;
  constructor(
    code: string,
    message: string,
    details: { fn?: string; args?: readonly unknown[]; row?: Row; cause?: unknown } = {},
  ) {
    super(code, 'user', message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ExpressionError';
    if (details.fn !== undefined) this.fn = details.fn;
    if (details.args !== undefined) this.args = details.args;
    if (details.row !== undefined) this.row = details.row;
  }
}

/** Renders a value for an error message: short, and unambiguous about strings versus numbers. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (Array.isArray(v)) return `[${v.slice(0, 8).map(showValue).join(', ')}${v.length > 8 ? ', ...' : ''}]`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
