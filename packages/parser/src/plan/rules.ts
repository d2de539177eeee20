import { BOOLEAN } from '../types.ts';
import { mkDeduplicate, mkFilter, mkJoin, mkProject, mkTopN, mkUnion, mkWindowTvf } from './build.ts';
import { call, columnsOf, type Expr, exprKey, mapColumns } from './expr.ts';
import type { Join, LogicalNode, SortKey, WindowSpec } from './logical.ts';
import { pruneColumns } from './prune.ts';

// Logical rewrite rules, applied bottom-up after the analyzer built a plan:
// 1. predicate pushdown (through Project, Union, WindowTvf, into Join inputs and conditions),
// 2. ROW_NUMBER patterns → TopN / Deduplicate,
// 3. join classification (regular / window / interval), recomputed after conditions moved,
// 4. projection pruning (prune.ts).

export function conjuncts(e: Expr): Expr[] {
  return e.kind === 'Call' && e.fn === 'AND' ? e.args.flatMap(conjuncts) : [e];
}

export function andAll(es: readonly Expr[]): Expr | undefined {
  if (es.length === 0) return undefined;
  return es.reduce((a, b) => call('AND', [a, b], BOOLEAN, a.span));
}

function shift(e: Expr, by: number): Expr {
  return by === 0 ? e : mapColumns(e, (c) => ({ ...c, index: c.index + by }));
}

/** Where a column of `node` comes from if it is a window bound: traces through Project/Filter/joins. */
export function windowOrigin(
  node: LogicalNode,
  col: number,
): { role: 'start' | 'end' | 'time'; window: WindowSpec; id: LogicalNode } | undefined {
  switch (node.kind) {
    case 'WindowAggregate': {
      const k = node.groupKeys.length;
      const role = col === k ? 'start' : col === k + 1 ? 'end' : col === k + 2 ? 'time' : undefined;
      return role ? { role, window: node.window, id: node } : undefined;
    }
    case 'WindowTvf': {
      const n = node.input.schema.fields.length;
      const role = col === n ? 'start' : col === n + 1 ? 'end' : col === n + 2 ? 'time' : undefined;
      return role ? { role, window: node.window, id: node } : windowOrigin(node.input, col);
    }
    case 'Project': {
      const e = node.exprs[col];
      return e?.kind === 'ColumnRef' ? windowOrigin(node.input, e.index) : undefined;
    }
    case 'Filter':
    case 'TopN':
    case 'Deduplicate':
    case 'OverAggregate':
    case 'Unnest':
    case 'Limit':
      return col < node.input.schema.fields.length ? windowOrigin(node.input, col) : undefined;
    case 'Join': {
      const n = node.left.schema.fields.length;
      return col < n ? windowOrigin(node.left, col) : windowOrigin(node.right, col - n);
    }
    default:
      return undefined;
  }
}

function sameWindow(a: WindowSpec, b: WindowSpec): boolean {
  return (
    a.kind === b.kind &&
    a.sizeMs === b.sizeMs &&
    a.slideMs === b.slideMs &&
    a.stepMs === b.stepMs &&
    (a.offsetMs ?? 0) === (b.offsetMs ?? 0) &&
    a.kind !== 'SESSION'
  );
}

