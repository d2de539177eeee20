/** How result rows (a bare SELECT, stdout sinks) are printed. */
export type RowFormat = 'table' | 'jsonl' | 'csv' | 'debezium-json';

/**
 * Re-renders the engine's JSON lines as a table, CSV or JSONL. Rows stream: a table prints its header with
 * the first batch and widens columns as longer values arrive; CSV prints a header line first.
 *
 * ```ts
 * const r = new RowPrinter('csv', (s) => process.stdout.write(s));
 * r.write('{"a":1,"b":"x"}\n');   // a,b\n1,x\n
 * ```
 */
export class RowPrinter {
  private columns: string[] | undefined;
  private widths: number[] = [];
  private pending = '';
  /** Rows held back (table only) so that the first widths fit them all. */
  private held: Record<string, unknown>[] = [];
  rows = 0;

  /**
   * `holdRows`: a table keeps up to this many rows before printing anything, so a short result is aligned as a
   * whole (the shell); past it, or with 0, it streams.
   */
  constructor(
    readonly format: RowFormat,
    private readonly out: (text: string) => void,
    private readonly holdRows = 0,
  ) {}

  /** Text from the engine: whole JSON lines (a trailing partial line is kept for the next call). */
  write(text: string): void {
    if (this.format === 'jsonl') {
      this.out(text);
      this.rows += countLines(text);
      return;
    }
    const all = this.pending + text;
    const cut = all.lastIndexOf('\n');
    this.pending = all.slice(cut + 1);
    if (cut < 0) return;
    const objects = all
      .slice(0, cut)
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    if (objects.length === 0) return;
    this.rows += objects.length;
    if (this.format === 'debezium-json') this.out(this.debezium(objects));
    else if (this.format === 'csv') this.out(this.csv(objects));
    else if (this.held.length + objects.length <= this.holdRows && !this.columns) this.held.push(...objects);
    else this.flushTable(objects);
  }

  private flushTable(objects: Record<string, unknown>[]): void {
    const all = this.held.length ? [...this.held, ...objects] : objects;
    this.held = [];
    if (all.length) this.out(this.table(all));
  }

  /** A -U waiting for the +U that makes it one Debezium update. */
  private before: Record<string, unknown> | undefined;

  /**
   * Debezium change events: `{"before", "after", "op": c|u|d}`. Rows of an updating result carry `op`
   * (+I -U +U -D): a -U with the +U after it is one `u`; an append-only result is all `c`.
   */
  private debezium(objects: Record<string, unknown>[]): string {
    let text = '';
    const line = (before: unknown, after: unknown, op: string) =>
      `${JSON.stringify({ before, after, op })}\n`;
    for (const o of objects) {
      const { op, ...row } = o;
      if (this.before && op !== '+U') {
        text += line(this.before, null, 'd');
        this.before = undefined;
      }
      if (op === '-U') this.before = row;
      else if (op === '+U') {
        text += this.before ? line(this.before, row, 'u') : line(null, row, 'c');
        this.before = undefined;
      } else if (op === '-D') text += line(row, null, 'd');
      else text += line(null, op === undefined ? o : row, 'c');
    }
    return text;
  }

  /** Ends the output: the table's bottom border, or a note that there were no rows. */
  end(): void {
    if (this.pending) this.write('\n');
    if (this.before) {
      this.out(`${JSON.stringify({ before: this.before, after: null, op: 'd' })}\n`);
      this.before = undefined;
    }
    if (this.format === 'table') this.flushTable([]);
    if (this.format === 'table' && this.columns) this.out(`${this.rule('└', '┴', '┘')}\n`);
  }

  private header(objects: Record<string, unknown>[]): boolean {
    if (this.columns) return false;
    this.columns = Object.keys(objects[0] ?? {});
    return true;
  }

  private csv(objects: Record<string, unknown>[]): string {
    let s = '';
    if (this.header(objects)) s += `${this.columns!.map(csvField).join(',')}\n`;
    for (const o of objects) s += `${this.columns!.map((c) => csvField(o[c])).join(',')}\n`;
    return s;
  }

  private table(objects: Record<string, unknown>[]): string {
    const first = this.header(objects);
    const cols = this.columns!;
    const cells = objects.map((o) => cols.map((c) => cellText(o[c])));
    if (first) this.widths = cols.map((c) => c.length);
    for (const row of cells)
      row.forEach((v, i) => {
        this.widths[i] = Math.max(this.widths[i] ?? 0, Math.min(v.length, 60));
      });
    const lines: string[] = [];
    if (first) {
      lines.push(this.rule('┌', '┬', '┐'));
      lines.push(this.line(cols));
      lines.push(this.rule('├', '┼', '┤'));
    }
    for (const row of cells) lines.push(this.line(row));
    return `${lines.join('\n')}\n`;
  }

  private rule(l: string, m: string, r: string): string {
    return l + this.widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  }

  private line(values: string[]): string {
    return `│${values
      .map((v, i) => {
        const w = this.widths[i] ?? v.length;
        const t = v.length > w ? `${v.slice(0, w - 1)}…` : v;
        return ` ${t.padEnd(w)} `;
      })
      .join('│')}│`;
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
