export type { GeneratorErrorCode } from './errors.ts';
export { GeneratorError } from './errors.ts';
export type {
  Auction,
  Bid,
  NexmarkEvent,
  NexmarkOptions,
  NexmarkSnapshot,
  Person,
} from './nexmark.ts';
export {
  NEXMARK_EVENT_TYPE,
  NexmarkGenerator,
  nexmarkPrice,
  nexmarkStaticTables,
  nexmarkTsvLine,
} from './nexmark.ts';
export { JavaSplittableRandom, Xoshiro128ss } from './prng.ts';
export type {
  SearchColumns,
  SearchEvent,
  SearchTraceOptions,
  SearchTracePreset,
  SearchTraceSnapshot,
} from './search-trace.ts';
export {
  REGION_IPS,
  regionOf,
  SEARCH_COLUMNS_CAPACITY,
  SEARCH_TRACE_PRESETS,
  SearchTraceGenerator,
  writeSearchTraceJsonl,
} from './search-trace.ts';