/** Splits a join condition into equi keys, window/interval bounds and a residual; picks the variant. */
export function classifyJoin(
  left: LogicalNode,
  right: LogicalNode,
  condition: Expr | undefined,
  temporal: boolean,
): Pick<Join, 'equiKeys' | 'variant'> & Partial<Pick<Join, 'residual' | 'window' | 'interval' | 'temporal'>> {
  const n = left.schema.fields.length;
  const parts = condition ? conjuncts(condition) : [];
  const equi: [number, number][] = [];
  const rest: Expr[] = [];
  for (const p of parts) {
    if (
      p.kind === 'Call' &&
      p.fn === '=' &&
      p.args[0]?.kind === 'ColumnRef' &&
      p.args[1]?.kind === 'ColumnRef'
    ) {
      const a = p.args[0].index;
      const b = p.args[1].index;
      if (a < n && b >= n) {
        equi.push([a, b - n]);
        continue;
      }
      if (b < n && a >= n) {
        equi.push([b, a - n]);
        continue;
      }
    }
    rest.push(p);
  }
  const base = temporal ? { temporal: true } : {};
  // window join: equal window_start (and window_end) of the same window definition on both sides
  let ws: [number, number] | undefined;
  let we: [number, number] | undefined;
  for (const [l, r] of equi) {
    const lo = windowOrigin(left, l);
    const ro = windowOrigin(right, r);
    if (lo && ro && lo.role === ro.role && sameWindow(lo.window, ro.window)) {
      if (lo.role === 'start') ws = [l, r];
      if (lo.role === 'end') we = [l, r];
    }
  }
  if (ws && !temporal && left.changelog === 'append' && right.changelog === 'append') {
    const keys = equi.filter(
      ([l, r]) => !(l === ws[0] && r === ws[1]) && !(we && l === we[0] && r === we[1]),
    );
    const ends = we ?? findEnd(left, right, ws);
    if (ends) {
      const residual = andAll(rest);
      return {
        ...base,
        variant: 'window',
        equiKeys: keys,
        ...(residual ? { residual } : {}),
        window: { leftStart: ws[0], leftEnd: ends[0], rightStart: ws[1], rightEnd: ends[1] },
      };
    }
  }
  // interval join: rest contains bounds between an event-time attribute of each side
  if (!temporal && left.changelog === 'append' && right.changelog === 'append') {
    const iv = intervalBounds(left, right, rest, n);
    if (iv) {
      const residual = andAll(iv.rest);
      return {
        ...base,
        variant: 'interval',
        equiKeys: equi,
        ...(residual ? { residual } : {}),
        interval: iv.interval,
      };
    }
  }
  const residual = andAll(rest);
  return { ...base, variant: 'regular', equiKeys: equi, ...(residual ? { residual } : {}) };
}

function findEnd(left: LogicalNode, right: LogicalNode, ws: [number, number]): [number, number] | undefined {
  const lid = windowOrigin(left, ws[0])?.id;
  const rid = windowOrigin(right, ws[1])?.id;
  const le = left.schema.fields.findIndex((_, i) => {
    const o = windowOrigin(left, i);
    return o?.role === 'end' && o.id === lid;
  });
  const re = right.schema.fields.findIndex((_, i) => {
    const o = windowOrigin(right, i);
    return o?.role === 'end' && o.id === rid;
  });
  return le >= 0 && re >= 0 ? [le, re] : undefined;
}

/** `col`, `col + INTERVAL`, `col - INTERVAL` over a time attribute → [column, offsetMs]. */
function timeTerm(
  e: Expr,
  node: { left: LogicalNode; right: LogicalNode },
  n: number,
): [number, number] | undefined {
  const attr = (i: number): boolean => {
    const f = i < n ? node.left.schema.fields[i] : node.right.schema.fields[i - n];
    return f?.timeAttribute === 'event';
  };
  if (e.kind === 'ColumnRef') return attr(e.index) ? [e.index, 0] : undefined;
  if (
    e.kind === 'Call' &&
    (e.fn === '+' || e.fn === '-') &&
    e.args[0]?.kind === 'ColumnRef' &&
    e.args[1]?.kind === 'Literal' &&
    typeof e.args[1].value === 'number' &&
    e.args[1].type.kind === 'INTERVAL'
  ) {
    const c = e.args[0].index;
    return attr(c) ? [c, e.fn === '+' ? e.args[1].value : -e.args[1].value] : undefined;
  }
  return undefined;
}

