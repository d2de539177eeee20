/** Result files of a benchmark: <name>.json, <name>.csv, <name>.md and SVG plots rendered by vega-lite. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';

/** bench/results, or DARQ_BENCH_RESULTS (tests write there, not into the checkout). */
export const resultsDir = process.env.DARQ_BENCH_RESULTS
  ? path.resolve(process.env.DARQ_BENCH_RESULTS)
  : path.resolve(import.meta.dirname, '../results');

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  return file;
}

export function writeJson(name: string, value: unknown): string {
  return write(path.join(resultsDir, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
}

/** CSV of flat records; the header is the union of their keys, in first-seen order. */
export function writeCsv(name: string, rows: readonly Record<string, unknown>[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cell = (v: unknown) => {
    if (v === undefined || v === null) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const text = [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n');
  return write(path.join(resultsDir, `${name}.csv`), `${text}\n`);
}

export function writeMarkdown(name: string, text: string): string {
  return write(path.join(resultsDir, `${name}.md`), text.endsWith('\n') ? text : `${text}\n`);
}

/** A markdown table. */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const line = (cells: readonly unknown[]) => `| ${cells.map((c) => String(c ?? '')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Renders a vega-lite spec to bench/results/<file>.svg (no browser: vega's headless SVG renderer). */
export async function writeSvg(file: string, spec: vl.TopLevelSpec): Promise<string> {
  // Labels are whole configuration names: no truncation.
  const config = { axis: { labelLimit: 600 }, legend: { labelLimit: 600, columns: 1 }, ...spec.config };
  const compiled = vl.compile({ ...spec, config } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return write(path.join(resultsDir, `${file}.svg`), svg);
}

/** Human figure: 1 234 567 → "1.23 M", 12 345 → "12.3 k". */
export function si(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)} k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

export const ms = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '—' : n >= 100 ? n.toFixed(0) : n.toFixed(1);
