import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { DarqError } from '../errors.ts';
import { listenOn, secretBytes } from '../transport/frames.ts';
import { acceptChannel, type Channel } from './channel.ts';
import type { DprFrame, VersionReport, WorkerPhase } from './frames.ts';
import { VersionGraph } from './graph.ts';

const DEBUG = process.env.DARQ_FINDER_DEBUG !== undefined;

export interface FinderOptions {
  /** File holding the finder's durable state (world-line and membership); created if missing. */
  readonly statePath: string;
  /** Shared cluster secret (≥ 16 bytes), the same the workers use. */
  readonly secret: string | Uint8Array;
  /** The workers of the cluster. More may join by connecting; membership is durable. */
  readonly members?: readonly string[];
  readonly host?: string;
  readonly port?: number;
  /** Called after each recovery round with what it decided (for logs and tests). */
  readonly onRecovery?: (r: RecoveryRecord) => void;
}

export interface RecoveryRecord {
  readonly worldLine: number;
  /** Workers that restarted, with the version they came back with. */
  readonly failed: ReadonlyMap<string, number>;
  /** Workers told to roll back, and to which version (failed workers included). */
  readonly rolledBack: ReadonlyMap<string, number>;
  /** Workers that kept running without a rollback. */
  readonly untouched: readonly string[];
  readonly ms: number;
}

interface DurableState {
  readonly format: 'darq-finder';
  readonly version: 1;
  worldLine: number;
  members: string[];
  /** Members that finished: everything they did is committed; they never take part again. */
  done?: string[];
}

interface Round {
  readonly id: number;
  readonly started: number;
  /** Restarted workers and the version they restored. */
  readonly failed: Map<string, number>;
  /** Workers whose answer (frozen, fresh or done) is in. */
  readonly answered: Set<string>;
}

/**
 * The DPR finder: collects which versions each worker persisted and what they depend on, computes the
 * committed cut and sends each worker its part; when a worker restarts, it runs a recovery round — freeze
 * everyone, collect the complete graph, roll back exactly the workers whose versions depend on lost work,
 * move everyone to a new world-line. It keeps only its world-line and membership on disk: after its own
 * restart it rebuilds the graph from the workers' reports (they keep their dependencies in their files).
 */
export class Finder {
  readonly graph = new VersionGraph();
  private readonly state: DurableState;
  private readonly secret: Buffer;
  private readonly channels = new Map<string, Channel>();
  private readonly phases = new Map<string, WorkerPhase>();
  private round: Round | undefined;
  private nextRound = 1;
  private closed = false;
  readonly recoveries: RecoveryRecord[] = [];

  private constructor(
    private readonly opts: FinderOptions,
    private readonly server: Server,
  ) {
    this.secret = secretBytes(opts.secret, 'finder');
    this.state = Finder.load(opts.statePath);
    for (const m of opts.members ?? []) if (!this.state.members.includes(m)) this.state.members.push(m);
    this.save();
    for (const m of this.state.members) this.graph.member(m);
    for (const m of this.state.done ?? []) this.markDone(m);
    server.on('connection', (socket) => {
      if (this.closed) return void socket.destroy();
      acceptChannel(socket, this.secret, 'finder', {
        onReady: (ch) => this.attach(ch),
        onFrame: (ch, f) => this.onFrame(ch, f),
        onClose: (ch) => {
          if (ch !== undefined && this.channels.get(ch.peer) === ch) this.channels.delete(ch.peer);
        },
      });
    });
  }

