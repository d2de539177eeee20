import type { Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import { secretBytes } from '../transport/frames.ts';
import type { Version } from '../types.ts';
import type { Worker } from '../worker.ts';
import { type Channel, openChannel } from './channel.ts';
import type { DprFrame, VersionReport, WorkerPhase } from './frames.ts';

/** What the program running on a worker does when the finder stops it or moves it to a new world-line. */
export interface DprHost {
  /**
   * Stop stepping and close the open version (commit it, with whatever the program buffers). Called between
   * turns of the event loop; the client waits until the version is durable, then reports it.
   */
  freeze(): void;
  /**
   * Move to a new world-line. With `rollbackTo`, the worker's state must become that of the end of that
   * version: the host calls `worker.rollbackTo(v)` and rebuilds everything it derived from the undone
   * versions (processors restart with a replay). The host calls `client.resumed()` when it runs again.
   */
  recover(worldLine: number, rollbackTo: number | undefined): void;
}

export interface DprClientOptions {
  readonly worker: Worker;
  readonly finder: { readonly host: string; readonly port: number };
  readonly secret: string | Uint8Array;
  readonly host: DprHost;
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

const DEPS_KEY = 'dpr.deps';

/**
 * The worker's side of Distributed Prefix Recovery. It records, per version, which versions of other
 * workers that version read from (durably, inside the version itself, so a restarted worker or a restarted
 * finder can rebuild the graph), reports every persisted version to the finder, marks the cut the finder
 * sends back, and answers freeze / recover during recovery rounds.
 *
 * A worker starts `fresh`: it may not step until the finder moved it into a world-line (`running`).
 */
export class DprClient {
  readonly worker: Worker;
  private phase: WorkerPhase = 'fresh';
  private world = 0;
  /** Dependencies of the open version. */
  private open = new Map<string, number>();
  /** Durable dependencies of closed versions above the cut. */
  private readonly closedDeps = new Map<number, Map<string, number>>();
  private depsDirty = false;
  private channel: Channel | undefined;
  private socket: Socket | undefined;
  private readonly secret: Buffer;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly subs: Subscription[] = [];
  private readonly unhook: () => void;
  private closed = false;
  private pendingFreeze: number | undefined;
  private finished = false;
  private lastCut = 0;
  private reportedUpTo = 0;

  constructor(private readonly opts: DprClientOptions) {
    this.worker = opts.worker;
    this.secret = secretBytes(opts.secret, `DPR client of worker ${opts.worker.id}`);
    this.delay = opts.backoff?.minMs ?? 10;
    const raw = this.worker.getMeta(DEPS_KEY);
    if (raw !== undefined) {
      for (const [v, deps] of JSON.parse(raw) as VersionReport[]) {
        if (v > this.worker.cut && v <= this.worker.persisted) this.closedDeps.set(v, new Map(deps));
      }
    }
    this.unhook = this.worker.onBeforeCommit(() => this.beforeCommit());
    this.subs.push(this.worker.persisted$.subscribe((v) => this.onPersisted(v)));
    this.subs.push(this.worker.committed$.subscribe(() => this.prune()));
    this.connect();
  }

  /** The world-line this worker runs in (0 before the first recovery round). */
  get worldLine(): number {
    return this.world;
  }

  /** Whether steps may run and messages may be taken in. */
  get running(): boolean {
    return this.phase === 'running';
  }

  /**
   * Records that the open version is about to read a message from version `v` of worker `from`, after
   * applying the commit-ordering rule (the open version is numbered at least `v`).
   */
  dependOn(from: string, v: number): void {
    this.worker.fastForward(v as Version);
    const cur = this.open.get(from);
    if (cur === undefined || v > cur) {
      this.open.set(from, v);
      this.depsDirty = true;
    }
  }

  /** The host runs again after `recover` (and its rollback). */
  resumed(): void {
    this.phase = 'running';
    this.open = new Map();
  }

  /** Everything is processed and committed: tell the finder this worker will not take part any more. */
  done(): void {
    this.finished = true;
    this.phase = 'done';
    this.channel?.send({ t: 'done' });
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const s of this.subs) s.unsubscribe();
    this.unhook();
    this.socket?.destroy();
  }

  private beforeCommit(): void {
    if (!this.depsDirty) return;
    const v = this.worker.version;
    if (this.open.size > 0) this.closedDeps.set(v, this.open);
    this.open = new Map();
    this.depsDirty = false;
    this.writeDeps();
  }

  private writeDeps(): void {
    const list: VersionReport[] = [...this.closedDeps].map(([v, d]) => [v, [...d]]);
    this.worker.setMeta(DEPS_KEY, JSON.stringify(list));
  }

  private prune(): void {
    const cut = this.worker.cut;
    for (const v of [...this.closedDeps.keys()]) if (v <= cut) this.closedDeps.delete(v);
  }

  private reports(): VersionReport[] {
    const p = this.worker.persisted;
    return [...this.closedDeps].filter(([v]) => v <= p).map(([v, d]) => [v, [...d]]);
  }

  private onPersisted(v: number): void {
    // persisted$ skips the versions that rode on one background fsync with v: report those too, or the
    // finder would commit them without knowing what they read.
    for (const [cv, cd] of this.closedDeps) {
      if (cv > this.reportedUpTo && cv < v) this.channel?.send({ t: 'report', v: cv, deps: [...cd] });
    }
    this.reportedUpTo = v;
    const deps = this.closedDeps.get(v);
    this.channel?.send({ t: 'report', v, deps: deps ? [...deps] : [] });
    if (this.pendingFreeze !== undefined && !this.worker.hasOpenChanges && !this.worker.syncPending)
      this.answerFreeze();
  }

  private connect(): void {
    if (this.closed) return;
    this.socket = openChannel(this.opts.finder, this.secret, this.worker.id, {
      onReady: (ch) => {
        this.channel = ch;
        this.delay = this.opts.backoff?.minMs ?? 10;
        ch.send({
          t: 'dhello',
          worker: this.worker.id,
          phase: this.phase,
          worldLine: this.world,
          persisted: this.worker.persisted,
          cut: this.worker.cut,
          versions: this.reports(),
        });
      },
      onFrame: (_ch, f) => this.onFrame(f),
      onClose: () => {
        this.channel = undefined;
        this.reconnect();
      },
    });
  }

  private reconnect(): void {
    if (this.closed || this.timer !== undefined) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, this.opts.backoff?.maxMs ?? 500);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, wait);
    this.timer.unref?.();
  }

  private onFrame(f: DprFrame): void {
    switch (f.t) {
      case 'cut': {
        const c = Math.min(f.cut, this.worker.persisted);
        if (c > this.lastCut || c > this.worker.cut) {
          this.lastCut = c;
          this.worker.markCommitted(c as Version);
        }
        return;
      }
      case 'freeze':
        if (this.finished) return void this.channel?.send({ t: 'done' });
        if (this.phase === 'running') {
          this.phase = 'frozen';
          this.opts.host.freeze();
        }
        this.pendingFreeze = f.round;
        if (!this.worker.hasOpenChanges && !this.worker.syncPending) this.answerFreeze();
        return;
      case 'recover':
        this.pendingFreeze = undefined;
        this.world = f.worldLine;
        this.phase = 'frozen';
        this.open = new Map();
        this.depsDirty = false;
        if (f.rollbackTo !== undefined) {
          for (const v of [...this.closedDeps.keys()]) if (v > f.rollbackTo) this.closedDeps.delete(v);
        }
        this.opts.host.recover(f.worldLine, f.rollbackTo);
        return;
      default:
        return;
    }
  }

  private answerFreeze(): void {
    const round = this.pendingFreeze;
    if (round === undefined) return;
    this.pendingFreeze = undefined;
    this.channel?.send({
      t: 'frozen',
      round,
      persisted: this.worker.persisted,
      versions: this.reports(),
    });
  }
}
