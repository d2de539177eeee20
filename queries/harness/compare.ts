/**
 * Output comparison for conformance cases, following the rules of
 * `shared/conformance/arroyo/README.md` ("Comparison rule"), adapted to JavaScript numbers:
 *
 * - `multiset_exact` (append output): same number of lines, and the lines as parsed JSON values are equal
 *   as a multiset — order-insensitive, duplicates count, object key order ignored.
 * - `debezium_final_state` (updating output): both changelogs are replayed into a table keyed by the
 *   primary-key columns (the whole row when there is none); every change must be valid (`c` must not hit
 *   a live key, `u` and `d` must name a live key, `u`'s new key must be free); the final tables must be
 *   equal as sets of rows. Intermediate traffic may differ.
 * - The mode is chosen by the first actual line (`compareOutput`): a string field `op` means Debezium.
 *   An empty actual output always fails.
 *
 * Values: numbers compare by value (`JSON.parse` cannot tell `101` from `101.0`); two safe integers must
 * be exactly equal, any other pair of numbers may differ by a relative 1e-9. `-0 == 0`. Types are strict
 * otherwise (`"155"` ≠ `155`), and `null` ≠ a missing key.
 *
 * ```ts
 * const r = compareMultisetExact(readLines('out.jsonl'), readLines('golden.json'));
 * if (!r.ok) console.error(r.message);   // "2 missing rows, 1 extra row …"
 * ```
 */

export interface CompareResult {
  readonly ok: boolean;
  /** One line when ok; otherwise a readable report: counts, missing rows, extra rows, first mismatches. */
  readonly message: string;
}

export type CompareMode = 'multiset_exact' | 'debezium_final_state';

/** A parsed JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Relative tolerance for numbers that are not both safe integers. */
export const FLOAT_TOLERANCE = 1e-9;
/** How many rows of each kind a failure message lists. */
const SHOW = 5;

/** Splits file text into lines: `\n` or `\r\n`, a final newline does not make an empty last line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Reads the `--pk=a,b` header of a conformance query (line 1); `undefined` when there is none. */
export function parsePkHeader(sql: string): string[] | undefined {
  const first = splitLines(sql)[0] ?? '';
  const m = /^--pk=(\S+)\s*$/.exec(first.trim());
  if (!m) return undefined;
  return m[1]!.split(',').map((k) => k.trim());
}

/** Numbers equal by value: exact for two safe integers, else within a relative {@link FLOAT_TOLERANCE}. */
export function numbersEqual(a: number, b: number): boolean {
  if (a === b) return true;
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return false;
  return Math.abs(a - b) <= FLOAT_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** JSON value equality with the number rule of {@link numbersEqual}; object key order is ignored. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (typeof a === 'number' && typeof b === 'number') return numbersEqual(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]!));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k]!, b[k]!));
}

/** JSON text with object keys sorted at every level and `-0` written as `0`: equal values, equal text. */
export function canonicalJson(v: Json): string {
  if (v === null || typeof v !== 'object') return typeof v === 'number' && v === 0 ? '0' : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k]!)}`).join(',')}}`;
}

interface Parsed {
  readonly rows: Json[];
  readonly errors: string[];
}

function parseLines(lines: readonly string[], label: string): Parsed {
  const rows: Json[] = [];
  const errors: string[] = [];
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  for (let i = 0; i < end; i++) {
    const line = lines[i]!;
    if (line.trim() === '') {
      errors.push(`${label} line ${i + 1} is blank`);
      continue;
    }
    try {
      rows.push(JSON.parse(line) as Json);
    } catch (e) {
      errors.push(`${label} line ${i + 1} is not JSON (${(e as Error).message}): ${clip(line)}`);
    }
  }
  return { rows, errors };
}

