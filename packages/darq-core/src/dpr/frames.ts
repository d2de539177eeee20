/** Frames between workers and the finder (msgpack, length-prefixed; see transport/frames.ts). */

/** A version and its direct dependencies: [version, [[worker, version], …]]. */
export type VersionReport = readonly [number, ReadonlyArray<readonly [string, number]>];

/** What a worker is doing when it (re)connects to the finder. */
export type WorkerPhase =
  /** The process just started: its open version was lost, it waits for a world-line to run in. */
  | 'fresh'
  /** Running speculatively in world-line `worldLine`. */
  | 'running'
  /** Stopped for a recovery round: committed, reported, waiting for `recover`. */
  | 'frozen'
  /** Finished: all input processed and everything committed; it will not run again. */
  | 'done';

export type DprFrame =
  | {
      readonly t: 'dhello';
      readonly worker: string;
      readonly phase: WorkerPhase;
      readonly worldLine: number;
      readonly persisted: number;
      readonly cut: number;
      readonly versions: ReadonlyArray<VersionReport>;
    }
  /** Worker → finder: `v` is durable; `deps` are its dependencies (empty when it read nothing remote). */
  | { readonly t: 'report'; readonly v: number; readonly deps: VersionReport[1] }
  /** Worker → finder: frozen for round `round`, everything up to `persisted` reported. */
  | {
      readonly t: 'frozen';
      readonly round: number;
      readonly persisted: number;
      readonly versions: ReadonlyArray<VersionReport>;
    }
  | { readonly t: 'done' }
  /** Finder → worker: your committed cut. */
  | { readonly t: 'cut'; readonly cut: number }
  /** Finder → worker: stop stepping, commit, report, answer `frozen`. */
  | { readonly t: 'freeze'; readonly round: number }
  /** Finder → worker: run in `worldLine`, after rolling back to `rollbackTo` when given. */
  | { readonly t: 'recover'; readonly worldLine: number; readonly rollbackTo?: number };