function intervalBounds(
  left: LogicalNode,
  right: LogicalNode,
  rest: Expr[],
  n: number,
): { interval: NonNullable<Join['interval']>; rest: Expr[] } | undefined {
  let lower: number | undefined;
  let upper: number | undefined;
  let cols: [number, number] | undefined;
  const remaining: Expr[] = [];
  const ctx = { left, right };
  // Normalise every bound to: right.t (op) left.t + k
  const note = (lt: number, rt: number, op: '>=' | '<=', k: number): boolean => {
    if (cols && (cols[0] !== lt || cols[1] !== rt)) return false;
    cols = [lt, rt];
    if (op === '>=') lower = lower === undefined ? k : Math.max(lower, k);
    else upper = upper === undefined ? k : Math.min(upper, k);
    return true;
  };
  const bound = (a: Expr, op: string, b: Expr): boolean => {
    const x = timeTerm(a, ctx, n);
    const y = timeTerm(b, ctx, n);
    if (!x || !y) return false;
    const norm = op === '>' ? '>=' : op === '<' ? '<=' : op;
    if (norm !== '>=' && norm !== '<=') return false;
    // x.col + x.k  (op)  y.col + y.k
    if (x[0] >= n && y[0] < n) return note(y[0], x[0] - n, norm, y[1] - x[1]);
    if (x[0] < n && y[0] >= n) return note(x[0], y[0] - n, norm === '>=' ? '<=' : '>=', x[1] - y[1]);
    return false;
  };
  for (const p of rest) {
    if (p.kind === 'Call' && ['>=', '<=', '>', '<'].includes(p.fn) && p.args.length === 2) {
      if (bound(p.args[0]!, p.fn, p.args[1]!)) continue;
    }
    if (p.kind === 'Call' && p.fn === 'BETWEEN' && p.args.length === 3) {
      const [x, lo, hi] = p.args as [Expr, Expr, Expr];
      const save = { lower, upper, cols };
      if (bound(x, '>=', lo) && bound(x, '<=', hi)) continue;
      ({ lower, upper, cols } = save);
    }
    remaining.push(p);
  }
  if (!cols || lower === undefined || upper === undefined) return undefined;
  return {
    interval: { leftTime: cols[0], rightTime: cols[1], lowerMs: lower, upperMs: upper },
    rest: remaining,
  };
}

/** Applies the rewrite rules bottom-up, then prunes unread columns. */
export function optimize(node: LogicalNode): LogicalNode {
  return pruneColumns(rewrite(node));
}

function rewrite(node: LogicalNode): LogicalNode {
  switch (node.kind) {
    case 'Filter': {
      const input = rewrite(node.input);
      return pushFilter(input, node.predicate, node);
    }
    case 'Project': {
      const input = rewrite(node.input);
      // merge Project(Project)
      if (input.kind === 'Project') {
        const inner = input;
        const exprs = node.exprs.map((e) => mapColumns(e, (c) => inner.exprs[c.index] ?? c));
        return mkProject(inner.input, exprs, node.names, node.span);
      }
      const identity =
        node.exprs.length === input.schema.fields.length &&
        node.exprs.every((e, i) => e.kind === 'ColumnRef' && e.index === i) &&
        node.names.every((nm, i) => nm === input.schema.fields[i]?.name);
      if (identity) return input;
      return mkProject(input, node.exprs, node.names, node.span);
    }
    case 'Join': {
      const left = rewrite(node.left);
      const right = rewrite(node.right);
      return mkJoin(
        node.joinKind,
        left,
        right,
        node.condition,
        classifyJoin(left, right, node.condition, node.temporal === true),
        node.span,
      );
    }
    case 'Union':
      return mkUnion(node.inputs.map(rewrite), node.span);
    case 'Scan':
    case 'Values':
      return node;
    case 'WindowTvf':
      return mkWindowTvf(rewrite(node.input), node.window, node.span);
    case 'WindowAggregate':
    case 'Aggregate':
    case 'TopN':
    case 'Deduplicate':
    case 'OverAggregate':
    case 'Unnest':
    case 'Distinct':
    case 'Limit':
      return { ...node, input: rewrite(node.input) } as LogicalNode;
    default: {
      const never: never = node;
      throw new Error(`internal error: unknown node ${JSON.stringify(never)}`);
    }
  }
}

