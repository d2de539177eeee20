/**
 * Run-time helpers of compiled expressions. The generated code calls them as `h.name(…)`; each one receives
 * non-NULL arguments only (the generated code checks NULLs first) unless its comment says otherwise.
 */
import { createHash } from 'node:crypto';
import { PlanError } from '../errors.ts';
import { ExpressionError, showValue } from './errors.ts';
import type { Row } from './types.ts';

// ---------------------------------------------------------------------------------------------------------
// Characters: SQL counts characters (code points), JS strings count UTF-16 units. Strings without surrogates
// (nearly all) take the fast path.

const SURROGATE = /[\uD800-\uDFFF]/;

function codePoints(s: string): string[] | null {
  return SURROGATE.test(s) ? Array.from(s) : null;
}

export function charLength(s: string): number {
  const cps = codePoints(s);
  return cps === null ? s.length : cps.length;
}

/**
 * `SUBSTRING(s, from[, len])`, 1-based. A `from` of 0 is read as 1 and a negative `from` counts from the end
 * (Flink/Hive); a negative length gives the empty string.
 */
export function substring(s: string, from: number, len?: number): string {
  const cps = codePoints(s);
  const n = cps === null ? s.length : cps.length;
  const f = Math.trunc(from);
  let start = f > 0 ? f - 1 : f < 0 ? n + f : 0;
  if (start < 0) start = 0;
  if (start >= n) return '';
  const end = len === undefined ? n : Math.min(n, start + Math.max(0, Math.trunc(len)));
  if (end <= start) return '';
  return cps === null ? s.slice(start, end) : cps.slice(start, end).join('');
}

/** `POSITION(needle IN haystack)`: 1-based character index of the first occurrence, 0 when absent. */
export function position(needle: string, haystack: string): number {
  const i = haystack.indexOf(needle);
  if (i < 0) return 0;
  return SURROGATE.test(haystack) ? Array.from(haystack.slice(0, i)).length + 1 : i + 1;
}

export function reverse(s: string): string {
  return Array.from(s).reverse().join('');
}

/** SQL TRIM: spaces only (not tabs or newlines), as in Flink. */
export function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 32) a++;
  while (b > a && s.charCodeAt(b - 1) === 32) b--;
  return s.slice(a, b);
}

export function ltrim(s: string): string {
  let a = 0;
  while (a < s.length && s.charCodeAt(a) === 32) a++;
  return s.slice(a);
}

export function rtrim(s: string): string {
  let b = s.length;
  while (b > 0 && s.charCodeAt(b - 1) === 32) b--;
  return s.slice(0, b);
}

/** `REPLACE(s, search, replacement)`: every occurrence, literally (no `$` patterns). */
export function replace(s: string, search: string, replacement: string): string {
  return s.replaceAll(search, () => replacement);
}

/** `SPLIT_INDEX(s, sep, i)`: the i-th (0-based) piece, NULL when out of range. */
export function splitIndex(s: string, sep: string, i: number): string | null {
  if (i < 0 || !Number.isInteger(i)) return null;
  if (sep === '') return s.split(/\s+/).filter((p) => p !== '')[i] ?? null;
  // s.split(sep)[i] without the array: skip i separators, left to right.
  let from = 0;
  for (let k = 0; k < i; k++) {
    const at = s.indexOf(sep, from);
    if (at < 0) return null;
    from = at + sep.length;
  }
  const at = s.indexOf(sep, from);
  return at < 0 ? s.slice(from) : s.slice(from, at);
}

/** Java's String.hashCode: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 units, in 32-bit arithmetic. */
export function hashCode(v: unknown): number {
  const s = typeof v === 'string' ? v : String(v);
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Upper-cases the first letter of each word and lower-cases the rest; a word is a run of letters/digits. */
export function initcap(s: string): string {
  let out = '';
  let startOfWord = true;
  for (const ch of s) {
    const alnum = /[\p{L}\p{N}]/u.test(ch);
    out += alnum ? (startOfWord ? ch.toUpperCase() : ch.toLowerCase()) : ch;
    startOfWord = !alnum;
  }
  return out;
}

/** `LPAD(s, len, pad)` (Flink): NULL for a negative length or an empty pad; truncates a longer `s`. */
export function lpad(s: string, len: number, padding: string): string | null {
  return padTo(s, len, padding, true);
}

export function rpad(s: string, len: number, padding: string): string | null {
  return padTo(s, len, padding, false);
}

function padTo(s: string, len: number, padding: string, left: boolean): string | null {
  if (len < 0 || padding === '') return null;
  const cps = Array.from(s);
  if (len <= cps.length) return cps.slice(0, len).join('');
  const p = Array.from(padding);
  const fill: string[] = [];
  for (let i = 0; fill.length < len - cps.length; i++) fill.push(p[i % p.length]!);
  return left ? fill.join('') + s : s + fill.join('');
}

/** `REPEAT(s, n)`: `s` n times; empty for n ≤ 0. */
export function repeat(s: string, n: number): string {
  return n > 0 ? s.repeat(Math.trunc(n)) : '';
}

export function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------------------
// LIKE and regular expressions

/** Translates a SQL LIKE pattern (`%`, `_`, no escape character) to an anchored, dotall RegExp. */
export function likeToRegExp(pattern: string): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '%') src += '.*';
    else if (ch === '_') src += '.';
    else src += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'su');
}

