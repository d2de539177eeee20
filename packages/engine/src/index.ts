export type { Aggregator, UdafModule } from './aggregates/index.ts';
export { QueryError, type RunQueryOptions, runQuery } from './api.ts';
export { type ClusterSpec, type Endpoint, placeParticipants, readClusterSpec } from './cluster/spec.ts';
export { applyTentative } from './cluster/tentative.ts';
export { type ClusterWorkerOptions, runClusterWorker, type WorkerEvent } from './cluster/worker.ts';
export {
  BlackholeSinkWriter,
  CallbackSinkWriter,
  FileSinkWriter,
  StreamSinkWriter,
} from './connectors/file-sink.ts';
export { FileSourceReader } from './connectors/file-source.ts';
export * from './connectors/generators/index.ts';
export type { BadInput, SinkWriter, SourceRead, SourceReader } from './connectors/source.ts';
export { LineSplitter, type LineStart } from './connectors/stdin-source.ts';
export { ConnectorError, EngineError, OperatorError, PlanError, StateError } from './errors.ts';
export { formatTimestamp, parseTimestamp } from './formats/time.ts';
export {
  Job,
  type JobOptions,
  loadFunctions,
  planFingerprint,
  type RunSummary,
  TooManyBadRecords,
} from './job.ts';
export type { JobGraph, StageSpec } from './physical/graph.ts';
export { END_WATERMARK, type Row } from './runtime/batch.ts';
export { type Progress, SimulatedCrash } from './runtime/scheduler.ts';
