/**
 * The 28 Arroyo conformance cases: where each case's translated query, inputs and golden output live, how
 * its output is compared, and which engine issue it belongs to.
 *
 * Inputs and goldens stay in the shared, read-only copy (`<repo>/../shared/conformance/arroyo/`, or
 * `$DARQ_SHARED/conformance/arroyo/` when the environment variable `DARQ_SHARED` names the shared folder);
 * the translated `query.sql` (and `udfs.ts`) live next to this file.
 *
 * ```ts
 * import { arroyoCases, renderQuery } from '../queries/conformance/arroyo/manifest.ts';
 * for (const c of arroyoCases.filter((c) => c.group === 'part1')) {
 *   const sql = renderQuery(c, '/tmp/out.jsonl');   // $input_dir and $output_path substituted
 *   // run sql, then compareOutput(outputLines, goldenLines, c.pk)
 * }
 * ```
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CompareMode } from '../../harness/compare.ts';

/** `part1`: engine issue part 1 (no joins, Top-N or updating output); `part2`: everything else. */
export type IssueGroup = 'part1' | 'part2';

/** How a source gets its event time in the original Arroyo query (shared README, "Event time"). */
export type TimeKind = 'ingestion_time' | 'event_time_field' | 'watermark_for' | 'debezium_changelog';