const likeCache = new Map<string, RegExp>();
const regexCache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 512;

function cached<V>(cache: Map<string, V>, key: string, make: () => V): V {
  const hit = cache.get(key);
  if (hit !== undefined || cache.has(key)) return hit as V;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  const v = make();
  cache.set(key, v);
  return v;
}

/** LIKE with a pattern that changes per row (a column): one RegExp per distinct pattern, cached. */
export function like(s: string, pattern: string): boolean {
  return cached(likeCache, pattern, () => likeToRegExp(pattern)).test(s);
}

/**
 * Java regex → JS RegExp. Leading inline flags `(?i)`, `(?s)`, `(?m)` (Java) become RegExp flags; `\p{…}`
 * turns on Unicode mode. Other Java-only syntax (possessive quantifiers, `\Q…\E`) is not translated.
 */
export function javaRegExp(pattern: string): RegExp {
  let p = pattern;
  let flags = '';
  const inline = /^\(\?([ism]+)\)/.exec(p);
  if (inline) {
    flags = [...new Set(inline[1]!)].join('');
    p = p.slice(inline[0].length);
  }
  if (p.includes('\\p{') || p.includes('\\P{')) flags += 'u';
  return new RegExp(p, flags);
}

/** A RegExp for a literal pattern at compile time: a bad pattern is a PlanError, not a NULL per row. */
export function compileJavaRegExp(pattern: string, fn: string): RegExp {
  try {
    return javaRegExp(pattern);
  } catch (err) {
    throw new PlanError(
      'EXPR_BAD_REGEX',
      `${fn}: invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}; ` +
        `darq runs regular expressions with JavaScript syntax (Java inline flags (?i)(?s)(?m) are accepted)`,
    );
  }
}

/** A regex that changes per row: cached; an invalid one yields null (the caller returns SQL NULL). */
export function dynRegExp(pattern: string): RegExp | null {
  return cached(regexCache, pattern, () => {
    try {
      return javaRegExp(pattern);
    } catch {
      return null;
    }
  });
}

/**
 * A Java `replaceAll` replacement in JS syntax: `$n` and `${name}` are groups, `\x` is a literal x; JS's own
 * `$&`, `$'` and `$$` mean nothing special in Java, so a `$` not followed by a group is literal.
 */
export function javaReplacement(r: string): string {
  let out = '';
  for (let i = 0; i < r.length; i++) {
    const ch = r[i]!;
    if (ch === '\\' && i + 1 < r.length) {
      const next = r[++i]!;
      out += next === '$' ? '$$' : next;
    } else if (ch === '$') {
      const named = /^\{([A-Za-z][A-Za-z0-9]*)\}/.exec(r.slice(i + 1));
      if (named) {
        out += `$<${named[1]}>`;
        i += named[0].length;
      } else if (/[0-9]/.test(r[i + 1] ?? '')) out += '$';
      else out += '$$';
    } else out += ch;
  }
  return out;
}

/** REGEXP_REPLACE with a per-row pattern or replacement: NULL for an invalid pattern. */
export function regexpReplaceDyn(s: string, pattern: string, replacement: string): string | null {
  const re = cached(regexCache, `\0g${pattern}`, () => {
    const r = dynRegExp(pattern);
    return r === null ? null : new RegExp(r.source, `${r.flags}g`);
  });
  return re === null ? null : s.replace(re, javaReplacement(replacement));
}

/** `REGEXP_EXTRACT(s, re, group)`: NULL when nothing matches or the group does not exist/participate. */
export function regexpExtract(re: RegExp | null, s: string, group: number): string | null {
  if (re === null) return null;
  const m = re.exec(s);
  if (m === null || group < 0 || group >= m.length) return null;
  return m[group] ?? null;
}

