/**
 * Time helpers of the expression compiler. Timestamps are epoch milliseconds (UTC), intervals milliseconds.
 * Everything here is UTC: darq has no session time zone, so TIMESTAMP and TIMESTAMP_LTZ format alike.
 */
import { PlanError } from '../errors.ts';

const MS_SECOND = 1000;
const MS_MINUTE = 60_000;
const MS_HOUR = 3_600_000;
const MS_DAY = 86_400_000;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Floor modulo: the remainder has the sign of the divisor, so times before 1970 floor downwards. */
function fmod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r + 0;
}

function pad(n: number, width: number): string {
  if (width === 2 && n >= 0 && n < 100) return n < 10 ? `0${n}` : `${n}`;
  const s = String(Math.abs(n));
  const p = s.length >= width ? s : '0'.repeat(width - s.length) + s;
  return n < 0 ? `-${p}` : p;
}

function validMs(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
}

function daysInMonth(year: number, month1: number): number {
  return new Date(Date.UTC(year, month1, 0)).getUTCDate();
}

/** `Date.UTC` without its two-digit-year quirk (years 0..99 would become 1900..1999). */
function utc(year: number, month0: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month0, day);
  d.setUTCHours(h, mi, s, ms);
  return d.getTime();
}

// ---------------------------------------------------------------------------------------------------------
// ISO-8601 parsing (CAST(VARCHAR AS TIMESTAMP), TO_TIMESTAMP(s) without a pattern)

