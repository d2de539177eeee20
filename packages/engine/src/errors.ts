/**
 * The engine's error taxonomy. Every error has a stable `code`, a `domain` saying whose problem it is,
 * and a message that says what happened, where, and how to fix it.
 */
export type ErrorDomain = 'user' | 'external' | 'internal';

export class EngineError extends Error {
  readonly code: string;
  readonly domain: ErrorDomain;
  constructor(code: string, domain: ErrorDomain, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.code = code;
    this.domain = domain;
  }
}

/** The query cannot be turned into a running dataflow (unsupported construct, bad connector options…). */
export class PlanError extends EngineError {
  constructor(code: string, message: string) {
    super(code, 'user', message);
    this.name = 'PlanError';
  }
}

/** An operator failed while processing data; names the operator so the user can find it in EXPLAIN. */
export class OperatorError extends EngineError {
  readonly operator: string;
  constructor(code: string, operator: string, message: string, options?: { cause?: unknown }) {
    super(code, 'user', `${operator}: ${message}`, options);
    this.name = 'OperatorError';
    this.operator = operator;
  }
}

/** A state directory that does not belong to this query, or that is damaged. */
export class StateError extends EngineError {
  constructor(code: string, message: string) {
    super(code, 'user', message);
    this.name = 'StateError';
  }
}

/** A connector could not read or write its external system (file missing, permission denied…). */
export class ConnectorError extends EngineError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, 'external', message, options);
    this.name = 'ConnectorError';
  }
}