  static async listen(opts: FinderOptions): Promise<Finder> {
    secretBytes(opts.secret, 'finder');
    const server = createServer({ noDelay: true });
    const finder = new Finder(opts, server);
    await listenOn(server, opts.host, opts.port, 'finder');
    return finder;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  get worldLine(): number {
    return this.state.worldLine;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ch of this.channels.values()) ch.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private static load(file: string): DurableState {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new DarqError('DARQ_FINDER_STATE', 'external', `cannot read finder state ${file}: ${e}`);
      }
      return { format: 'darq-finder', version: 1, worldLine: 0, members: [] };
    }
    let parsed: DurableState;
    try {
      parsed = JSON.parse(text) as DurableState;
    } catch {
      parsed = {} as DurableState;
    }
    if (parsed.format !== 'darq-finder' || parsed.version !== 1 || !Array.isArray(parsed.members)) {
      throw new DarqError(
        'DARQ_CORRUPT_FILE',
        'external',
        `finder state ${file} is corrupt or not darq's; move it away only if this cluster's state is being discarded`,
      );
    }
    return parsed;
  }

  private save(): void {
    const file = this.opts.statePath;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(this.state));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }

  private attach(ch: Channel): void {
    this.channels.get(ch.peer)?.close();
    this.channels.set(ch.peer, ch);
    if (!this.state.members.includes(ch.peer)) {
      this.state.members.push(ch.peer);
      this.save();
    }
  }

  private absorb(worker: string, persisted: number, versions: ReadonlyArray<VersionReport>): void {
    for (const [v, deps] of versions) if (v <= persisted) this.graph.report(worker, v, new Map(deps));
    this.graph.report(worker, persisted, new Map());
  }

  private onFrame(ch: Channel, f: DprFrame): void {
    const id = ch.peer;
    if (DEBUG && f.t !== 'report') {
      process.stderr.write(
        `[finder ${Date.now() % 100000}] ${id} ${f.t} ${'phase' in f ? f.phase : ''} ${'round' in f ? f.round : ''} round=${this.round?.id ?? '-'} answered=${[...(this.round?.answered ?? [])]}\n`,
      );
    }
    switch (f.t) {
      case 'dhello': {
        if (this.phases.get(id) === 'done' && f.phase !== 'done') {
          // A finished member runs again (a resumed run): it is an ordinary member once more.
          this.state.done = (this.state.done ?? []).filter((m) => m !== id);
          this.save();
          const old = this.graph.member(id);
          old.cut = f.cut;
          old.persisted = f.persisted;
        }
        const view = this.graph.member(id, f.cut);
        if (f.cut > view.cut) view.cut = f.cut;
        if (f.worldLine > this.state.worldLine) {
          this.state.worldLine = f.worldLine;
          this.save();
        }
        this.phases.set(id, f.phase);
        if (f.phase === 'fresh') {
          // Its open version is gone: only what it persisted counts, the rest of its graph is stale.
          for (const v of [...view.deps.keys()]) if (v > f.persisted) view.deps.delete(v);
          view.persisted = Math.max(view.cut, f.persisted);
        }
        this.absorb(id, f.persisted, f.versions);
        if (f.phase === 'running' && f.worldLine === this.state.worldLine && this.round === undefined) {
          this.advance();
          return;
        }
        if (f.phase === 'done') {
          this.markDone(id);
          if (this.round === undefined) {
            this.advance();
            return;
          }
        }
        this.joinRound(id, f.phase, f.persisted);
        return;
      }
      case 'report':
        this.graph.report(id, f.v, new Map(f.deps));
        if (this.round === undefined) this.advance();
        return;
      case 'frozen':
        if (this.round === undefined || f.round !== this.round.id) return;
        this.absorb(id, f.persisted, f.versions);
        this.phases.set(id, 'frozen');
        this.round.answered.add(id);
        this.maybeFinishRound();
        return;
      case 'done':
        this.markDone(id);
        if (!(this.state.done ?? []).includes(id)) {
          this.state.done = [...(this.state.done ?? []), id];
          this.save();
        }
        if (this.round !== undefined) {
          this.round.answered.add(id);
          this.maybeFinishRound();
        } else {
          this.advance();
        }
        return;
      default:
        ch.close();
    }
  }

  /**
   * A finished member committed everything it will ever do: versions of others that read from it never wait
   * for it (it will not report again, and after a restart of the finder its last cut is not known).
   */
  private markDone(id: string): void {
    this.phases.set(id, 'done');
    const view = this.graph.member(id);
    view.persisted = Number.MAX_SAFE_INTEGER;
    view.cut = Number.MAX_SAFE_INTEGER;
    view.deps.clear();
  }

  private advance(): void {
    for (const [id, cut] of this.graph.advance()) this.channels.get(id)?.send({ t: 'cut', cut });
  }

  private joinRound(id: string, phase: WorkerPhase, persisted: number): void {
    if (this.round === undefined) {
      this.round = {
        id: this.nextRound++,
        started: performance.now(),
        failed: new Map(),
        answered: new Set(),
      };
      for (const [peer, ch] of this.channels) {
        if (peer !== id && this.phases.get(peer) === 'running')
          ch.send({ t: 'freeze', round: this.round.id });
      }
    }
    const r = this.round;
    if (phase === 'fresh') r.failed.set(id, persisted);
    if (phase === 'running') {
      this.channels.get(id)?.send({ t: 'freeze', round: r.id });
      return;
    }
    r.answered.add(id);
    this.maybeFinishRound();
  }

  private maybeFinishRound(): void {
    const r = this.round;
    if (r === undefined) return;
    for (const m of this.state.members) if (!r.answered.has(m) && this.phases.get(m) !== 'done') return;
    const targets = this.graph.recover(r.failed);
    this.state.worldLine += 1;
    this.save();
    const worldLine = this.state.worldLine;
    const untouched: string[] = [];
    for (const m of this.state.members) {
      if (this.phases.get(m) === 'done') continue;
      const target = targets.get(m);
      if (target === undefined) untouched.push(m);
      this.channels
        .get(m)
        ?.send(
          target === undefined
            ? { t: 'recover', worldLine }
            : { t: 'recover', worldLine, rollbackTo: target },
        );
      this.phases.set(m, 'running');
    }
    this.round = undefined;
    const record: RecoveryRecord = {
      worldLine,
      failed: r.failed,
      rolledBack: targets,
      untouched,
      ms: performance.now() - r.started,
    };
    this.recoveries.push(record);
    this.opts.onRecovery?.(record);
    this.advance();
  }
}
