/**
 * The version graph of Distributed Prefix Recovery, as pure data: which versions each worker has made
 * durable, and which versions of other workers each of its uncommitted versions read messages from. The
 * finder keeps one; workers rebuild it for the finder after a restart of either side.
 *
 * A version (w, v) is committable when it is persisted and every version it depends on is committable;
 * versions of one worker form a prefix, so version v of w also depends on every earlier version of w. The
 * committed cut is, per worker, the largest v such that everything up to (w, v) is committable.
 */

/** Direct dependencies of one version: for each other worker, the highest version it read from. */
export type Deps = ReadonlyMap<string, number>;

export interface WorkerView {
  /** Highest durable version. */
  persisted: number;
  /** The committed cut (never decreases). */
  cut: number;
  /** Dependencies of versions above the cut, by version. */
  readonly deps: Map<number, Deps>;
}

export class VersionGraph {
  readonly workers = new Map<string, WorkerView>();

  /** Adds a worker (or returns it) with the cut it already has. */
  member(id: string, cut = 0): WorkerView {
    let w = this.workers.get(id);
    if (w === undefined) {
      w = { persisted: cut, cut, deps: new Map() };
      this.workers.set(id, w);
    }
    return w;
  }

  /** A worker made `version` durable; `deps` are what that version read from other workers. */
  report(id: string, version: number, deps: Deps): void {
    const w = this.member(id);
    if (version <= w.cut) return;
    if (deps.size > 0) w.deps.set(version, deps);
    if (version > w.persisted) w.persisted = version;
  }

  /**
   * Advances every worker's cut as far as it can go; returns the workers whose cut moved. A fixpoint from
   * above: start at the persisted version and lower it below the first version with a dependency that is
   * itself above its worker's candidate, until nothing changes.
   */
  advance(): Map<string, number> {
    const cand = new Map<string, number>();
    for (const [id, w] of this.workers) cand.set(id, w.persisted);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, w] of this.workers) {
        const limit = cand.get(id) as number;
        let lowest = limit;
        for (const [v, deps] of w.deps) {
          if (v > limit || v > lowest) continue;
          for (const [other, ov] of deps) {
            const oc = cand.get(other);
            // A version depending on a worker we have never heard of cannot commit yet.
            if (oc === undefined || ov > oc) {
              lowest = v - 1;
              break;
            }
          }
        }
        if (lowest < limit) {
          cand.set(id, lowest);
          changed = true;
        }
      }
    }
    const moved = new Map<string, number>();
    for (const [id, w] of this.workers) {
      const c = cand.get(id) as number;
      if (c > w.cut) {
        w.cut = c;
        for (const v of [...w.deps.keys()]) if (v <= c) w.deps.delete(v);
        moved.set(id, c);
      }
    }
    return moved;
  }

  /**
   * Recovery after failures: `lost` maps each failed worker to the version it restored (everything above
   * is gone). Returns, for every worker that must roll back, the version to roll back to — the highest
   * version whose dependencies, transitively, include no lost version. Workers not in the result keep
   * running untouched. Versions at or below a cut never depend on lost work, so no target is below a cut.
   */
  recover(lost: ReadonlyMap<string, number>): Map<string, number> {
    const keep = new Map<string, number>();
    for (const id of this.workers.keys()) keep.set(id, Number.POSITIVE_INFINITY);
    for (const [id, v] of lost) {
      this.member(id);
      keep.set(id, v);
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, w] of this.workers) {
        const limit = keep.get(id) as number;
        let lowest = limit;
        for (const [v, deps] of w.deps) {
          if (v > lowest) continue;
          for (const [other, ov] of deps) {
            if (ov > (keep.get(other) ?? Number.POSITIVE_INFINITY)) {
              lowest = v - 1;
              break;
            }
          }
        }
        if (lowest < limit) {
          keep.set(id, lowest);
          changed = true;
        }
      }
    }
    const targets = new Map<string, number>();
    for (const [id, v] of keep) {
      if (v === Number.POSITIVE_INFINITY) continue;
      const w = this.workers.get(id) as WorkerView;
      const target = Math.max(v, w.cut);
      targets.set(id, target);
      for (const dv of [...w.deps.keys()]) if (dv > target) w.deps.delete(dv);
      if (w.persisted > target) w.persisted = target;
    }
    return targets;
  }
}
