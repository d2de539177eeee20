/**
 * The expression compiler: a bound expression becomes JavaScript source once, at plan time, and
 * `new Function` turns that source into a closure over its constants (RegExps, formatters, UDFs) and the
 * helpers of functions.ts. Per row there is no tree walk: only straight-line code with NULL checks.
 *
 * Shape of the generated code: every sub-expression is one `const` in evaluation order; lazy forms (AND, OR,
 * CASE, COALESCE, IF) evaluate their later operands inside `if` blocks, so a UDF or a division by zero in an
 * untaken branch never runs. Equal deterministic sub-expressions (same structure) are evaluated once per
 * scope, also across the outputs of a projection.
 */
import type { Call, Case, Cast, ColumnRef, DataType, Expr, Literal, Span } from '@darq/parser';
import { PlanError } from '../errors.ts';
import { type CastFn, castFunction } from './cast.ts';
import * as fns from './functions.ts';
import {
  ceilTime,
  compileDateFormat,
  compileDateParser,
  EXTRACTORS,
  floorTime,
  isExtractUnit,
  isTimeUnit,
  parseIsoTimestamp,
} from './time.ts';
import type { CompileOptions, Row } from './types.ts';

/** A compiled value: a JS expression without side effects (a variable or a literal) and whether it may be NULL. */
interface Value {
  readonly code: string;
  readonly nullable: boolean;
}

const NULL: Value = { code: 'null', nullable: true };

