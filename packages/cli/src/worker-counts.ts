import type { WorkerEvent } from '@darq/engine';

export type Counts = Extract<WorkerEvent, { type: 'progress' }>['counters'];
export type CountName = keyof Counts;
export const COUNTS: readonly CountName[] = ['eventsIn', 'rowsOut', 'badRecords', 'lateRows', 'versions'];
/**
 * Counters a worker process restores from its state when it starts (input read, bad records): after a restart
 * or a rollback they may report less than before, and the series holds its high-water mark until the worker
 * has read past it again. The others count from 0 in each process: a new process adds to what the one before
 * it last reported.
 */
const RESTORED: ReadonlySet<CountName> = new Set(['eventsIn', 'badRecords']);
export const zero = (): Counts => ({ eventsIn: 0, rowsOut: 0, badRecords: 0, lateRows: 0, versions: 0 });

/**
 * The counters of a multi-process run, per worker, over every process that has run it: the supervisor numbers
 * the processes (`incarnation`) as it adopts them. The run summary and `/metrics` both read them.
 */
export class WorkerCounts {
  private readonly workers = new Map<string, { incarnation: number; base: Counts; raw: Counts }>();

  /** A process's report; false (and ignored) when it comes from a process already replaced. */
  report(worker: string, incarnation: number, counters: Counts): boolean {
    let w = this.workers.get(worker);
    if (w === undefined) {
      w = { incarnation, base: zero(), raw: zero() };
      this.workers.set(worker, w);
    }
    if (incarnation < w.incarnation) return false;
    if (incarnation > w.incarnation) {
      for (const k of COUNTS) if (!RESTORED.has(k)) w.base[k] += w.raw[k];
      w.incarnation = incarnation;
    }
    w.raw = { ...counters };
    return true;
  }

  /** One worker's counters over all its processes. */
  of(worker: string): Counts {
    const w = this.workers.get(worker);
    const c = zero();
    if (w === undefined) return c;
    for (const k of COUNTS) c[k] = RESTORED.has(k) ? w.raw[k] : w.base[k] + w.raw[k];
    return c;
  }

  /** The sums over every worker. */
  total(): Counts {
    const t = zero();
    for (const worker of this.workers.keys()) {
      const c = this.of(worker);
      for (const k of COUNTS) t[k] += c[k];
    }
    return t;
  }
}