export function regexpTest(re: RegExp | null, s: string): boolean | null {
  return re === null ? null : re.test(s);
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

/** Shifts the decimal point of a number's shortest text by `k` places, exactly (no binary rounding). */
function shift(x: number, k: number): number {
  const [mant, exp] = String(x).split('e');
  return Number(`${mant}e${Number(exp ?? 0) + k}`);
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** A bound, with a wide margin, on the binary error of `a * 10^d` against the decimal it stands for. */
function tolerance(y: number): number {
  return y * 1e-13 + 1e-9;
}

/**
 * `ROUND(x, d)`: half away from zero on the decimal digits the number prints with, like Java's
 * `BigDecimal.valueOf(x).setScale(d, HALF_UP)` (so ROUND(1.005, 2) = 1.01, ROUND(-2.5) = -3).
 * Fast path in binary; a value whose scaled fraction is so close to one half that binary error could flip
 * the decision is decided against the exact decimal midpoint.
 */
export function round(x: number, d = 0): number {
  if (!Number.isFinite(x)) return x;
  const digits = Math.trunc(d);
  const a = Math.abs(x);
  let r: number;
  const p = POW10[digits];
  const y = p === undefined ? Number.NaN : a * p;
  if (y < 1e12) {
    const fl = Math.floor(y);
    if (Math.abs(y - fl - 0.5) > tolerance(y)) r = Math.round(y) / p!;
    else {
      // Near one half: compare with the double nearest to the exact decimal midpoint. `a` prints as that
      // midpoint exactly when it is that double, so `>=` is HALF_UP on the printed digits.
      const mid = Number(`${fl * 10 + 5}e-${digits + 1}`);
      r = (a >= mid ? fl + 1 : fl) / p!;
    }
  } else r = digits === 0 ? Math.round(a) : shift(Math.round(shift(a, digits)), -digits);
  // `+ 0`: a result of zero is 0, never -0 (BigDecimal has no negative zero).
  return (x < 0 ? -r : r) + 0;
}

/** `TRUNCATE(x, d)`: drops digits past `d` decimals, toward zero (exact near integers, like ROUND). */
export function truncate(x: number, d = 0): number {
  if (!Number.isFinite(x)) return x;
  const digits = Math.trunc(d);
  const a = Math.abs(x);
  const p = POW10[digits];
  const y = p === undefined ? Number.NaN : a * p;
  let r: number;
  if (y < 1e12) {
    const near = Math.round(y);
    if (Math.abs(y - near) > tolerance(y)) r = Math.floor(y) / p!;
    else r = (a >= Number(`${near}e-${digits}`) ? near : near - 1) / p!;
  } else r = digits === 0 ? Math.trunc(a) : shift(Math.trunc(shift(a, digits)), -digits);
  return (x < 0 ? -r : r) + 0;
}

/** Java's `Double.toString`: `1.0`, `0.001`, `1.0E7`, `1.234E-5`, `NaN`, `Infinity`. */
export function doubleToString(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mant, exp] = x.toExponential().split('e');
  return `${mant!.includes('.') ? mant : `${mant}.0`}E${Number(exp)}`;
}

/** A small deterministic generator for `RAND(seed)` (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = hashCode(String(seed)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Structured values (ARRAY, ROW): SQL equality and ordering element by element

/** Equality of two non-NULL values; arrays compare element by element (NULL elements equal each other). */
export function eq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null ? x !== y : !eq(x, y)) return false;
  }
  return true;
}

/** Ordering of two non-NULL values: numbers, strings (UTF-16 order, as Java), booleans, arrays (lexicographic). */
export function cmp(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a[i] ?? null;
      const y = b[i] ?? null;
      if (x === null || y === null) {
        if (x !== y) return x === null ? -1 : 1;
        continue;
      }
      const c = cmp(x, y);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------
// Failures

export function divisionByZero(op: string, a: unknown, row: Row): never {
  throw new ExpressionError(
    'EXPR_DIVISION_BY_ZERO',
    `division by zero: ${showValue(a)} ${op} 0 on exact integers, in row ${showValue(row)}; ` +
      `guard the divisor (NULLIF(divisor, 0)) or divide as DOUBLE`,
    { fn: op, args: [a, 0], row },
  );
}

export function udfFailed(fn: string, args: unknown[], row: Row, err: unknown, mode: 'fail' | 'null'): null {
  if (mode === 'null') return null;
  const why = err instanceof Error ? err.message : String(err);
  throw new ExpressionError(
    'EXPR_UDF_FAILED',
    `UDF ${fn}(${args.map(showValue).join(', ')}) threw: ${why}; in row ${showValue(row)} ` +
      `(fix the function, or let failures yield NULL with onUdfError = 'null')`,
    { fn, args, row, cause: err },
  );
}

export function udfAsync(fn: string, args: unknown[], row: Row): never {
  throw new ExpressionError(
    'EXPR_UDF_ASYNC',
    `UDF ${fn}(${args.map(showValue).join(', ')}) returned a Promise; scalar UDFs must be synchronous`,
    { fn, args, row },
  );
}