class Block {
  readonly lines: string[] = [];
  private readonly memo = new Map<string, Value>();
  constructor(readonly parent: Block | null) {}
  lookup(key: string): Value | undefined {
    for (let b: Block | null = this; b !== null; b = b.parent) {
      const v = b.memo.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  remember(key: string, v: Value): void {
    this.memo.set(key, v);
  }
  render(indent: string): string {
    return this.lines.map((l) => indent + l.replaceAll('\n', `\n${indent}`)).join('\n');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers the generated code reaches as `h.…`

const dateFormatters = new Map<string, ((ms: number) => string | null) | null>();
const dateParsers = new Map<string, ((s: string) => number | null) | null>();

function cachedOrNull<F>(cache: Map<string, F | null>, key: string, make: () => F): F | null {
  let f = cache.get(key);
  if (f === undefined) {
    try {
      f = make();
    } catch {
      f = null;
    }
    if (cache.size >= 256) cache.clear();
    cache.set(key, f);
  }
  return f;
}

const HELPERS = Object.freeze({
  ...fns,
  concatWs(sep: string, ...parts: unknown[]): string {
    let out = '';
    let first = true;
    for (const p of parts) {
      if (p === null || p === undefined) continue;
      out += first ? String(p) : sep + String(p);
      first = false;
    }
    return out;
  },
  greatest(...xs: unknown[]): unknown {
    let best = xs[0];
    for (let i = 1; i < xs.length; i++) if (fns.cmp(xs[i], best) > 0) best = xs[i];
    return best;
  },
  least(...xs: unknown[]): unknown {
    let best = xs[0];
    for (let i = 1; i < xs.length; i++) if (fns.cmp(xs[i], best) < 0) best = xs[i];
    return best;
  },
  /** DATE_FORMAT with a pattern that is not a literal: cached per pattern; a bad pattern is NULL. */
  formatDyn(ms: number, pattern: string): string | null {
    const f = cachedOrNull(dateFormatters, pattern, () => compileDateFormat(pattern));
    return f === null ? null : f(ms);
  },
  parseDyn(s: string, pattern: string): number | null {
    const f = cachedOrNull(dateParsers, pattern, () => compileDateParser(pattern));
    return f === null ? null : f(s);
  },
  parseIso: parseIsoTimestamp,
  /** ELEMENT_AT(array, i), 1-based; NULL out of range. */
  elementAt(a: unknown[], i: number): unknown {
    return i >= 1 && i <= a.length ? (a[i - 1] ?? null) : null;
  },
  ltz(n: number, precision: number): number | null {
    return precision === 0 ? n * 1000 : precision === 3 ? n : null;
  },
  truncTo(t: number | null): number | null {
    return t === null ? null : Math.floor(t / 1000);
  },
});

type Helpers = typeof HELPERS;

// ---------------------------------------------------------------------------------------------------------
// Types

function isInteger(t: DataType): boolean {
  return t.kind === 'INT' || t.kind === 'BIGINT';
}

function isStructured(t: DataType): boolean {
  return t.kind === 'ARRAY' || t.kind === 'ROW';
}

function where(span: Span): string {
  return `at ${span.file === undefined ? '' : `${span.file}:`}line ${span.start.line}, column ${span.start.column}`;
}

function jsLiteral(v: number | string | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    if (Object.is(v, -0)) return '-0';
    return String(v);
  }
  return JSON.stringify(v);
}

function literalString(e: Expr): string | null {
  return e.kind === 'Literal' && typeof e.value === 'string' ? e.value : null;
}

function literalNumber(e: Expr): number | null {
  return e.kind === 'Literal' && typeof e.value === 'number' ? e.value : null;
}

// ---------------------------------------------------------------------------------------------------------
// The compiler

interface Constant {
  readonly name: string;
  readonly value: unknown;
  readonly note: string;
}

/** Functions whose result differs between two calls with the same arguments: never shared. */
const VOLATILE = new Set(['RAND']);

type Gen = (c: Compiler, e: Call, b: Block) => Value;
interface Builtin {
  readonly min: number;
  readonly max: number;
  readonly gen: Gen;
}

class Compiler {
  private readonly constants: Constant[] = [];
  private readonly prologue: string[] = [];
  private readonly columns = new Map<number, Value>();
  private counter = 0;
  readonly opts: CompileOptions;

  /** For exprToJs: an unregistered UDF becomes a placeholder instead of an error (EXPLAIN needs no code). */
  readonly sourceOnly: boolean;

  /** False in the compiler that evaluates a constant sub-expression (it must not try to fold it again). */
  private readonly folding: boolean;

  constructor(opts: CompileOptions, sourceOnly = false, folding = true) {
    this.opts = opts;
    this.sourceOnly = sourceOnly;
    this.folding = folding;
  }

  fresh(prefix = 'v'): string {
    return `${prefix}${this.counter++}`;
  }

  constant(value: unknown, note: string): string {
    const name = `k${this.constants.length}`;
    this.constants.push({ name, value, note: note.replaceAll('\n', ' ').replaceAll('*/', '* /') });
    return name;
  }

  /** Emits `const v = code;` and returns v. */
  emit(b: Block, code: string, nullable: boolean): Value {
    const name = this.fresh();
    b.lines.push(`const ${name} = ${code};`);
    return { code: name, nullable };
  }

  /**
   * A call that is NULL when any argument is NULL: evaluates the arguments, then `body(codes)` under a NULL
   * guard. `nullable` says whether `body` itself may produce NULL.
   */
  strict(e: Call, b: Block, body: (a: string[]) => string, nullable = false, args = e.args): Value {
    const vs = args.map((a) => this.gen(a, b));
    if (vs.some((v) => v.code === 'null')) return NULL;
    const checks = vs.filter((v) => v.nullable).map((v) => `${v.code} == null`);
    const guard = checks.length === 0 ? '' : `${checks.join(' || ')} ? null : `;
    return this.emit(b, guard + body(vs.map((v) => v.code)), nullable || checks.length > 0);
  }

  gen(e: Expr, b: Block): Value {
    if (e.kind === 'Literal') return this.genLiteral(e);
    const key = shareKey(e);
    if (key !== null) {
      const hit = b.lookup(key);
      if (hit !== undefined) return hit;
    }
    const folded = key === null ? undefined : this.fold(e);
    const v = folded ?? this.genNode(e, b);
    if (key !== null) b.remember(key, v);
    return v;
  }

  /**
   * Constant folding: a deterministic sub-expression without columns or clocks (`CAST('2024-01-01' AS
   * TIMESTAMP)`, `INTERVAL '1' HOUR * 24`) is evaluated once here and becomes a literal. Only scalar results
   * fold (an ARRAY would be one shared object across rows); one that fails (division by zero) stays, to fail
   * per row with the row in its error.
   */
  private fold(e: Exclude<Expr, Literal>): Value | undefined {
    if (!this.folding || e.kind === 'ColumnRef' || !constantTree(e)) return undefined;
    let value: unknown;
    try {
      const c = new Compiler(this.opts, false, false);
      value = c.build<(row: Row) => unknown>(c.source([e], ([v]) => v!.code))([]);
    } catch {
      return undefined;
    }
    if (value === null) return NULL;
    if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') {
      return { code: jsLiteral(value), nullable: false };
    }
    return undefined;
  }

  private genNode(e: Exclude<Expr, Literal>, b: Block): Value {
    switch (e.kind) {
      case 'ColumnRef':
        return this.genColumn(e, b);
      case 'Call':
        return this.genCall(e, b);
      case 'Case':
        return this.genCase(e, b);
      case 'Cast':
        return this.genCast(e, b);
      default:
        return assertNever(e);
    }
  }

  private genLiteral(e: Literal): Value {
    return { code: jsLiteral(e.value), nullable: e.value === null };
  }

  /**
   * Columns are read once, at the top of the function (a read has no side effect and costs next to nothing),
   * so every use anywhere in the expression, in any branch, shares one variable.
   */
  private genColumn(e: ColumnRef, _b: Block): Value {
    const seen = this.columns.get(e.index);
    if (seen !== undefined) return seen;
    const name = `${e.name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 24)}_${this.counter++}`;
    // `?? null`: a missing field (undefined) is SQL NULL, and outputs never carry undefined.
    this.prologue.push(`const ${name} = row[${e.index}] ?? null;`);
    const v: Value = { code: name, nullable: true };
    this.columns.set(e.index, v);
    return v;
  }

  private genCast(e: Cast, b: Block): Value {
    const v = this.gen(e.expr, b);
    const from = e.expr.type;
    if (v.code === 'null') return NULL;
    if ((from.kind === 'INT' || from.kind === 'BIGINT') && e.to.kind === 'VARCHAR') {
      return this.emit(
        b,
        v.nullable ? `${v.code} == null ? null : String(${v.code})` : `String(${v.code})`,
        v.nullable,
      );
    }
    const f: CastFn | null = castFunction(from, e.to);
    if (f === null) return v;
    const k = this.constant(f, `CAST(${typeText(from)} AS ${typeText(e.to)})`);
    return this.emit(b, v.nullable ? `${v.code} == null ? null : ${k}(${v.code})` : `${k}(${v.code})`, true);
  }

  /**
   * CASE as one labelled block: each WHEN is tested in turn and a match assigns the result and breaks out, so
   * the code stays flat (no nesting per WHEN) and later WHENs run only when earlier ones did not match.
   */
  private genCase(e: Case, b: Block): Value {
    const out = this.fresh('r');
    b.lines.push(`let ${out} = null;`);
    const operand = e.operand === undefined ? null : this.gen(e.operand, b);
    const structured = e.operand !== undefined && isStructured(e.operand.type);
    let nullable = e.else === undefined;
    const label = `${out}_case`;
    const body = new Block(b);
    for (const w of e.whens) {
      const wv = this.gen(w.when, body);
      let cond: string;
      if (operand === null) cond = `${wv.code} === true`;
      else {
        const eq = structured ? `h.eq(${operand.code}, ${wv.code})` : `${operand.code} === ${wv.code}`;
        const checks = [operand, wv].filter((v) => v.nullable).map((v) => `${v.code} != null`);
        cond = [...checks, eq].join(' && ');
      }
      const then = new Block(body);
      const rv = this.gen(w.result, then);
      nullable ||= rv.nullable;
      then.lines.push(`${out} = ${rv.code};`, `break ${label};`);
      body.lines.push(`if (${cond}) {\n${then.render('  ')}\n}`);
    }
    if (e.else !== undefined) {
      const v = this.gen(e.else, body);
      nullable ||= v.nullable;
      body.lines.push(`${out} = ${v.code};`);
    }
    b.lines.push(`${label}: {\n${body.render('  ')}\n}`);
    return { code: out, nullable };
  }

  private genCall(e: Call, b: Block): Value {
    const builtin = Object.hasOwn(BUILTINS, e.fn) ? BUILTINS[e.fn] : undefined;
    if (builtin === undefined) return this.genUdf(e, b);
    if (e.args.length < builtin.min || e.args.length > builtin.max) {
      const want =
        builtin.min === builtin.max
          ? `${builtin.min}`
          : builtin.max === Infinity
            ? `at least ${builtin.min}`
            : `${builtin.min} to ${builtin.max}`;
      throw new PlanError(
        'EXPR_ARITY',
        `${e.fn} takes ${want} argument(s) but got ${e.args.length} ${where(e.span)}`,
      );
    }
    return builtin.gen(this, e, b);
  }

  private genUdf(e: Call, b: Block): Value {
    const udfs = this.opts.udfs ?? {};
    const name = Object.hasOwn(udfs, e.fn) ? e.fn : e.fn.toLowerCase();
    let f = Object.hasOwn(udfs, name) ? udfs[name] : undefined;
    if (typeof f !== 'function' && this.sourceOnly) {
      f = () => {
        throw new Error(`UDF ${name} is not registered`);
      };
    }
    if (typeof f !== 'function') {
      const known = Object.keys(udfs);
      throw new PlanError(
        'EXPR_UNKNOWN_FUNCTION',
        `unknown function ${e.fn} ${where(e.span)}: it is neither a built-in function nor a registered UDF` +
          (known.length ? ` (registered UDFs: ${known.join(', ')})` : ' (no UDFs are registered)') +
          `; declare it with CREATE FUNCTION ${e.fn.toLowerCase()} FROM '<module>'`,
      );
    }
    const k = this.constant(f, `UDF ${name}`);
    const args = e.args.map((a) => this.gen(a, b).code);
    const r = this.fresh('u');
    const fnName = JSON.stringify(name);
    const mode = JSON.stringify(this.opts.onUdfError ?? 'fail');
    b.lines.push(
      `let ${r};\n` +
        `try { ${r} = ${k}(${args.join(', ')}); } catch (err) { ${r} = h.udfFailed(${fnName}, [${args.join(', ')}], row, err, ${mode}); }\n` +
        `if (${r} === undefined) ${r} = null;\n` +
        `else if (typeof ${r} === 'object' && ${r} !== null && typeof ${r}.then === 'function') h.udfAsync(${fnName}, [${args.join(', ')}], row);`,
    );
    return { code: r, nullable: true };
  }

  /** Source of the function `(row) => …` returning `result(values)`. */
  source(exprs: readonly Expr[], result: (vs: Value[]) => string): string {
    const body = new Block(null);
    const vs = exprs.map((x) => this.gen(x, body));
    return this.wrap(body, result(vs));
  }

  /**
   * A fused filter + projection: the predicate first (`return null` unless TRUE), then the outputs in the
   * same scope, so columns and sub-expressions the WHERE already computed are reused by the SELECT.
   */
  calcSource(predicate: Expr, exprs: readonly Expr[]): string {
    const body = new Block(null);
    const p = this.gen(predicate, body);
    body.lines.push(`if (${p.code} !== true) return null;`);
    const vs = exprs.map((x) => this.gen(x, body));
    return this.wrap(body, `[${vs.map((v) => v.code).join(', ')}]`);
  }

  private wrap(body: Block, result: string): string {
    const head = this.constants.map((k, i) => `const ${k.name} = k[${i}]; // ${k.note}`);
    return [
      "'use strict';",
      ...head,
      'return function compiled(row) {',
      ...this.prologue.map((l) => `  ${l}`),
      body.render('  '),
      `  return ${result};`,
      '};',
    ]
      .filter((l) => l !== '')
      .join('\n');
  }

  build<F>(src: string): F {
    const factory = new Function('h', 'k', src) as (h: Helpers, k: unknown[]) => F;
    return factory(
      HELPERS,
      this.constants.map((k) => k.value),
    );
  }
}

const shareKeys = new WeakMap<Expr, string | null>();
const constantTrees = new WeakMap<Expr, boolean>();

/** Functions that read the clock: never folded, although they have no column arguments. */
const CLOCKS = new Set(['PROCTIME', 'NOW', 'CURRENT_TIMESTAMP', 'LOCALTIMESTAMP', 'UNIX_TIMESTAMP']);

/** No column and no clock anywhere below (call only on expressions with a share key: deterministic). */
function constantTree(e: Expr): boolean {
  const hit = constantTrees.get(e);
  if (hit !== undefined) return hit;
  const stack: Expr[] = [e];
  let constant = true;
  while (stack.length > 0 && constant) {
    const x = stack.pop()!;
    const known = constantTrees.get(x);
    if (known !== undefined) {
      constant = known;
      continue;
    }
    if (x.kind === 'ColumnRef' || (x.kind === 'Call' && CLOCKS.has(x.fn))) constant = false;
    else stack.push(...childrenOf(x));
  }
  constantTrees.set(e, constant);
  return constant;
}

/**
 * The key under which a sub-expression's value may be shared (equal keys = equal expressions, spans ignored),
 * or null when two evaluations may differ (RAND, UDFs). Built bottom-up and cached per node.
 */
function shareKey(root: Expr): string | null {
  const hit = shareKeys.get(root);
  if (hit !== undefined) return hit;
  // Post-order without recursion: a WHERE of thousands of ORs must not overflow the stack.
  const stack: [Expr, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [e, childrenDone] = stack.pop()!;
    if (shareKeys.has(e)) continue;
    if (childrenDone) {
      shareKeys.set(e, computeShareKey(e));
      continue;
    }
    stack.push([e, true]);
    for (const child of childrenOf(e)) if (!shareKeys.has(child)) stack.push([child, false]);
  }
  return shareKeys.get(root) ?? null;
}

function childrenOf(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'ColumnRef':
    case 'Literal':
      return [];
    case 'Call':
      return e.args;
    case 'Case':
      return [
        ...(e.operand === undefined ? [] : [e.operand]),
        ...e.whens.flatMap((w) => [w.when, w.result]),
        ...(e.else === undefined ? [] : [e.else]),
      ];
    case 'Cast':
      return [e.expr];
    default:
      return assertNever(e);
  }
}

/** Keys longer than this are not worth sharing (and would make long chains quadratic to compile). */
const MAX_KEY = 1000;

/** The key of `e` from its children's keys (already computed); null = do not share. */
function computeShareKey(e: Expr): string | null {
  const child = (x: Expr) => shareKeys.get(x) ?? null;
  let k: string | null;
  switch (e.kind) {
    case 'ColumnRef':
      return `$${e.index}`;
    case 'Literal':
      k = `${JSON.stringify(e.value)}:${JSON.stringify(e.type)}`;
      break;
    case 'Call': {
      if (VOLATILE.has(e.fn) || !Object.hasOwn(BUILTINS, e.fn)) return null;
      const args = e.args.map(child);
      k = args.includes(null) ? null : `${e.fn}(${args.join(',')})`;
      break;
    }
    case 'Case': {
      const parts = [
        e.operand === undefined ? '' : child(e.operand),
        ...e.whens.flatMap((w) => [child(w.when), child(w.result)]),
        e.else === undefined ? '' : child(e.else),
      ];
      k = parts.includes(null) ? null : `CASE(${parts.join('|')})`;
      break;
    }
    case 'Cast': {
      const inner = child(e.expr);
      k = inner === null ? null : `CAST(${inner}:${JSON.stringify(e.to)})`;
      break;
    }
    default:
      return assertNever(e);
  }
  return k !== null && k.length <= MAX_KEY ? k : null;
}

function typeText(t: DataType): string {
  switch (t.kind) {
    case 'DECIMAL':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'TIMESTAMP':
      return `${t.ltz ? 'TIMESTAMP_LTZ' : 'TIMESTAMP'}(${t.precision})`;
    case 'ARRAY':
      return `ARRAY<${typeText(t.element)}>`;
    case 'ROW':
      return `ROW<${t.fields.map((f) => typeText(f.type)).join(', ')}>`;
    default:
      return t.kind;
  }
}

function assertNever(x: never): never {
  throw new Error(`internal error: unexpected expression ${JSON.stringify(x)}`);
}

// ---------------------------------------------------------------------------------------------------------
// Built-in functions, by canonical name (see the `Call` JSDoc of @darq/parser)

function strict(
  min: number,
  max: number,
  body: (a: string[], e: Call, c: Compiler) => string,
  nullable = false,
): Builtin {
  return { min, max, gen: (c, e, b) => c.strict(e, b, (a) => body(a, e, c), nullable) };
}

/** `h.name(args…)` under a NULL guard; helpers that may return NULL say so. */
function helper(name: keyof Helpers, min: number, max: number, nullable = false): Builtin {
  return strict(min, max, (a) => `h.${name}(${a.join(', ')})`, nullable);
}

function math(f: string, arity = 1): Builtin {
  return strict(arity, arity, (a) => `${f}(${a.join(', ')})`);
}

const bothInteger = (e: Call) => isInteger(e.args[0]!.type) && isInteger(e.args[1]!.type);
const anyDecimal = (e: Call) => e.args.some((a) => a.type.kind === 'DECIMAL');

/**
 * A DECIMAL(p, s) result is carried as a double rounded half-up to s decimals, so that 0.1 + 0.2 is 0.3 and
 * a division has the scale the analyzer gave it.
 */
function toScale(e: Call, code: string): string {
  return e.type.kind === 'DECIMAL' && e.type.scale <= 15 ? `h.round(${code}, ${e.type.scale})` : code;
}

function arithmetic(op: '+' | '-' | '*'): Builtin {
  // `+ 0` turns -0 into 0 for exact results (Java ints have no negative zero).
  return strict(2, 2, (a, e) =>
    op === '*' && isInteger(e.type) ? `(${a[0]} * ${a[1]} + 0)` : toScale(e, `(${a[0]} ${op} ${a[1]})`),
  );
}

function division(op: '/' | '%'): Builtin {
  return {
    min: 2,
    max: 2,
    gen: (c, e, b) => {
      if (bothInteger(e)) {
        const divisor = literalNumber(e.args[1]!);
        const body = (a: string[]) =>
          (divisor !== null && divisor !== 0
            ? ''
            : `${a[1]} === 0 ? h.divisionByZero(${JSON.stringify(e.fn)}, ${a[0]}, row) : `) +
          // `(a - a % b) / b` is exact for every safe integer (`%` is exact, the difference a multiple of b),
          // where `Math.trunc(a / b)` can round up near 2^53.
          (op === '/' ? `(${a[0]} - ${a[0]} % ${a[1]}) / ${a[1]} + 0` : `(${a[0]} % ${a[1]}) + 0`);
        return c.strict(e, b, body);
      }
      if (anyDecimal(e) && e.args.every((a) => a.type.kind !== 'DOUBLE')) {
        // DECIMAL is exact: dividing by zero has no value (NULL), where DOUBLE gives ±Infinity/NaN.
        return c.strict(e, b, (a) => `${a[1]} === 0 ? null : ${toScale(e, `${a[0]} ${op} ${a[1]}`)}`, true);
      }
      return c.strict(e, b, (a) => `(${a[0]} ${op} ${a[1]})`);
    },
  };
}

function comparison(op: '===' | '!==' | '<' | '<=' | '>' | '>='): Builtin {
  return strict(2, 2, (a, e) => {
    if (!e.args.some((x) => isStructured(x.type))) return `${a[0]} ${op} ${a[1]}`;
    if (op === '===') return `h.eq(${a[0]}, ${a[1]})`;
    if (op === '!==') return `!h.eq(${a[0]}, ${a[1]})`;
    return `h.cmp(${a[0]}, ${a[1]}) ${op} 0`;
  });
}

function distinct(negate: boolean): Builtin {
  return {
    min: 2,
    max: 2,
    gen: (c, e, b) => {
      const [x, y] = e.args.map((a) => c.gen(a, b)) as [Value, Value];
      const eq = e.args.some((a) => isStructured(a.type))
        ? `h.eq(${x.code}, ${y.code})`
        : `${x.code} === ${y.code}`;
      const same = `(${x.code} == null ? ${y.code} == null : ${y.code} != null && ${eq})`;
      return c.emit(b, negate ? same : `!${same}`, false);
    },
  };
}

/** Three-valued AND / OR, left to right, short-circuiting on the deciding value. */
function logic(op: 'AND' | 'OR'): Builtin {
  const decide = op === 'AND' ? 'false' : 'true';
  const other = op === 'AND' ? 'true' : 'false';
  return {
    min: 1,
    max: Infinity,
    gen: (c, e, b) => {
      // `a AND b AND c` arrives as nested binary calls: flatten them, so a long chain neither recurses deeply
      // here nor nests in the generated code. Left-to-right order (and so short-circuiting) is kept.
      const operands: Expr[] = [];
      const stack: Expr[] = [...e.args].reverse();
      while (stack.length > 0) {
        const x = stack.pop()!;
        if (x.kind === 'Call' && x.fn === op) stack.push(...[...x.args].reverse());
        else operands.push(x);
      }
      let acc = c.gen(operands[0]!, b);
      for (let i = 1; i < operands.length; i++) {
        const out = c.fresh('r');
        const inner = new Block(b);
        const next = c.gen(operands[i]!, inner);
        const nulls = [acc, next].filter((v) => v.nullable).map((v) => `${v.code} == null`);
        const rest = nulls.length === 0 ? other : `${nulls.join(' || ')} ? null : ${other}`;
        inner.lines.push(`${out} = ${next.code} === ${decide} ? ${decide} : ${rest};`);
        b.lines.push(`let ${out} = ${decide};`, `if (${acc.code} !== ${decide}) {\n${inner.render('  ')}\n}`);
        acc = { code: out, nullable: nulls.length > 0 };
      }
      return acc;
    },
  };
}

function isTest(test: (v: string) => string): Builtin {
  return { min: 1, max: 1, gen: (c, e, b) => c.emit(b, test(c.gen(e.args[0]!, b).code), false) };
}

function negateIfNeeded(c: Compiler, b: Block, v: Value, negate: boolean): Value {
  if (!negate) return v;
  return c.emit(b, v.nullable ? `${v.code} == null ? null : !${v.code}` : `!${v.code}`, v.nullable);
}

function likeFn(negate: boolean): Builtin {
  return {
    min: 2,
    max: 2,
    gen: (c, e, b) => {
      const pattern = literalString(e.args[1]!);
      let v: Value;
      if (pattern === null) v = c.strict(e, b, (a) => `h.like(${a[0]}, ${a[1]})`);
      else {
        const test = likeTest(c, pattern);
        v = c.strict(e, b, (a) => test(a[0]!), false, [e.args[0]!]);
      }
      return negateIfNeeded(c, b, v, negate);
    },
  };
}

/** A literal LIKE pattern compiles to the cheapest test: equality, prefix, suffix, substring, or a RegExp. */
function likeTest(c: Compiler, pattern: string): (s: string) => string {
  const inner = pattern.replace(/^%+/, '').replace(/%+$/, '');
  const plain = !/[%_]/.test(inner);
  const lead = pattern.startsWith('%');
  const trail = pattern.endsWith('%') && inner !== '';
  const lit = JSON.stringify(inner);
  if (plain && inner === '' && lead) return () => 'true';
  if (plain && !lead && !trail) return (s) => `${s} === ${lit}`;
  if (plain && !lead && trail) return (s) => `${s}.startsWith(${lit})`;
  if (plain && lead && !pattern.endsWith('%')) return (s) => `${s}.endsWith(${lit})`;
  if (plain && lead && trail) return (s) => `${s}.includes(${lit})`;
  const k = c.constant(fns.likeToRegExp(pattern), `LIKE ${JSON.stringify(pattern)}`);
  return (s) => `${k}.test(${s})`;
}

/** `x IN (v1, …)`: TRUE on a match, else NULL if x or any vi is NULL, else FALSE. */
function inFn(negate: boolean): Builtin {
  return {
    min: 2,
    max: Infinity,
    gen: (c, e, b) => {
      const x = c.gen(e.args[0]!, b);
      const list = e.args.slice(1);
      const structured = e.args.some((a) => isStructured(a.type));
      let v: Value;
      const literals = list.every((a) => a.kind === 'Literal');
      if (literals && !structured && list.length > 4) {
        const values = list.map((a) => (a as Literal).value);
        const set = c.constant(new Set(values.filter((y) => y !== null)), `IN set of ${values.length}`);
        const miss = values.includes(null) ? 'null' : 'false';
        v = c.emit(b, `${x.code} == null ? null : ${set}.has(${x.code}) ? true : ${miss}`, true);
      } else {
        const vs = list.map((a) => c.gen(a, b));
        const eq = (y: Value) => (structured ? `h.eq(${x.code}, ${y.code})` : `${x.code} === ${y.code}`);
        const hits = vs
          .filter((y) => y.code !== 'null')
          .map((y) => (y.nullable ? `(${y.code} != null && ${eq(y)})` : eq(y)));
        const nulls = vs.filter((y) => y.nullable).map((y) => `${y.code} == null`);
        const miss = nulls.length === 0 ? 'false' : `${nulls.join(' || ')} ? null : false`;
        const test = hits.length === 0 ? miss : `${hits.join(' || ')} ? true : ${miss}`;
        v = c.emit(b, x.nullable ? `${x.code} == null ? null : ${test}` : test, true);
      }
      return negateIfNeeded(c, b, v, negate);
    },
  };
}

/** `x BETWEEN lo AND hi` = `x >= lo AND x <= hi` with three-valued AND. */
function betweenFn(negate: boolean): Builtin {
  return {
    min: 3,
    max: 3,
    gen: (c, e, b) => {
      const [x, lo, hi] = e.args.map((a) => c.gen(a, b)) as [Value, Value, Value];
      const structured = e.args.some((a) => isStructured(a.type));
      const ge = structured ? `h.cmp(${x.code}, ${lo.code}) >= 0` : `${x.code} >= ${lo.code}`;
      const le = structured ? `h.cmp(${x.code}, ${hi.code}) <= 0` : `${x.code} <= ${hi.code}`;
      const side = (bound: Value, test: string) =>
        x.nullable || bound.nullable
          ? `(${[x, bound]
              .filter((v) => v.nullable)
              .map((v) => `${v.code} == null`)
              .join(' || ')} ? null : ${test})`
          : test;
      const g = c.emit(b, side(lo, ge), x.nullable || lo.nullable);
      const l = c.emit(b, side(hi, le), x.nullable || hi.nullable);
      const nullable = g.nullable || l.nullable;
      const both = nullable
        ? `${g.code} === false || ${l.code} === false ? false : ${g.code} === null || ${l.code} === null ? null : true`
        : `${g.code} && ${l.code}`;
      return negateIfNeeded(c, b, c.emit(b, both, nullable), negate);
    },
  };
}

/** COALESCE: each later argument is evaluated inside the previous `if (r == null)` block, only when needed. */
/** COALESCE: the first non-NULL argument; each later one is evaluated only while the result is still NULL. */
function coalesceNested(): Builtin {
  return {
    min: 1,
    max: Infinity,
    gen: (c, e, b) => {
      const out = c.fresh('r');
      const first = c.gen(e.args[0]!, b);
      b.lines.push(`let ${out} = ${first.code};`);
      if (!first.nullable || e.args.length === 1) return { code: out, nullable: first.nullable };
      const label = `${out}_coalesce`;
      const body = new Block(b);
      let nullable = true;
      for (let i = 1; i < e.args.length && nullable; i++) {
        body.lines.push(`if (${out} != null) break ${label};`);
        const v = c.gen(e.args[i]!, body);
        body.lines.push(`${out} = ${v.code};`);
        nullable = v.nullable;
      }
      b.lines.push(`${label}: {\n${body.render('  ')}\n}`);
      return { code: out, nullable };
    },
  };
}

function ifFn(): Builtin {
  return {
    min: 3,
    max: 3,
    gen: (c, e, b) => {
      const cond = c.gen(e.args[0]!, b);
      const out = c.fresh('r');
      const t = new Block(b);
      const tv = c.gen(e.args[1]!, t);
      t.lines.push(`${out} = ${tv.code};`);
      const f = new Block(b);
      const fv = c.gen(e.args[2]!, f);
      f.lines.push(`${out} = ${fv.code};`);
      b.lines.push(
        `let ${out};`,
        `if (${cond.code} === true) {\n${t.render('  ')}\n} else {\n${f.render('  ')}\n}`,
      );
      return { code: out, nullable: tv.nullable || fv.nullable };
    },
  };
}

function nullif(): Builtin {
  return {
    min: 2,
    max: 2,
    gen: (c, e, b) => {
      const [x, y] = e.args.map((a) => c.gen(a, b)) as [Value, Value];
      const eq = e.args.some((a) => isStructured(a.type))
        ? `h.eq(${x.code}, ${y.code})`
        : `${x.code} === ${y.code}`;
      return c.emit(b, `${y.nullable ? `${y.code} != null && ` : ''}${eq} ? null : ${x.code}`, true);
    },
  };
}

/** A unit argument (EXTRACT, FLOOR_TIME…) must be a literal: it picks the code at compile time. */
function unitOf(e: Call, arg: number, valid: (u: string) => boolean, list: string): string {
  const u = literalString(e.args[arg]!)?.toUpperCase();
  if (u === undefined || !valid(u)) {
    throw new PlanError(
      'EXPR_BAD_UNIT',
      `${e.fn} ${where(e.span)} needs a time unit literal, one of ${list}` +
        (u === undefined ? '' : `; got '${literalString(e.args[arg]!)}'`),
    );
  }
  return u;
}

function extractFn(): Builtin {
  return {
    min: 2,
    max: 2,
    gen: (c, e, b) => {
      const unit = unitOf(e, 0, isExtractUnit, Object.keys(EXTRACTORS).join(', '));
      const f = EXTRACTORS[unit as keyof typeof EXTRACTORS];
      const k = c.constant(f, `EXTRACT(${unit})`);
      return c.strict(e, b, (a) => `${k}(${a[0]})`, true, [e.args[1]!]);
    },
  };
}

function field(unit: keyof typeof EXTRACTORS): Builtin {
  return {
    min: 1,
    max: 1,
    gen: (c, e, b) => {
      const k = c.constant(EXTRACTORS[unit], `EXTRACT(${unit})`);
      return c.strict(e, b, (a) => `${k}(${a[0]})`, true);
    },
  };
}

function timeRound(kind: 'floor' | 'ceil'): Builtin {
  return {
    min: 2,
    max: 2,
    gen: (c, e, b) => {
      const unit = unitOf(
        e,
        1,
        isTimeUnit,
        'MILLISECOND, SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR',
      );
      if (!isTimeUnit(unit)) throw new Error('unreachable');
      const f = kind === 'floor' ? floorTime(unit) : ceilTime(unit);
      const k = c.constant(f, `${kind.toUpperCase()}(ts TO ${unit})`);
      return c.strict(e, b, (a) => `${k}(${a[0]})`, true, [e.args[0]!]);
    },
  };
}

/** Turns a VARCHAR argument meant as a timestamp into epoch ms (ISO-8601), in generated code. */
function asTimestamp(e: Expr, code: string): string {
  return e.type.kind === 'VARCHAR' ? `h.parseIso(${code})` : code;
}

function dateFormat(): Builtin {
  return {
    min: 2,
    max: 2,
    gen: (c, e, b) => {
      const pattern = literalString(e.args[1]!);
      const ts = (code: string) => asTimestamp(e.args[0]!, code);
      const nullTs = (code: string, rest: string) =>
        e.args[0]!.type.kind === 'VARCHAR'
          ? `((t) => t === null ? null : ${rest.replace('$T', 't')})(${ts(code)})`
          : rest.replace('$T', code);
      if (pattern === null) return c.strict(e, b, (a) => nullTs(a[0]!, `h.formatDyn($T, ${a[1]})`), true);
      const k = c.constant(compileDateFormat(pattern), `DATE_FORMAT '${pattern}'`);
      return c.strict(e, b, (a) => nullTs(a[0]!, `${k}($T)`), true, [e.args[0]!]);
    },
  };
}

/** TO_TIMESTAMP(s[, pattern]) and the parse of UNIX_TIMESTAMP(s[, pattern]). */
function parseCode(c: Compiler, e: Call, a: string[]): string {
  if (e.args.length === 1) return `h.parseIso(${a[0]})`;
  const pattern = literalString(e.args[1]!);
  if (pattern === null) return `h.parseDyn(${a[0]}, ${a[1]})`;
  const k = c.constant(compileDateParser(pattern), `parse '${pattern}'`);
  return `${k}(${a[0]})`;
}

function nowFn(): Builtin {
  return {
    min: 0,
    max: 0,
    gen: (c, _e, b) => {
      const k = c.constant(c.opts.now ?? Date.now, 'clock');
      return c.emit(b, `${k}()`, false);
    },
  };
}

function unixTimestamp(): Builtin {
  return {
    min: 0,
    max: 2,
    gen: (c, e, b) => {
      if (e.args.length === 0) {
        const k = c.constant(c.opts.now ?? Date.now, 'clock');
        return c.emit(b, `Math.floor(${k}() / 1000)`, false);
      }
      if (e.args[0]!.type.kind === 'TIMESTAMP')
        return c.strict(e, b, (a) => `Math.floor(${a[0]} / 1000)`, false, [e.args[0]!]);
      return c.strict(e, b, (a) => `h.truncTo(${parseCode(c, e, a)})`, true);
    },
  };
}

function fromUnixtime(): Builtin {
  return {
    min: 1,
    max: 2,
    gen: (c, e, b) => {
      const pattern = e.args.length === 1 ? 'yyyy-MM-dd HH:mm:ss' : literalString(e.args[1]!);
      if (pattern === null) return c.strict(e, b, (a) => `h.formatDyn(${a[0]} * 1000, ${a[1]})`, true);
      const k = c.constant(compileDateFormat(pattern), `FROM_UNIXTIME '${pattern}'`);
      return c.strict(e, b, (a) => `${k}(${a[0]} * 1000)`, true, [e.args[0]!]);
    },
  };
}

function regexFn(kind: 'extract' | 'test'): Builtin {
  return {
    min: 2,
    max: kind === 'extract' ? 3 : 2,
    gen: (c, e, b) => {
      const pattern = literalString(e.args[1]!);
      const re =
        pattern === null
          ? (a: string[]) => `h.dynRegExp(${a[1]})`
          : (() => {
              const k = c.constant(fns.compileJavaRegExp(pattern, e.fn), `${e.fn} /${pattern}/`);
              return () => k;
            })();
      if (kind === 'test') return c.strict(e, b, (a) => `h.regexpTest(${re(a)}, ${a[0]})`, pattern === null);
      return c.strict(e, b, (a) => `h.regexpExtract(${re(a)}, ${a[0]}, ${a[2] ?? 0})`, true);
    },
  };
}

/** `REGEXP_REPLACE(s, regex, replacement)`: every match; `$1` in the replacement is a group (Java syntax). */
function regexReplace(): Builtin {
  return {
    min: 3,
    max: 3,
    gen: (c, e, b) => {
      const pattern = literalString(e.args[1]!);
      const replacement = literalString(e.args[2]!);
      if (pattern === null || replacement === null) {
        return c.strict(e, b, (a) => `h.regexpReplaceDyn(${a[0]}, ${a[1]}, ${a[2]})`, true);
      }
      const re = fns.compileJavaRegExp(pattern, e.fn);
      const k = c.constant(new RegExp(re.source, `${re.flags}g`), `${e.fn} /${pattern}/g`);
      const r = JSON.stringify(fns.javaReplacement(replacement));
      return c.strict(e, b, (a) => `${a[0]}.replace(${k}, ${r})`, false, [e.args[0]!]);
    },
  };
}

function randFn(): Builtin {
  return {
    min: 0,
    max: 1,
    gen: (c, e, b) => {
      if (e.args.length === 0) return c.emit(b, 'Math.random()', false);
      const seed = literalNumber(e.args[0]!);
      if (seed === null) {
        throw new PlanError('EXPR_BAD_SEED', `RAND(seed) ${where(e.span)} needs a numeric literal seed`);
      }
      const k = c.constant(fns.seededRandom(seed), `RAND(${seed}) generator`);
      return c.emit(b, `${k}()`, false);
    },
  };
}

function valueConstructor(): Builtin {
  return {
    min: 0,
    max: Infinity,
    gen: (c, e, b) => c.emit(b, `[${e.args.map((a) => c.gen(a, b).code).join(', ')}]`, false),
  };
}

function fieldAccess(): Builtin {
  return {
    min: 2,
    max: 2,
    gen: (c, e, b) => {
      const i = literalNumber(e.args[1]!);
      if (i === null || !Number.isInteger(i) || i < 0) {
        throw new PlanError(
          'EXPR_BAD_FIELD',
          `FIELD ${where(e.span)} needs a non-negative integer literal index`,
        );
      }
      return c.strict(e, b, (a) => `${a[0]}[${i}] ?? null`, true, [e.args[0]!]);
    },
  };
}

function roundFn(name: 'round' | 'truncate'): Builtin {
  return strict(1, 2, (a, e) => {
    if (isInteger(e.args[0]!.type) && (a.length === 1 || Number(a[1]) >= 0)) return a[0]!;
    return `h.${name}(${a.join(', ')})`;
  });
}

function ltzFn(): Builtin {
  return strict(1, 2, (a, e) => {
    if (a.length === 1) return a[0]!; // Flink 2: precision defaults to 3 (epoch milliseconds)
    const p = literalNumber(e.args[1]!);
    if (p === null) return `h.ltz(${a[0]}, ${a[1]})`;
    if (p !== 0 && p !== 3) {
      throw new PlanError(
        'EXPR_BAD_PRECISION',
        `TO_TIMESTAMP_LTZ ${where(e.span)}: precision must be 0 (epoch seconds) or 3 (epoch milliseconds), got ${p}`,
      );
    }
    return p === 0 ? `${a[0]} * 1000` : a[0]!;
  });
}

const str = (method: string) => strict(1, 1, (a) => `${a[0]}.${method}()`);

const BUILTINS: Readonly<Record<string, Builtin>> = {
  // arithmetic
  '+': arithmetic('+'),
  '-': arithmetic('-'),
  '*': arithmetic('*'),
  '/': division('/'),
  '%': division('%'),
  MOD: division('%'),
  NEG: strict(1, 1, (a, e) => (isInteger(e.type) ? `(0 - ${a[0]})` : `(-${a[0]})`)),
  // comparison
  '=': comparison('==='),
  '<>': comparison('!=='),
  '<': comparison('<'),
  '<=': comparison('<='),
  '>': comparison('>'),
  '>=': comparison('>='),
  IS_DISTINCT_FROM: distinct(false),
  IS_NOT_DISTINCT_FROM: distinct(true),
  // logic
  AND: logic('AND'),
  OR: logic('OR'),
  NOT: strict(1, 1, (a) => `!${a[0]}`),
  IS_NULL: isTest((v) => `${v} == null`),
  IS_NOT_NULL: isTest((v) => `${v} != null`),
  IS_TRUE: isTest((v) => `${v} === true`),
  IS_FALSE: isTest((v) => `${v} === false`),
  IS_NOT_TRUE: isTest((v) => `${v} !== true`),
  IS_NOT_FALSE: isTest((v) => `${v} !== false`),
  LIKE: likeFn(false),
  NOT_LIKE: likeFn(true),
  IN: inFn(false),
  NOT_IN: inFn(true),
  BETWEEN: betweenFn(false),
  NOT_BETWEEN: betweenFn(true),
  // strings
  '||': strict(1, Infinity, (a) => `"" + ${a.join(' + ')}`),
  CONCAT: strict(1, Infinity, (a) => `"" + ${a.join(' + ')}`),
  CONCAT_WS: {
    min: 1,
    max: Infinity,
    gen: (c, e, b) => {
      const vs = e.args.map((a) => c.gen(a, b));
      const sep = vs[0]!;
      const call = `h.concatWs(${vs.map((v) => v.code).join(', ')})`;
      return c.emit(b, sep.nullable ? `${sep.code} == null ? null : ${call}` : call, sep.nullable);
    },
  },
  LOWER: str('toLowerCase'),
  UPPER: str('toUpperCase'),
  TRIM: helper('trim', 1, 1),
  LTRIM: helper('ltrim', 1, 1),
  RTRIM: helper('rtrim', 1, 1),
  SUBSTRING: helper('substring', 2, 3),
  SUBSTR: helper('substring', 2, 3),
  CHAR_LENGTH: helper('charLength', 1, 1),
  CHARACTER_LENGTH: helper('charLength', 1, 1),
  LENGTH: helper('charLength', 1, 1),
  POSITION: helper('position', 2, 2),
  REPLACE: helper('replace', 3, 3),
  REGEXP_EXTRACT: regexFn('extract'),
  REGEXP: regexFn('test'),
  SPLIT_INDEX: helper('splitIndex', 3, 3, true),
  HASH_CODE: helper('hashCode', 1, 1),
  INITCAP: helper('initcap', 1, 1),
  REVERSE: helper('reverse', 1, 1),
  LPAD: helper('lpad', 3, 3, true),
  RPAD: helper('rpad', 3, 3, true),
  MD5: helper('md5', 1, 1),
  REPEAT: helper('repeat', 2, 2),
  REGEXP_REPLACE: regexReplace(),
  // numbers
  ABS: math('Math.abs'),
  ROUND: roundFn('round'),
  TRUNCATE: roundFn('truncate'),
  FLOOR: strict(1, 1, (a, e) => (isInteger(e.type) ? `Math.floor(${a[0]}) + 0` : `Math.floor(${a[0]})`)),
  CEIL: strict(1, 1, (a, e) => (isInteger(e.type) ? `Math.ceil(${a[0]}) + 0` : `Math.ceil(${a[0]})`)),
  CEILING: strict(1, 1, (a, e) => (isInteger(e.type) ? `Math.ceil(${a[0]}) + 0` : `Math.ceil(${a[0]})`)),
  POWER: math('Math.pow', 2),
  POW: math('Math.pow', 2),
  SQRT: math('Math.sqrt'),
  EXP: math('Math.exp'),
  LN: math('Math.log'),
  LOG10: math('Math.log10'),
  SIN: math('Math.sin'),
  COS: math('Math.cos'),
  TAN: math('Math.tan'),
  LOG2: math('Math.log2'),
  LOG: strict(1, 2, (a) => (a.length === 1 ? `Math.log(${a[0]})` : `Math.log(${a[1]}) / Math.log(${a[0]})`)),
  SIGN: strict(1, 1, (a) => `Math.sign(${a[0]}) + 0`),
  RAND: randFn(),
  // time
  EXTRACT: extractFn(),
  YEAR: field('YEAR'),
  QUARTER: field('QUARTER'),
  MONTH: field('MONTH'),
  WEEK: field('WEEK'),
  DAYOFMONTH: field('DAY'),
  DAYOFYEAR: field('DOY'),
  DAYOFWEEK: field('DOW'),
  HOUR: field('HOUR'),
  MINUTE: field('MINUTE'),
  SECOND: field('SECOND'),
  DATE_FORMAT: dateFormat(),
  TO_TIMESTAMP: { min: 1, max: 2, gen: (c, e, b) => c.strict(e, b, (a) => parseCode(c, e, a), true) },
  TO_TIMESTAMP_LTZ: ltzFn(),
  FLOOR_TIME: timeRound('floor'),
  CEIL_TIME: timeRound('ceil'),
  PROCTIME: nowFn(),
  NOW: nowFn(),
  CURRENT_TIMESTAMP: nowFn(),
  LOCALTIMESTAMP: nowFn(),
  UNIX_TIMESTAMP: unixTimestamp(),
  FROM_UNIXTIME: fromUnixtime(),
  // conditional
  COALESCE: coalesceNested(),
  IFNULL: coalesceNested(),
  NULLIF: nullif(),
  IF: ifFn(),
  GREATEST: helper('greatest', 1, Infinity),
  LEAST: helper('least', 1, Infinity),
  TO_DECIMAL: {
    min: 1,
    max: 1,
    gen: (c, e, b) => {
      const f = castFunction(e.args[0]!.type, e.type);
      if (f === null) return c.gen(e.args[0]!, b);
      const k = c.constant(f, `TO_DECIMAL as ${typeText(e.type)}`);
      return c.strict(e, b, (a) => `${k}(${a[0]})`, true);
    },
  },
  // structured
  CARDINALITY: strict(1, 1, (a) => `${a[0]}.length`),
  ELEMENT_AT: helper('elementAt', 2, 2, true),
  FIELD: fieldAccess(),
  ARRAY: valueConstructor(),
  ROW: valueConstructor(),
};

// ---------------------------------------------------------------------------------------------------------
// Public API

/**
 * Compiles one expression to a function of a row.
 *
 * ```ts
 * // WHERE-less `SELECT UPPER(term) …` over rows [term, …]
 * const f = compileExpr(call('UPPER', [columnRef(0, 'term', VARCHAR, span)], VARCHAR, span));
 * f(['fever']); // 'FEVER'
 * ```
 * Throws a PlanError (code `EXPR_…`) for what can be known before any row: an unknown function or UDF, a
 * wrong argument count, a bad literal regex or date pattern, a non-literal time unit.
 */
export function compileExpr(e: Expr, opts: CompileOptions = {}): (row: Row) => unknown {
  const c = new Compiler(opts);
  return c.build(c.source([e], ([v]) => v!.code));
}

/**
 * Compiles a WHERE/HAVING/ON condition: the function returns true only when the condition is TRUE (NULL and
 * FALSE both drop the row). `compilePredicate(a > 5)` on `[null]` is false.
 */
export function compilePredicate(e: Expr, opts: CompileOptions = {}): (row: Row) => boolean {
  const c = new Compiler(opts);
  return c.build(c.source([e], ([v]) => `${v!.code} === true`));
}

/**
 * Compiles a projection into ONE function that builds the output row; sub-expressions shared between outputs
 * are evaluated once. `compileProjection([a + 1, UPPER(b)])` on `[1, 'x']` gives `[2, 'X']`.
 */
export function compileProjection(es: readonly Expr[], opts: CompileOptions = {}): (row: Row) => Row {
  const c = new Compiler(opts);
  return c.build(c.source(es, (vs) => `[${vs.map((v) => v.code).join(', ')}]`));
}

/**
 * The JavaScript source generated for an expression (for EXPLAIN and debugging); constants are `kN`. UDFs need
 * not be registered: an unknown one appears as a constant like any other.
 */
export function exprToJs(e: Expr, opts: CompileOptions = {}): string {
  return new Compiler(opts, true).source([e], ([v]) => v!.code);
}

/**
 * Compiles a filter and a projection into ONE function (Flink's Calc): `null` when the row does not pass
 * `WHERE`, else the output row. Columns and sub-expressions of the predicate are reused by the outputs.
 * `compileCalc(a > 1, [a * 10])` on `[2]` gives `[20]`, on `[1]` or `[null]` gives `null`.
 */
export function compileCalc(
  predicate: Expr,
  es: readonly Expr[],
  opts: CompileOptions = {},
): (row: Row) => Row | null {
  const c = new Compiler(opts);
  return c.build(c.calcSource(predicate, es));
}

/** The JavaScript source of `compileCalc(predicate, es)` (for EXPLAIN and debugging). */
export function calcToJs(predicate: Expr, es: readonly Expr[], opts: CompileOptions = {}): string {
  return new Compiler(opts, true).calcSource(predicate, es);
}

/** The JavaScript source of `compileProjection(es)` (for EXPLAIN and debugging). */
export function projectionToJs(es: readonly Expr[], opts: CompileOptions = {}): string {
  return new Compiler(opts, true).source(es, (vs) => `[${vs.map((v) => v.code).join(', ')}]`);
}

/** The canonical names of the built-in functions the compiler knows. */
export function builtinFunctionNames(): string[] {
  return Object.keys(BUILTINS);
}
