import type { Schema, SinkDef, SourceDef } from '@darq/parser';
import type { ConnectorContext } from '../connectors/registry.ts';
import type { Row } from '../runtime/batch.ts';
import type { Operator } from '../runtime/operator.ts';

/** One operator of a stage's fused chain, created afresh for every participant. */
export interface OperatorSpec {
  readonly id: string;
  readonly name: string;
  /** State kept per participant, for EXPLAIN: `none`, `keyed by (pane, key)`, … */
  readonly state: string;
  /** `connectors`: where an operator that reads a file itself (a lookup join's table) finds it. */
  create(connectors?: ConnectorContext): Operator;
}

/** An edge into a stage: rows of stage `from` arrive on input port `port`, hash-partitioned by `key`. */
export interface EdgeSpec {
  readonly from: string;
  readonly port: number;
  readonly key?: (row: Row) => unknown;
  readonly keyDescription?: string;
}

/** A side output of a stage (dead letters, late rows) into a sink stage. */
export interface SideEdgeSpec {
  readonly name: string;
  readonly to: string;
}

export interface SourceStage {
  readonly def: SourceDef;
  /** Schema indices the scan emits. */
  readonly columns: readonly number[];
}

export interface SinkStage {
  readonly def: SinkDef;
  /** Column names and types written. */
  readonly schema: Schema;
}

/**
 * A stage: a chain of operators fused between two shuffles or stateful boundaries, run by `parallelism`
 * participants. A source stage starts at a connector; a sink stage ends at one.
 */
export interface StageSpec {
  readonly id: string;
  readonly kind: 'source' | 'operator' | 'sink';
  parallelism: number;
  readonly source?: SourceStage;
  readonly sink?: SinkStage;
  readonly operators: OperatorSpec[];
  readonly inputs: EdgeSpec[];
  readonly sides: SideEdgeSpec[];
  /** Output schema of the chain (for a sink: what it writes). */
  schema: Schema;
  /** 'append' or 'updating' output. */
  changelog: 'append' | 'updating';
}

/** The physical dataflow of a job: stages in topological order (sources first, sinks last). */
export interface JobGraph {
  readonly stages: readonly StageSpec[];
  /** Plan-time warnings (e.g. unbounded state). */
  readonly warnings: readonly string[];
}

export function participantIds(stage: StageSpec): string[] {
  return Array.from({ length: stage.parallelism }, (_, i) => `${stage.id}.${i}`);
}