/** Pushes `predicate` (bound over `input`'s schema) as far down as it may go. */
function pushFilter(input: LogicalNode, predicate: Expr, orig: { span: LogicalNode['span'] }): LogicalNode {
  const span = orig.span;
  const parts = conjuncts(predicate);
  switch (input.kind) {
    case 'Filter':
      return pushFilter(input.input, andAll([...conjuncts(input.predicate), ...parts])!, orig);
    case 'Project': {
      // substitute, but never duplicate non-deterministic expressions
      const exprs = input.exprs;
      const down: Expr[] = [];
      const keep: Expr[] = [];
      for (const p of parts) {
        const cols = [...columnsOf(p)];
        if (cols.every((c) => deterministic(exprs[c]!))) down.push(mapColumns(p, (c) => exprs[c.index]!));
        else keep.push(p);
      }
      let inner = input.input;
      if (down.length > 0) inner = pushFilter(inner, andAll(down)!, orig);
      const proj = mkProject(inner, input.exprs, input.names, input.span);
      return keep.length > 0 ? mkFilter(proj, andAll(keep)!, span) : proj;
    }
    case 'Union': {
      const inputs = input.inputs.map((i) => pushFilter(i, predicate, orig));
      return mkUnion(inputs, input.span);
    }
    case 'WindowTvf': {
      const n = input.input.schema.fields.length;
      const down = parts.filter((p) => [...columnsOf(p)].every((c) => c < n));
      const keep = parts.filter((p) => !down.includes(p));
      let inner = input.input;
      if (down.length > 0) inner = pushFilter(inner, andAll(down)!, orig);
      const tvf = mkWindowTvf(inner, input.window, input.span);
      return keep.length > 0 ? mkFilter(tvf, andAll(keep)!, span) : tvf;
    }
    case 'Join': {
      const n = input.left.schema.fields.length;
      // a WHERE conjunct that is never TRUE on a NULL-padded row turns an outer join (partly) inner
      const simpler = simplifyOuterJoin(input.joinKind, parts, n);
      if (simpler !== input.joinKind) {
        const join = mkJoin(
          simpler,
          input.left,
          input.right,
          input.condition,
          classifyJoin(input.left, input.right, input.condition, input.temporal === true),
          input.span,
        );
        return pushFilter(join, predicate, orig);
      }
      const toLeft: Expr[] = [];
      const toRight: Expr[] = [];
      const toCond: Expr[] = [];
      const keep: Expr[] = [];
      for (const p of parts) {
        const cols = [...columnsOf(p)];
        const allLeft = cols.every((c) => c < n);
        const allRight = cols.every((c) => c >= n);
        const kind = input.joinKind;
        if (cols.length > 0 && allLeft && (kind === 'inner' || kind === 'left') && !input.temporal)
          toLeft.push(p);
        else if (cols.length > 0 && allRight && (kind === 'inner' || kind === 'right') && !input.temporal)
          toRight.push(shift(p, -n));
        else if (kind === 'inner' && cols.length > 0) toCond.push(p);
        else keep.push(p);
      }
      const left = toLeft.length > 0 ? pushFilter(input.left, andAll(toLeft)!, orig) : input.left;
      const right = toRight.length > 0 ? pushFilter(input.right, andAll(toRight)!, orig) : input.right;
      const condition = andAll([...(input.condition ? conjuncts(input.condition) : []), ...toCond]);
      const join = mkJoin(
        input.joinKind,
        left,
        right,
        condition,
        classifyJoin(left, right, condition, input.temporal === true),
        input.span,
      );
      return keep.length > 0 ? mkFilter(join, andAll(keep)!, span) : join;
    }
    case 'OverAggregate': {
      const topn = rankPattern(input, parts, span);
      if (topn) return topn;
      return mkFilter(input, predicate, span);
    }
    default:
      return mkFilter(input, predicate, span);
  }
}

const STRICT = new Set([
  '=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  'LIKE',
  'NOT_LIKE',
  'IN',
  'NOT_IN',
  'BETWEEN',
  'NOT_BETWEEN',
  'IS_NOT_NULL',
  'IS_TRUE',
]);
const STRICT_OPERAND = new Set(['+', '-', '*', '/', '%', 'NEG', '||', 'LOWER', 'UPPER', 'MOD']);

/** Is `e` NULL whenever its columns are? (columns, literals, casts and plain arithmetic over them) */
function strictOperand(e: Expr): boolean {
  if (e.kind === 'ColumnRef' || e.kind === 'Literal') return true;
  if (e.kind === 'Cast') return strictOperand(e.expr);
  return e.kind === 'Call' && STRICT_OPERAND.has(e.fn) && e.args.every(strictOperand);
}

/** Does conjunct `p` reject rows whose columns in [from, to) are all NULL? */
function rejectsNulls(p: Expr, from: number, to: number): boolean {
  if (p.kind !== 'Call' || !STRICT.has(p.fn) || !p.args.every(strictOperand)) return false;
  return [...columnsOf(p)].some((c) => c >= from && c < to);
}