export interface ArroyoCase {
  /** Case name = directory name, both here and in the shared copy. */
  readonly name: string;
  readonly group: IssueGroup;
  /** Absolute path of our translated query. */
  readonly query: string;
  /** Absolute path of the case's UDF module, when it has one. */
  readonly udfs?: string;
  /** Absolute path that `$input_dir` stands for: the shared case directory. */
  readonly inputDir: string;
  /** Input files: file name as written in the query → absolute path. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Absolute path of the golden output (never edited). */
  readonly golden: string;
  /** Number of lines in the golden file. */
  readonly goldenLines: number;
  readonly outputFormat: 'json' | 'debezium_json';
  readonly compare: CompareMode;
  /** Key columns for the Debezium comparison (`--pk=` header); absent: the whole row is the key. */
  readonly pk?: readonly string[];
  /** Event-time kind of each source table of the original query. */
  readonly sources: Readonly<Record<string, TimeKind>>;
  /** The result may legitimately differ from the golden (approximate aggregates, float noise). */
  readonly partial?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The shared Arroyo data directory (absolute, no trailing slash). */
export function sharedArroyoDir(): string {
  const override = process.env.DARQ_SHARED;
  if (override) return resolve(override, 'conformance', 'arroyo');
  return fileURLToPath(new URL('../../../../shared/conformance/arroyo/', import.meta.url)).replace(/\/$/, '');
}

interface Spec {
  readonly group: IssueGroup;
  readonly inputs: readonly string[];
  readonly goldenLines: number;
  readonly outputFormat: 'json' | 'debezium_json';
  readonly pk?: readonly string[];
  readonly sources: Readonly<Record<string, TimeKind>>;
  readonly udfs?: true;
  readonly partial?: string;
}

const C = 'cars.json';
const I = 'impulse.json';
const D = 'aggregate_updates.json';

/** In the order of the shared README's table. */
const specs: Readonly<Record<string, Spec>> = {
  select_star: {
    group: 'part1',
    inputs: [C],
    goldenLines: 7932,
    outputFormat: 'json',
    sources: { cars: 'ingestion_time' },
  },
  test_merge_sink: {
    group: 'part1',
    inputs: [C],
    goldenLines: 78,
    outputFormat: 'json',
    sources: { cars: 'ingestion_time' },
  },
  union: {
    group: 'part1',
    inputs: [I],
    goldenLines: 200,
    outputFormat: 'json',
    sources: { impulse_source: 'ingestion_time', second_impulse_source: 'ingestion_time' },
  },
  cast_to_sink_type: {
    group: 'part1',
    inputs: [C],
    goldenLines: 7932,
    outputFormat: 'json',
    sources: { cars: 'event_time_field' },
  },
  double_negative_udf: {
    group: 'part1',
    inputs: [I],
    goldenLines: 100,
    outputFormat: 'json',
    sources: { impulse_source: 'ingestion_time' },
    udfs: true,
  },
  hourly_by_event_type: {
    group: 'part1',
    inputs: [C],
    goldenLines: 51,
    outputFormat: 'json',
    sources: { cars: 'event_time_field' },
  },
  tight_watermark: {
    group: 'part1',
    inputs: [C],
    goldenLines: 26,
    outputFormat: 'json',
    sources: { cars: 'watermark_for' },
  },
  month_loose_watermark: {
    group: 'part1',
    inputs: [C],
    goldenLines: 1,
    outputFormat: 'json',
    sources: { cars: 'watermark_for' },
  },
  sliding_window_end: {
    group: 'part1',
    inputs: [I],
    goldenLines: 14,
    outputFormat: 'json',
    sources: { impulse_source: 'event_time_field' },
  },
  most_active_driver_last_hour: {
    group: 'part2',
    inputs: [C],
    goldenLines: 1557,
    outputFormat: 'json',
    sources: { cars: 'watermark_for' },
  },
  session_window: {
    group: 'part1',
    inputs: [I],
    goldenLines: 91,
    outputFormat: 'json',
    sources: { impulse_source: 'event_time_field' },
  },
  global_session_window: {
    group: 'part1',
    inputs: [I],
    goldenLines: 1,
    outputFormat: 'json',
    sources: { impulse_source: 'watermark_for' },
  },
  reinvoke_window_function: {
    group: 'part1',
    inputs: [C],
    goldenLines: 24,
    outputFormat: 'json',
    sources: { cars: 'event_time_field' },
  },
  windowed_inner_join: {
    group: 'part2',
    inputs: [C],
    goldenLines: 25,
    outputFormat: 'json',
    sources: { cars: 'event_time_field' },
  },
  windowed_outer_join: {
    group: 'part2',
    inputs: [C],
    goldenLines: 26,
    outputFormat: 'json',
    sources: { cars: 'event_time_field' },
  },
  offset_impulse_join: {
    group: 'part2',
    inputs: [I],
    goldenLines: 100,
    outputFormat: 'json',
    sources: { impulse_source: 'watermark_for', delayed_impulse_source: 'watermark_for' },
  },
  unnest_in_view: {
    group: 'part2',
    inputs: [I],
    goldenLines: 100,
    outputFormat: 'json',
    sources: { impulse_source: 'event_time_field' },
  },
  udaf: {
    group: 'part1',
    inputs: [I],
    goldenLines: 1,
    outputFormat: 'json',
    sources: { impulse_source: 'ingestion_time' },
    udfs: true,
  },
  aggregates: {
    group: 'part2',
    inputs: [I],
    goldenLines: 1,
    outputFormat: 'debezium_json',
    sources: { impulse_source: 'ingestion_time' },
  },
  grouped_aggregates: {
    group: 'part2',
    inputs: [I],
    goldenLines: 5,
    outputFormat: 'debezium_json',
    pk: ['counter_mod'],
    sources: { impulse_source: 'ingestion_time' },
  },
  null_aggregates: {
    group: 'part2',
    inputs: [I],
    goldenLines: 3,
    outputFormat: 'debezium_json',
    pk: ['bucket'],
    sources: { impulse_source: 'ingestion_time' },
  },
  every_aggregate: {
    group: 'part2',
    inputs: [C],
    goldenLines: 6,
    outputFormat: 'debezium_json',
    pk: ['event_type'],
    sources: { cars: 'watermark_for' },
    partial:
      'approx_* aggregates are implementation-specific (HyperLogLog / t-digest) and regr_sxx/syy/sxy differ in the last digits under a different summation order',
  },
  filter_updating_aggregates: {
    group: 'part2',
    inputs: [I],
    goldenLines: 1,
    outputFormat: 'debezium_json',
    sources: { impulse_source: 'ingestion_time' },
  },
  active_drivers: {
    group: 'part2',
    inputs: [C],
    goldenLines: 1,
    outputFormat: 'debezium_json',
    pk: ['drivers'],
    sources: { cars: 'watermark_for' },
  },
  updating_inner_join: {
    group: 'part2',
    inputs: [I],
    goldenLines: 50,
    outputFormat: 'debezium_json',
    pk: ['left_count'],
    sources: { impulse: 'event_time_field' },
  },
  debezium_coercion: {
    group: 'part2',
    inputs: [I],
    goldenLines: 100,
    outputFormat: 'debezium_json',
    pk: ['counter'],
    sources: { impulse_source: 'ingestion_time' },
  },
  debezium_agg: {
    group: 'part2',
    inputs: [D],
    goldenLines: 6,
    outputFormat: 'debezium_json',
    pk: ['id'],
    sources: { debezium_source: 'debezium_changelog' },
  },
  debezium_pass_through: {
    group: 'part2',
    inputs: [D],
    goldenLines: 798,
    outputFormat: 'debezium_json',
    pk: ['id'],
    sources: { debezium_source: 'debezium_changelog' },
  },
};

function build(name: string, s: Spec, shared: string): ArroyoCase {
  const inputDir = join(shared, name);
  return {
    name,
    group: s.group,
    query: join(here, name, 'query.sql'),
    ...(s.udfs ? { udfs: join(here, name, 'udfs.ts') } : {}),
    inputDir,
    inputs: Object.fromEntries(s.inputs.map((f) => [f, join(inputDir, f)])),
    golden: join(inputDir, 'golden.json'),
    goldenLines: s.goldenLines,
    outputFormat: s.outputFormat,
    compare: s.outputFormat === 'json' ? 'multiset_exact' : 'debezium_final_state',
    ...(s.pk ? { pk: s.pk } : {}),
    sources: s.sources,
    ...(s.partial ? { partial: s.partial } : {}),
  };
}

/** All 28 cases, paths resolved against {@link sharedArroyoDir} at the time of the call. */
export function loadArroyoCases(shared: string = sharedArroyoDir()): ArroyoCase[] {
  return Object.entries(specs).map(([name, s]) => build(name, s, shared));
}

/** All 28 cases, resolved when this module was first imported. */
export const arroyoCases: readonly ArroyoCase[] = loadArroyoCases();

/** The case called `name`; throws with the list of known names if there is none. */
export function arroyoCase(name: string): ArroyoCase {
  const found = arroyoCases.find((c) => c.name === name);
  if (!found) {
    throw new Error(
      `no Arroyo conformance case '${name}'; known cases: ${arroyoCases.map((c) => c.name).join(', ')}`,
    );
  }
  return found;
}

/**
 * The case's query text with its placeholders substituted: `$input_dir` → the shared case directory,
 * `$output_path` → `outputPath`. Paths are inserted verbatim (they must not contain a single quote).
 */
export function renderQuery(c: ArroyoCase, outputPath: string): string {
  for (const p of [c.inputDir, outputPath]) {
    if (p.includes("'")) throw new Error(`path ${p} contains a single quote; choose another output path`);
  }
  return readFileSync(c.query, 'utf8')
    .replaceAll('$input_dir', c.inputDir)
    .replaceAll('$output_path', outputPath);
}
