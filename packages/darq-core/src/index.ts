export { decodeRecords, encodeRecords } from './codec.ts';
export { Darq, type OutEntry } from './darq.ts';
export { DprClient, type DprClientOptions, type DprHost } from './dpr/client.ts';
export { Finder, type FinderOptions, type RecoveryRecord } from './dpr/finder.ts';
export type { DprFrame, VersionReport, WorkerPhase } from './dpr/frames.ts';
export { type Deps, VersionGraph, type WorkerView } from './dpr/graph.ts';
export { DarqError, type ErrorDomain } from './errors.ts';
export type { DarqProcessor, ProcessorCapabilities, ProcessorClientOptions } from './processor.ts';
export { ColocatedProcessorClient } from './processor.ts';
export type { StateWrite, StepAppend, StepRequest } from './step.ts';
export { StepBuilder } from './step.ts';
export type { LogStore, StoredEntry } from './store/log-store.ts';
export { compareUtf8, MemoryLogStore } from './store/memory-store.ts';
export { DARQ_APPLICATION_ID, DARQ_SCHEMA_VERSION, SqliteLogStore } from './store/sqlite-store.ts';
export type { Frame, WireMessage } from './transport/frames.ts';
export { encodeFrame, FrameReader } from './transport/frames.ts';
export {
  type PeerAddress,
  TcpTransport,
  type TcpTransportOptions,
  type TransportStats,
} from './transport/tcp.ts';
export type {
  DarqMessage,
  Incarnation,
  Lsn,
  ParticipantId,
  StepStatus,
  Version,
  WorldLine,
} from './types.ts';
export { EntryKind } from './types.ts';
export { Worker, type WorkerOptions } from './worker.ts';