const ISO =
  /^\s*([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\s*$/;

/**
 * Parses `yyyy-MM-dd`, `yyyy-MM-dd HH:mm[:ss[.fff…]]` (a `T` or a space between date and time) with an
 * optional `Z` or `±hh[:mm]` offset; a string without an offset is UTC. Digits past milliseconds are
 * truncated. Returns null when the text is not such a timestamp or names an impossible date.
 */
export function parseIsoTimestamp(s: string): number | null {
  const m = ISO.exec(s);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let t = utc(year, month - 1, day, hour, minute, second, ms);
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') t -= offsetMs(zone);
  return validMs(t) ? t : null;
}

function offsetMs(zone: string): number {
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const mi = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (h * MS_HOUR + mi * MS_MINUTE);
}

/**
 * The civil (proleptic Gregorian, UTC) date of a day number since 1970-01-01, by integer arithmetic
 * (H. Hinnant's algorithm): several times faster than a `Date` and its getUTC* calls on the hot path.
 */
function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

function civilOf(ms: number): { y: number; m: number; d: number } {
  return civilFromDays(Math.floor(ms / MS_DAY));
}

const CUMULATIVE_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}

/** `yyyy-MM-dd HH:mm:ss.SSS`, the text of CAST(TIMESTAMP AS VARCHAR). */
export function timestampToString(ms: number): string | null {
  if (!validMs(ms)) return null;
  const days = Math.floor(ms / MS_DAY);
  const t = ms - days * MS_DAY;
  const { y, m, d } = civilFromDays(days);
  const h = Math.floor(t / MS_HOUR);
  const mi = Math.floor((t % MS_HOUR) / MS_MINUTE);
  const sec = Math.floor((t % MS_MINUTE) / MS_SECOND);
  const frac = t % MS_SECOND;
  const year = y >= 1000 && y <= 9999 ? `${y}` : pad(y, 4);
  return `${year}-${pad2(m)}-${pad2(d)} ${pad2(h)}:${pad2(mi)}:${pad2(sec)}.${pad3(frac)}`;
}

/** A day-time interval the way Flink prints one: `+1 02:03:04.005`, `-0 00:00:01.000`. */
export function intervalToString(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  let a = Math.abs(ms);
  const days = Math.floor(a / MS_DAY);
  a -= days * MS_DAY;
  const h = Math.floor(a / MS_HOUR);
  a -= h * MS_HOUR;
  const mi = Math.floor(a / MS_MINUTE);
  a -= mi * MS_MINUTE;
  const s = Math.floor(a / MS_SECOND);
  const f = Math.round(a - s * MS_SECOND);
  return `${sign}${days} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(f, 3)}`;
}

// ---------------------------------------------------------------------------------------------------------
// EXTRACT and the calendar field functions

export type ExtractUnit =
  | 'YEAR'
  | 'QUARTER'
  | 'MONTH'
  | 'WEEK'
  | 'DAY'
  | 'DOW'
  | 'DOY'
  | 'HOUR'
  | 'MINUTE'
  | 'SECOND'
  | 'MILLISECOND'
  | 'EPOCH';

/** Monday-based ISO-8601 week of the year (1..53). */
function isoWeek(ms: number): number {
  const d = new Date(ms);
  const dayNum = (d.getUTCDay() + 6) % 7; // Monday = 0
  // The Thursday of this week decides the week's year.
  const thursday = Math.floor(ms / MS_DAY) * MS_DAY - dayNum * MS_DAY + 3 * MS_DAY;
  const ty = new Date(thursday).getUTCFullYear();
  const firstThursday = utc(ty, 0, 4);
  const ftDayNum = (new Date(firstThursday).getUTCDay() + 6) % 7;
  const week1Monday = firstThursday - ftDayNum * MS_DAY;
  return Math.floor((thursday - week1Monday) / (7 * MS_DAY)) + 1;
}

/**
 * One field of a timestamp, Flink/Calcite style: DOW is 1 (Sunday) … 7 (Saturday), DOY 1…366, WEEK the ISO
 * week, EPOCH whole seconds since 1970, MILLISECOND the seconds and milliseconds as milliseconds (0…59999).
 */
export const EXTRACTORS: Readonly<Record<ExtractUnit, (ms: number) => number | null>> = {
  YEAR: (ms) => (validMs(ms) ? civilOf(ms).y : null),
  QUARTER: (ms) => (validMs(ms) ? Math.floor((civilOf(ms).m - 1) / 3) + 1 : null),
  MONTH: (ms) => (validMs(ms) ? civilOf(ms).m : null),
  WEEK: (ms) => (validMs(ms) ? isoWeek(ms) : null),
  DAY: (ms) => (validMs(ms) ? civilOf(ms).d : null),
  DOW: (ms) => (validMs(ms) ? fmod(Math.floor(ms / MS_DAY) + 4, 7) + 1 : null),
  DOY: (ms) => (validMs(ms) ? fieldsOf(ms).doy : null),
  HOUR: (ms) => (validMs(ms) ? Math.floor(fmod(ms, MS_DAY) / MS_HOUR) : null),
  MINUTE: (ms) => (validMs(ms) ? Math.floor(fmod(ms, MS_HOUR) / MS_MINUTE) : null),
  SECOND: (ms) => (validMs(ms) ? Math.floor(fmod(ms, MS_MINUTE) / MS_SECOND) : null),
  MILLISECOND: (ms) => (validMs(ms) ? Math.floor(fmod(ms, MS_MINUTE)) : null),
  EPOCH: (ms) => (validMs(ms) ? Math.floor(ms / MS_SECOND) : null),
};

export function isExtractUnit(u: string): u is ExtractUnit {
  return Object.hasOwn(EXTRACTORS, u);
}

// ---------------------------------------------------------------------------------------------------------
// FLOOR(ts TO unit) / CEIL(ts TO unit)

export type TimeUnit =
  | 'MILLISECOND'
  | 'SECOND'
  | 'MINUTE'
  | 'HOUR'
  | 'DAY'
  | 'WEEK'
  | 'MONTH'
  | 'QUARTER'
  | 'YEAR';
const FIXED_UNITS: Readonly<Record<string, number>> = {
  MILLISECOND: 1,
  SECOND: MS_SECOND,
  MINUTE: MS_MINUTE,
  HOUR: MS_HOUR,
  DAY: MS_DAY,
};
const TIME_UNITS = new Set([
  'MILLISECOND',
  'SECOND',
  'MINUTE',
  'HOUR',
  'DAY',
  'WEEK',
  'MONTH',
  'QUARTER',
  'YEAR',
]);
/** Weeks start on Sunday (Calcite, like DOW = 1 for Sunday); the first Sunday after the epoch is day 3. */
const WEEK_ORIGIN = 3 * MS_DAY;

export function isTimeUnit(u: string): u is TimeUnit {
  return TIME_UNITS.has(u);
}

/** The start of the unit that contains `ms` (floor toward the past, also before 1970). */
export function floorTime(unit: TimeUnit): (ms: number) => number | null {
  const fixed = FIXED_UNITS[unit];
  if (fixed !== undefined) return (ms) => (validMs(ms) ? ms - fmod(ms, fixed) : null);
  if (unit === 'WEEK') return (ms) => (validMs(ms) ? ms - fmod(ms - WEEK_ORIGIN, 7 * MS_DAY) : null);
  return (ms) => {
    if (!validMs(ms)) return null;
    const d = new Date(ms);
    const y = d.getUTCFullYear();
    if (unit === 'YEAR') return utc(y, 0, 1);
    const m = d.getUTCMonth();
    return utc(y, unit === 'QUARTER' ? m - (m % 3) : m, 1);
  };
}

/** The start of the next unit, or `ms` itself when it already is the start of a unit. */
export function ceilTime(unit: TimeUnit): (ms: number) => number | null {
  const floor = floorTime(unit);
  const fixed = FIXED_UNITS[unit];
  return (ms) => {
    const f = floor(ms);
    if (f === null || f === ms) return f;
    if (fixed !== undefined) return f + fixed;
    if (unit === 'WEEK') return f + 7 * MS_DAY;
    const d = new Date(f);
    const step = unit === 'YEAR' ? 12 : unit === 'QUARTER' ? 3 : 1;
    return utc(d.getUTCFullYear(), d.getUTCMonth() + step, 1);
  };
}

// ---------------------------------------------------------------------------------------------------------
// Java SimpleDateFormat patterns (DATE_FORMAT, TO_TIMESTAMP, UNIX_TIMESTAMP, FROM_UNIXTIME), always in UTC

type Token = { readonly letter: string; readonly count: number } | { readonly text: string };

/** Letters we format and parse; any other ASCII letter outside quotes is an error, as in Java. */
const SUPPORTED_LETTERS = 'GyMdDEuaHkKhmsSzZX';

/**
 * Splits a SimpleDateFormat pattern into letter runs and literal text (`'…'` quotes literal text, `''` is a
 * quote). Throws a PlanError for an unknown letter or an unterminated quote.
 */
export function tokenizeDatePattern(pattern: string): Token[] {
  const out: Token[] = [];
  let text = '';
  let i = 0;
  const flush = () => {
    if (text !== '') out.push({ text });
    text = '';
  };
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        text += "'";
        i += 2;
        continue;
      }
      const end = findClosingQuote(pattern, i + 1);
      if (end < 0) {
        throw new PlanError(
          'EXPR_BAD_DATE_PATTERN',
          `date pattern '${pattern}' has an unterminated quote at offset ${i}; close it with ' (write '' for a quote)`,
        );
      }
      text += pattern.slice(i + 1, end).replaceAll("''", "'");
      i = end + 1;
      continue;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      if (!SUPPORTED_LETTERS.includes(c)) {
        throw new PlanError(
          'EXPR_BAD_DATE_PATTERN',
          `date pattern '${pattern}' uses the letter '${c}' at offset ${i}, which darq does not support; ` +
            `supported letters are ${SUPPORTED_LETTERS.split('').join(' ')}; quote literal text as 'text'`,
        );
      }
      let j = i;
      while (pattern[j] === c) j++;
      flush();
      out.push({ letter: c, count: j - i });
      i = j;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

function findClosingQuote(p: string, from: number): number {
  let i = from;
  while (i < p.length) {
    if (p[i] === "'") {
      if (p[i + 1] === "'") {
        i += 2;
        continue;
      }
      return i;
    }
    i++;
  }
  return -1;
}

interface Fields {
  y: number;
  M: number;
  d: number;
  H: number;
  m: number;
  s: number;
  S: number;
  dow: number; // 0 = Sunday
  doy: number;
}

function fieldsOf(ms: number): Fields {
  const days = Math.floor(ms / MS_DAY);
  const t = ms - days * MS_DAY;
  const { y, m, d } = civilFromDays(days);
  return {
    y,
    M: m,
    d,
    H: Math.floor(t / MS_HOUR),
    m: Math.floor((t % MS_HOUR) / MS_MINUTE),
    s: Math.floor((t % MS_MINUTE) / MS_SECOND),
    S: t % MS_SECOND,
    dow: fmod(days + 4, 7), // 1970-01-01 was a Thursday
    doy: CUMULATIVE_DAYS[m - 1]! + (m > 2 && isLeap(y) ? 1 : 0) + d,
  };
}

function formatToken(tok: Token, f: Fields): string {
  if ('text' in tok) return tok.text;
  const n = tok.count;
  switch (tok.letter) {
    case 'G':
      return f.y > 0 ? 'AD' : 'BC';
    case 'y':
      return n === 2 ? pad(fmod(f.y, 100), 2) : pad(f.y, n);
    case 'M':
      return n >= 4 ? MONTHS[f.M - 1]! : n === 3 ? MONTHS[f.M - 1]!.slice(0, 3) : pad(f.M, n);
    case 'd':
      return pad(f.d, n);
    case 'D':
      return pad(f.doy, n);
    case 'E':
      return n >= 4 ? WEEKDAYS[f.dow]! : WEEKDAYS[f.dow]!.slice(0, 3);
    case 'u':
      return pad(f.dow === 0 ? 7 : f.dow, n);
    case 'a':
      return f.H < 12 ? 'AM' : 'PM';
    case 'H':
      return pad(f.H, n);
    case 'k':
      return pad(f.H === 0 ? 24 : f.H, n);
    case 'K':
      return pad(f.H % 12, n);
    case 'h':
      return pad(f.H % 12 === 0 ? 12 : f.H % 12, n);
    case 'm':
      return pad(f.m, n);
    case 's':
      return pad(f.s, n);
    case 'S':
      return pad(f.S, n);
    case 'z':
      return n >= 4 ? 'Coordinated Universal Time' : 'UTC';
    case 'Z':
      return '+0000';
    case 'X':
      return 'Z';
    default:
      throw new Error(`internal error: date letter ${tok.letter} passed the tokenizer`);
  }
}

/** Compiles a SimpleDateFormat pattern once into a formatter of epoch milliseconds (UTC). */
export function compileDateFormat(pattern: string): (ms: number) => string | null {
  const tokens = tokenizeDatePattern(pattern);
  if (tokens.length === 1 && 'text' in tokens[0]!) {
    const constant = tokens[0].text;
    return (ms) => (validMs(ms) ? constant : null);
  }
  return (ms) => {
    if (!validMs(ms)) return null;
    const f = fieldsOf(ms);
    let out = '';
    for (const t of tokens) out += formatToken(t, f);
    return out;
  };
}

const NUMERIC = new Set(['y', 'M', 'd', 'D', 'u', 'H', 'k', 'K', 'h', 'm', 's', 'S']);

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * Compiles a SimpleDateFormat pattern once into a strict parser (UTC; the whole text must match; impossible
 * dates give null). Numeric fields take any number of digits unless the next token is numeric too
 * (`yyyyMMdd`), then exactly as many as letters. `S` is read as a fraction of a second (`.5` = 500 ms), as
 * java.time does; a two-digit `yy` is 2000 + yy.
 */
export function compileDateParser(pattern: string): (s: string) => number | null {
  const tokens = tokenizeDatePattern(pattern);
  const slots = tokens.filter((t): t is { letter: string; count: number } => 'letter' in t);
  const re = datePatternRegex(tokens);
  return (s) => {
    const m = re.exec(s);
    if (!m) return null;
    let y = 1970;
    let mo = 1;
    let d = 1;
    let doy = -1;
    let h = 0;
    let h12 = -1;
    let pm = false;
    let mi = 0;
    let sec = 0;
    let ms = 0;
    let off = 0;
    let bc = false;
    for (let i = 0; i < slots.length; i++) {
      const { letter, count } = slots[i]!;
      const g = m[i + 1]!;
      switch (letter) {
        case 'y':
          y = count === 2 && g.length === 2 ? 2000 + Number(g) : Number(g);
          break;
        case 'M':
          mo = count >= 3 ? monthIndex(g) + 1 : Number(g);
          break;
        case 'd':
          d = Number(g);
          break;
        case 'D':
          doy = Number(g);
          break;
        case 'H':
          h = Number(g);
          break;
        case 'k':
          h = Number(g) % 24;
          break;
        case 'K':
          h12 = Number(g) % 12;
          break;
        case 'h':
          h12 = Number(g) % 12;
          break;
        case 'a':
          pm = g.toUpperCase() === 'PM';
          break;
        case 'm':
          mi = Number(g);
          break;
        case 's':
          sec = Number(g);
          break;
        case 'S':
          ms = Number(g.slice(0, 3).padEnd(3, '0'));
          break;
        case 'G':
          bc = g.toUpperCase() === 'BC';
          break;
        case 'Z':
        case 'X':
          off = g === 'Z' ? 0 : offsetMs(g);
          break;
      }
    }
    if (h12 >= 0) h = h12 + (pm ? 12 : 0);
    if (bc) y = 1 - y;
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return null;
    let t = doy >= 0 ? utc(y, 0, doy, h, mi, sec, ms) : utc(y, mo - 1, d, h, mi, sec, ms);
    t -= off;
    return validMs(t) ? t : null;
  };
}

function monthIndex(name: string): number {
  const lower = name.toLowerCase();
  return MONTHS.findIndex((m) => m.toLowerCase() === lower || m.slice(0, 3).toLowerCase() === lower);
}

function datePatternRegex(tokens: readonly Token[]): RegExp {
  let src = '^';
  tokens.forEach((tok, i) => {
    if ('text' in tok) {
      src += escapeRegex(tok.text);
      return;
    }
    const next = tokens[i + 1];
    const adjacentNumeric = next !== undefined && 'letter' in next && NUMERIC.has(next.letter);
    if (tok.letter === 'M' && tok.count >= 3) {
      src += `(${MONTHS.map((m) => `${m}|${m.slice(0, 3)}`).join('|')})`;
    } else if (NUMERIC.has(tok.letter)) {
      src += adjacentNumeric
        ? `(\\d{${tok.count}})`
        : tok.letter === 'y' && tok.count === 2
          ? '(\\d{2})'
          : '(\\d+)';
    } else if (tok.letter === 'G') src += '(AD|BC)';
    else if (tok.letter === 'E') src += `(${WEEKDAYS.map((d) => `${d}|${d.slice(0, 3)}`).join('|')})`;
    else if (tok.letter === 'a') src += '(AM|PM)';
    else if (tok.letter === 'z') src += '(UTC|GMT|Z|Coordinated Universal Time)';
    else src += '(Z|[+-]\\d{2}(?::?\\d{2})?)';
  });
  return new RegExp(`${src}$`, 'i');
}