function clip(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function fail(lines: string[]): CompareResult {
  return { ok: false, message: lines.join('\n') };
}

interface Matching {
  /** Golden rows with no equal actual row. */
  readonly missing: Json[];
  /** Actual rows with no equal golden row. */
  readonly extra: Json[];
}

/**
 * Leftover rows are compared pairwise (stage 3 below) only while missing × extra stays under this; past it,
 * rows that differ only by float noise in an integer-valued number are reported as missing + extra.
 */
const PAIRWISE_LIMIT = 4_000_000;

/** Canonical text with every number that is not a safe integer written as `#`: rows equal within the float
 * tolerance (except around integer values) share it. */
function looseKey(v: Json): string {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? canonicalJson(v) : '#';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(looseKey).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${looseKey(v[k]!)}`).join(',')}}`;
}

function bucketBy(rows: readonly Json[], key: (r: Json) => string): Map<string, Json[]> {
  const buckets = new Map<string, Json[]>();
  for (const r of rows) {
    const k = key(r);
    const b = buckets.get(k);
    if (b) b.push(r);
    else buckets.set(k, [r]);
  }
  return buckets;
}

/** Greedily pairs each actual row with a tolerance-equal golden row; returns both sides' leftovers. */
function pairwise(actual: readonly Json[], golden: readonly Json[]): Matching {
  const missing = [...golden];
  const extra: Json[] = [];
  for (const a of actual) {
    const at = missing.findIndex((g) => jsonEqual(a, g));
    if (at >= 0) missing.splice(at, 1);
    else extra.push(a);
  }
  return { missing, extra };
}

/**
 * Pairs equal rows of two multisets in three stages: (1) by canonical text, exactly; (2) the leftovers
 * grouped by {@link looseKey}, pairwise with the number tolerance inside each group; (3) what is still
 * left, pairwise across groups (only below {@link PAIRWISE_LIMIT}). Greedy pairing is exact here because
 * tolerance equality is transitive for all practical purposes.
 */
function matchMultisets(actual: readonly Json[], golden: readonly Json[]): Matching {
  const pending = bucketBy(golden, canonicalJson);
  const unmatched: Json[] = [];
  for (const a of actual) {
    const bucket = pending.get(canonicalJson(a));
    if (bucket && bucket.length > 0) bucket.pop();
    else unmatched.push(a);
  }
  const leftGolden = bucketBy([...pending.values()].flat(), looseKey);
  let missing: Json[] = [];
  let extra: Json[] = [];
  for (const [key, rows] of bucketBy(unmatched, looseKey)) {
    const m = pairwise(rows, leftGolden.get(key) ?? []);
    leftGolden.delete(key);
    missing.push(...m.missing);
    extra.push(...m.extra);
  }
  for (const rows of leftGolden.values()) missing.push(...rows);
  if (missing.length > 0 && extra.length > 0 && missing.length * extra.length <= PAIRWISE_LIMIT) {
    ({ missing, extra } = pairwise(extra, missing));
  }
  return { missing, extra };
}

/** Describes how an actual row differs from the golden row most like it (most equal top-level fields). */
function firstMismatches(missing: readonly Json[], extra: readonly Json[]): string[] {
  const out: string[] = [];
  for (const g of missing.slice(0, SHOW)) {
    if (g === null || typeof g !== 'object' || Array.isArray(g)) continue;
    let best: { [key: string]: Json } | undefined;
    let bestScore = -1;
    for (const a of extra) {
      if (a === null || typeof a !== 'object' || Array.isArray(a)) continue;
      const score = Object.keys(g).filter((k) => Object.hasOwn(a, k) && jsonEqual(g[k]!, a[k]!)).length;
      if (score > bestScore) {
        best = a;
        bestScore = score;
      }
    }
    if (!best) continue;
    const keys = [...new Set([...Object.keys(g), ...Object.keys(best)])].sort();
    const diffs = keys
      .filter((k) => !(Object.hasOwn(g, k) && Object.hasOwn(best, k) && jsonEqual(g[k]!, best[k]!)))
      .map((k) => `${k}: golden ${show(g, k)}, actual ${show(best, k)}`);
    out.push(`  golden ${canonicalJson(g)}\n    closest actual differs in ${diffs.join('; ')}`);
  }
  return out;
}

function show(row: { [key: string]: Json }, key: string): string {
  return Object.hasOwn(row, key) ? canonicalJson(row[key]!) : '(missing key)';
}

function listRows(title: string, rows: readonly Json[]): string[] {
  if (rows.length === 0) return [];
  const shown = rows.slice(0, SHOW).map((r) => `  ${clip(canonicalJson(r))}`);
  const more = rows.length > SHOW ? [`  … and ${rows.length - SHOW} more`] : [];
  return [`${title} (${rows.length}):`, ...shown, ...more];
}

function differenceReport(headline: string, m: Matching): string[] {
  const mismatches = firstMismatches(m.missing, m.extra);
  return [
    headline,
    ...listRows('missing rows (in golden, not in actual)', m.missing),
    ...listRows('extra rows (in actual, not in golden)', m.extra),
    ...(mismatches.length > 0 ? ['first mismatches:', ...mismatches] : []),
  ];
}

/**
 * Append-output comparison: order-insensitive multiset equality of JSON lines.
 *
 * ```ts
 * compareMultisetExact(['{"a":1,"b":2}'], ['{"b":2,"a":1.0}']).ok   // true
 * compareMultisetExact(['{"a":1}'], ['{"a":1}', '{"a":1}']).ok      // false: 1 missing row
 * ```
 */
export function compareMultisetExact(
  actualLines: readonly string[],
  goldenLines: readonly string[],
): CompareResult {
  const actual = parseLines(actualLines, 'actual');
  const golden = parseLines(goldenLines, 'golden');
  const errors = [...actual.errors, ...golden.errors];
  if (errors.length > 0) return fail(['unreadable output:', ...errors.slice(0, SHOW).map((e) => `  ${e}`)]);
  if (actual.rows.length === 0)
    return fail([`actual output is empty (golden has ${golden.rows.length} rows)`]);
  const m = matchMultisets(actual.rows, golden.rows);
  const counts = `actual ${plural(actual.rows.length, 'row')}, golden ${plural(golden.rows.length, 'row')}`;
  if (m.missing.length === 0 && m.extra.length === 0) {
    return { ok: true, message: `multiset_exact: ${plural(actual.rows.length, 'row')} equal` };
  }
  return fail(
    differenceReport(
      `multiset_exact: ${counts}; ${plural(m.missing.length, 'missing row')}, ${plural(m.extra.length, 'extra row')}`,
      m,
    ),
  );
}

interface Replay {
  /** Live rows by key (canonical JSON of the key columns, or of the whole row without a pk). */
  readonly table: Map<string, Json>;
  readonly violations: string[];
}

function keyOf(row: Json, pk: readonly string[] | undefined): string {
  if (!pk || pk.length === 0) return canonicalJson(row);
  const obj = row !== null && typeof row === 'object' && !Array.isArray(row) ? row : {};
  return canonicalJson(pk.map((k) => (Object.hasOwn(obj, k) ? obj[k]! : null)));
}

function isRow(v: Json | undefined): v is { [key: string]: Json } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** Replays a Debezium changelog into a keyed table, recording every invalid change. */
function replayChangelog(rows: readonly Json[], pk: readonly string[] | undefined, label: string): Replay {
  const table = new Map<string, Json>();
  const violations: string[] = [];
  rows.forEach((change, i) => {
    const where = `${label} line ${i + 1}`;
    if (!isRow(change)) {
      violations.push(`${where}: not a JSON object: ${clip(canonicalJson(change))}`);
      return;
    }
    const op = change.op;
    const before = change.before;
    const after = change.after;
    const remove = (what: string): boolean => {
      if (!isRow(before)) {
        violations.push(`${where}: '${op}' without a 'before' row`);
        return false;
      }
      const key = keyOf(before, pk);
      if (!table.has(key)) {
        violations.push(`${where}: '${op}' ${what} key ${key}, which is not live`);
        return false;
      }
      table.delete(key);
      return true;
    };
    const insert = (): void => {
      if (!isRow(after)) {
        violations.push(`${where}: '${op}' without an 'after' row`);
        return;
      }
      const key = keyOf(after, pk);
      if (table.has(key)) {
        violations.push(`${where}: '${op}' inserts key ${key}, which is already live`);
        return;
      }
      table.set(key, after);
    };
    switch (op) {
      case 'c':
        insert();
        break;
      case 'u':
        if (remove('updates')) insert();
        break;
      case 'd':
        remove('deletes');
        break;
      default:
        violations.push(`${where}: 'op' is ${JSON.stringify(op ?? null)}, expected "c", "u" or "d"`);
    }
  });
  return { table, violations };
}

/**
 * Updating-output comparison: replays both Debezium changelogs (`{"before","after","op"}` lines) into
 * tables keyed by `pk` (the whole row when `pk` is absent or empty), checks that every change is valid,
 * and compares the final tables as sets of rows.
 *
 * ```ts
 * compareDebeziumFinalState(
 *   ['{"before":null,"after":{"k":1,"v":1},"op":"c"}', '{"before":{"k":1,"v":1},"after":{"k":1,"v":2},"op":"u"}'],
 *   ['{"before":null,"after":{"k":1,"v":2},"op":"c"}'],
 *   ['k'],
 * ).ok   // true: same final state
 * ```
 */
export function compareDebeziumFinalState(
  actualLines: readonly string[],
  goldenLines: readonly string[],
  pk?: readonly string[],
): CompareResult {
  const actual = parseLines(actualLines, 'actual');
  const golden = parseLines(goldenLines, 'golden');
  const errors = [...actual.errors, ...golden.errors];
  if (errors.length > 0) return fail(['unreadable output:', ...errors.slice(0, SHOW).map((e) => `  ${e}`)]);
  if (actual.rows.length === 0)
    return fail([`actual output is empty (golden has ${golden.rows.length} changes)`]);
  const a = replayChangelog(actual.rows, pk, 'actual');
  const g = replayChangelog(golden.rows, pk, 'golden');
  const keyText = pk && pk.length > 0 ? `pk (${pk.join(', ')})` : 'whole-row key';
  if (a.violations.length > 0 || g.violations.length > 0) {
    const violations = [...a.violations, ...g.violations];
    return fail([
      `debezium_final_state: invalid changelog (${keyText}): ${plural(violations.length, 'violation')}`,
      ...violations.slice(0, SHOW).map((v) => `  ${v}`),
      ...(violations.length > SHOW ? [`  … and ${violations.length - SHOW} more`] : []),
    ]);
  }
  const missing: Json[] = [];
  const extra: Json[] = [];
  const aOnly = new Map(a.table);
  for (const [key, row] of g.table) {
    const other = aOnly.get(key);
    if (other !== undefined && jsonEqual(row, other)) aOnly.delete(key);
    else missing.push(row);
  }
  extra.push(...aOnly.values());
  let m: Matching = { missing, extra };
  // Without a pk the key is the row's exact text: rows equal only within the float tolerance land on
  // different keys, so pair the leftovers once more by tolerant equality.
  if (!pk || pk.length === 0) m = matchMultisets(extra, missing);
  const counts = `${changeCount(actual.rows.length, a.table.size)} actual, ${changeCount(golden.rows.length, g.table.size)} golden`;
  if (m.missing.length === 0 && m.extra.length === 0) {
    return { ok: true, message: `debezium_final_state (${keyText}): ${counts}; final states equal` };
  }
  return fail(
    differenceReport(
      `debezium_final_state (${keyText}): ${counts}; ${plural(m.missing.length, 'missing final row')}, ${plural(m.extra.length, 'extra final row')}`,
      m,
    ),
  );
}

function changeCount(changes: number, live: number): string {
  return `${plural(changes, 'change')} → ${plural(live, 'live row')}`;
}

/** The comparison Arroyo's harness would pick: Debezium if the first actual line has a string `op`. */
export function detectMode(actualLines: readonly string[]): CompareMode {
  const first = actualLines.find((l) => l.trim() !== '');
  if (first === undefined) return 'multiset_exact';
  try {
    const v = JSON.parse(first) as Json;
    return isRow(v) && typeof v.op === 'string' ? 'debezium_final_state' : 'multiset_exact';
  } catch {
    return 'multiset_exact';
  }
}

/**
 * Compares an output file with its golden the way Arroyo's harness does: the mode comes from the first
 * actual line (see {@link detectMode}); `pk` applies to the Debezium mode only. An empty output fails.
 */
export function compareOutput(
  actualLines: readonly string[],
  goldenLines: readonly string[],
  pk?: readonly string[],
): CompareResult & { readonly mode: CompareMode } {
  const mode = detectMode(actualLines);
  const r =
    mode === 'debezium_final_state'
      ? compareDebeziumFinalState(actualLines, goldenLines, pk)
      : compareMultisetExact(actualLines, goldenLines);
  return { ...r, mode };
}