function simplifyOuterJoin(kind: Join['joinKind'], parts: readonly Expr[], n: number): Join['joinKind'] {
  if (kind === 'inner') return kind;
  const rightRejected = parts.some((p) => rejectsNulls(p, n, Number.POSITIVE_INFINITY));
  const leftRejected = parts.some((p) => rejectsNulls(p, 0, n));
  if (kind === 'left') return rightRejected ? 'inner' : kind;
  if (kind === 'right') return leftRejected ? 'inner' : kind;
  // full
  if (leftRejected && rightRejected) return 'inner';
  if (leftRejected) return 'left';
  if (rightRejected) return 'right';
  return kind;
}

function deterministic(e: Expr): boolean {
  let ok = true;
  const visit = (x: Expr): void => {
    if (x.kind === 'Call') {
      if (x.fn === 'RAND' || x.fn === 'NOW' || x.fn === 'PROCTIME') ok = false;
      x.args.forEach(visit);
    } else if (x.kind === 'Case') {
      if (x.operand) visit(x.operand);
      for (const w of x.whens) {
        visit(w.when);
        visit(w.result);
      }
      if (x.else) visit(x.else);
    } else if (x.kind === 'Cast') visit(x.expr);
  };
  visit(e);
  return ok;
}

/**
 * `Filter(rn <= N, OverAggregate(ROW_NUMBER() OVER (PARTITION BY … ORDER BY …)))` → TopN, or Deduplicate when
 * N = 1 and the order is one time attribute. Other conjuncts stay in a Filter above.
 */
function rankPattern(
  over: LogicalNode & { kind: 'OverAggregate' },
  parts: Expr[],
  span: LogicalNode['span'],
): LogicalNode | undefined {
  if (over.aggs.length !== 1 || over.aggs[0]!.fn !== 'ROW_NUMBER') return undefined;
  const rn = over.input.schema.fields.length;
  let limit: number | undefined;
  const rest: Expr[] = [];
  for (const p of parts) {
    const l = rankLimit(p, rn);
    if (l !== undefined && limit === undefined) limit = l;
    else rest.push(p);
  }
  if (limit === undefined || limit < 1) return undefined;
  if (rest.some((p) => columnsOf(p).has(rn))) return undefined;
  const name = over.aggs[0]!.name;
  const input = over.input;
  let node: LogicalNode;
  const first = over.orderBy[0];
  const timeAttr =
    first && over.orderBy.length === 1 ? input.schema.fields[first.column]?.timeAttribute : undefined;
  if (limit === 1 && first && timeAttr) {
    node = mkDeduplicate(
      input,
      over.partitionBy,
      first.column,
      first.direction === 'asc' ? 'first' : 'last',
      name,
      over.span,
    );
  } else {
    const roles = new Set(over.partitionBy.map((c) => windowOrigin(input, c)?.role));
    const windowed = roles.has('start') && roles.has('end');
    node = mkTopN(input, over.partitionBy, over.orderBy, limit, name, windowed, over.span);
  }
  return rest.length > 0 ? mkFilter(node, andAll(rest)!, span) : node;
}

function rankLimit(p: Expr, rn: number): number | undefined {
  if (p.kind !== 'Call' || p.args.length !== 2) return undefined;
  const [a, b] = p.args as [Expr, Expr];
  const num = (e: Expr): number | undefined =>
    e.kind === 'Literal' && typeof e.value === 'number'
      ? e.value
      : e.kind === 'Cast'
        ? num(e.expr)
        : undefined;
  const isRn = (e: Expr): boolean =>
    (e.kind === 'ColumnRef' && e.index === rn) || (e.kind === 'Cast' && isRn(e.expr));
  if (isRn(a)) {
    const v = num(b);
    if (v === undefined) return undefined;
    if (p.fn === '<=') return Math.floor(v);
    if (p.fn === '<') return Math.ceil(v) - 1;
    if (p.fn === '=' && v === 1) return 1;
  }
  if (isRn(b)) {
    const v = num(a);
    if (v === undefined) return undefined;
    if (p.fn === '>=') return Math.floor(v);
    if (p.fn === '>') return Math.ceil(v) - 1;
    if (p.fn === '=' && v === 1) return 1;
  }
  return undefined;
}

export function sortKey(column: number, desc: boolean, nullsFirst?: boolean): SortKey {
  return { column, direction: desc ? 'desc' : 'asc', nulls: (nullsFirst ?? desc) ? 'first' : 'last' };
}

export { exprKey };
