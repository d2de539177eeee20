import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import type { Darq } from '../darq.ts';
import { DarqError } from '../errors.ts';
import type { Lsn, ParticipantId } from '../types.ts';
import type { Worker } from '../worker.ts';
import {
  encodeFrame,
  type Frame,
  FrameReader,
  MAX_FRAME,
  MAX_UNAUTHENTICATED_FRAME,
  mac,
  macEquals,
  nonce,
  type WireMessage,
} from './frames.ts';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface TcpTransportOptions {
  /** The worker whose participants send (OUT entries) and receive (enqueue with dedup). */
  readonly worker: Worker;
  /** Shared cluster secret (≥ 16 bytes): peers prove they know it with an HMAC challenge both ways. */
  readonly secret: string | Uint8Array;
  /** Listen address for incoming peers (default 127.0.0.1, port 0 = any free port). */
  readonly host?: string;
  readonly port?: number;
  /** Other workers by id. */
  readonly peers?: Readonly<Record<string, PeerAddress>>;
  /** The worker id hosting a participant; undefined when unknown (the entry waits in the outbox). */
  readonly locate?: (dest: ParticipantId) => string | undefined;
  /**
   * Commit the worker when the transport wrote to it (received messages, acknowledgements) and nobody
   * else does (default true). The engine, which commits on its own barrier, turns it off.
   */
  readonly autoCommit?: boolean;
  /** OUT entries per batch (default 256); one batch is in flight per peer. */
  readonly batchSize?: number;
  /** Reconnect backoff in ms (default 10 doubling to 1000). */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  /** An incoming connection that has not authenticated after this long is closed (default 5000 ms). */
  readonly authTimeoutMs?: number;
}

export interface TransportStats {
  batchesSent: number;
  messagesSent: number;
  messagesAcked: number;
  messagesReceived: number;
  duplicatesDropped: number;
  connects: number;
  authFailures: number;
}

/**
 * Exactly-once delivery of OUT entries to participants on other workers over TCP. The outbox side
 * sends committed, unacknowledged OUT entries of every local participant, tagged (producer, seq =
 * LSN), one batch in flight per peer; the receiving side enqueues them with deduplication and acks a
 * batch only once its enqueues are committed there, and only then the sender drops the entries.
 * Connections are authenticated both ways with an HMAC challenge over the shared secret; a peer that
 * fails it is disconnected before anything it sent is read.
 *
 * ```ts
 * const t = await TcpTransport.listen({ worker, secret, peers: { w1: { host: '127.0.0.1', port: 7001 } },
 *                                       locate: (p) => (p.startsWith('sink') ? 'w1' : undefined) });
 * ```
 */
export class TcpTransport {
  readonly worker: Worker;
  readonly stats: TransportStats = {
    batchesSent: 0,
    messagesSent: 0,
    messagesAcked: 0,
    messagesReceived: 0,
    duplicatesDropped: 0,
    connects: 0,
    authFailures: 0,
  };
  private readonly secret: Buffer;
  private readonly server: Server;
  private readonly links = new Map<string, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private readonly pendingAcks: Array<{ target: number; socket: Socket; id: number }> = [];
  private readonly subs: Subscription[] = [];
  private readonly unsubOut: () => void;
  private commitScheduled = false;
  private readonly authTimeoutMs: number;
  private closed = false;
  readonly opts: Required<
    Omit<TcpTransportOptions, 'peers' | 'host' | 'port' | 'worker' | 'secret' | 'authTimeoutMs'>
  >;

  private constructor(opts: TcpTransportOptions, server: Server) {
    this.worker = opts.worker;
    this.secret = Buffer.isBuffer(opts.secret)
      ? opts.secret
      : typeof opts.secret === 'string'
        ? Buffer.from(opts.secret, 'utf8')
        : Buffer.from(opts.secret);
    this.server = server;
    this.authTimeoutMs = opts.authTimeoutMs ?? 5000;
    this.opts = {
      locate: opts.locate ?? (() => undefined),
      autoCommit: opts.autoCommit ?? true,
      batchSize: opts.batchSize ?? 256,
      backoff: opts.backoff ?? { minMs: 10, maxMs: 1000 },
    };
    for (const [id, addr] of Object.entries(opts.peers ?? {})) this.setPeer(id, addr);
    this.subs.push(this.worker.committed$.subscribe((v) => this.onCommitted(v)));
    this.unsubOut = this.worker.onOutAppend(() => {
      // New OUT entries become sendable once committed; commit soon if we are the committer.
      if (this.opts.autoCommit) this.scheduleCommit();
    });
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Starts listening; resolves once the port is bound. */
  static async listen(opts: TcpTransportOptions): Promise<TcpTransport> {
    const secretLength =
      typeof opts.secret === 'string'
        ? Buffer.byteLength(opts.secret, 'utf8')
        : (opts.secret?.byteLength ?? 0);
    if (secretLength < 16) {
      throw new DarqError(
        'DARQ_WEAK_SECRET',
        'user',
        `transport of worker ${opts.worker.id}: the cluster secret must have at least 16 bytes (got ${secretLength}). ` +
          'Generate one with `openssl rand -hex 32` and give the same value to every worker.',
      );
    }
    const server = createServer({ noDelay: true });
    const transport = new TcpTransport(opts, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new DarqError(
            'DARQ_LISTEN_FAILED',
            'external',
            `worker ${opts.worker.id} cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}: ${err.message}`,
            { cause: err },
          ),
        ),
      );
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    transport.flush();
    return transport;
  }

  /** The bound port. */
  get port(): number {
    const addr = this.server.address();
    return typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  /** Adds or moves a peer worker. */
  setPeer(workerId: string, addr: PeerAddress): void {
    const old = this.links.get(workerId);
    old?.close();
    const link = new PeerLink(this, workerId, addr);
    this.links.set(workerId, link);
    link.connect();
  }

  /** Tries to send whatever committed OUT entries are pending now. */
  flush(): void {
    for (const link of this.links.values()) link.pump();
  }

  /** Drops every connection (both directions) as a network failure would; links reconnect by themselves. */
  dropConnections(): void {
    for (const s of this.inbound) s.destroy();
    for (const link of this.links.values()) link.dropSocket();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subs) s.unsubscribe();
    this.unsubOut();
    for (const link of this.links.values()) link.close();
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** @internal */
  get secretBytes(): Buffer {
    return this.secret;
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal Called by a link when its batch was acknowledged. */
  acknowledged(entries: ReadonlyArray<readonly [Darq, Lsn]>): void {
    for (const [darq, lsn] of entries) darq.acknowledge(lsn);
    this.stats.messagesAcked += entries.length;
    if (this.opts.autoCommit) this.scheduleCommit();
  }

  scheduleCommit(): void {
    if (this.commitScheduled || this.closed) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      if (!this.closed && this.worker.hasOpenChanges) this.worker.commit();
    });
  }

  private onCommitted(cut: number): void {
    // Acks whose enqueues are now committed go out; then newly committed OUT entries may be sent.
    let kept = 0;
    for (const a of this.pendingAcks) {
      if (a.target <= cut) {
        if (!a.socket.destroyed) a.socket.write(encodeFrame({ t: 'ack', id: a.id }));
      } else {
        this.pendingAcks[kept++] = a;
      }
    }
    this.pendingAcks.length = kept;
    this.flush();
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    const serverNonce = nonce();
    const reader = new FrameReader(MAX_UNAUTHENTICATED_FRAME);
    let peer: string | undefined;
    // A peer gets a few seconds to authenticate; idle strangers do not keep sockets open.
    const authTimer = setTimeout(() => {
      if (peer !== undefined) return;
      this.stats.authFailures++;
      socket.destroy();
    }, this.authTimeoutMs);
    authTimer.unref();
    socket.on('close', () => {
      clearTimeout(authTimer);
      this.inbound.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    socket.write(encodeFrame({ t: 'hello', worker: this.worker.id, nonce: serverNonce }));
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (socket.destroyed) return;
        if (peer === undefined) {
          if (
            f.t !== 'auth' ||
            typeof f.worker !== 'string' ||
            !(f.nonce instanceof Uint8Array) ||
            !(f.mac instanceof Uint8Array) ||
            !macEquals(f.mac, mac(this.secret, 'darq-client', serverNonce, f.nonce, f.worker))
          ) {
            this.stats.authFailures++;
            socket.destroy();
            return;
          }
          peer = f.worker;
          reader.limit = MAX_FRAME;
          socket.write(
            encodeFrame({
              t: 'welcome',
              mac: mac(this.secret, 'darq-server', f.nonce, serverNonce, this.worker.id),
            }),
          );
          continue;
        }
        if (f.t === 'batch') this.receive(socket, f.id, f.msgs);
        else socket.destroy();
      }
    });
  }

  private receive(socket: Socket, id: number, msgs: ReadonlyArray<WireMessage>): void {
    const w = this.worker;
    for (const [producer, seq, dest, body] of msgs) {
      this.stats.messagesReceived++;
      if (!w.participant(dest).enqueue(producer, seq, [body])) this.stats.duplicatesDropped++;
    }
    // Ack once everything this batch depends on is committed: the open version if it has changes (it
    // may hold the first delivery of a duplicate), otherwise the last closed one (its fsync may be pending).
    const target = w.hasOpenChanges ? w.version : w.version - 1;
    if (target <= w.cut) {
      socket.write(encodeFrame({ t: 'ack', id }));
      return;
    }
    this.pendingAcks.push({ target, socket, id });
    if (this.opts.autoCommit) this.scheduleCommit();
  }
}

/** The outgoing side towards one peer worker: connect, authenticate, one batch in flight, reconnect. */
class PeerLink {
  private socket: Socket | undefined;
  private ready = false;
  private inFlight: { id: number; entries: Array<readonly [Darq, Lsn]> } | undefined;
  private nextId = 1;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly transport: TcpTransport,
    readonly peerId: string,
    private readonly addr: PeerAddress,
  ) {
    this.delay = transport.opts.backoff.minMs;
  }

  connect(): void {
    if (this.closed || this.transport.isClosed) return;
    const socket = connect({ host: this.addr.host, port: this.addr.port, noDelay: true });
    this.socket = socket;
    this.ready = false;
    const reader = new FrameReader(MAX_UNAUTHENTICATED_FRAME);
    let clientNonce: Buffer | undefined;
    let serverId = '';
    let serverNonce: Uint8Array | undefined;
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (socket.destroyed) return;
        if (clientNonce === undefined) {
          if (f.t !== 'hello' || !(f.nonce instanceof Uint8Array)) return void socket.destroy();
          clientNonce = nonce();
          serverId = String(f.worker);
          serverNonce = f.nonce;
          const me = this.transport.worker.id;
          socket.write(
            encodeFrame({
              t: 'auth',
              worker: me,
              nonce: clientNonce,
              mac: mac(this.transport.secretBytes, 'darq-client', f.nonce, clientNonce, me),
            }),
          );
        } else if (!this.ready) {
          const expected = mac(
            this.transport.secretBytes,
            'darq-server',
            clientNonce,
            serverNonce as Uint8Array,
            serverId,
          );
          if (f.t !== 'welcome' || !(f.mac instanceof Uint8Array) || !macEquals(f.mac, expected)) {
            this.transport.stats.authFailures++;
            return void socket.destroy();
          }
          this.ready = true;
          reader.limit = MAX_FRAME;
          this.delay = this.transport.opts.backoff.minMs;
          this.transport.stats.connects++;
          this.pump();
        } else if (f.t === 'ack' && this.inFlight !== undefined && f.id === this.inFlight.id) {
          const done = this.inFlight.entries;
          this.inFlight = undefined;
          this.transport.acknowledged(done);
          this.pump();
        }
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.ready = false;
      this.inFlight = undefined; // resent after reconnecting; the receiver drops what it already has
      this.scheduleReconnect();
    });
  }

  /** Sends the next batch of committed, unacknowledged OUT entries for this peer, if none is in flight. */
  pump(): void {
    if (!this.ready || this.inFlight !== undefined || this.socket === undefined) return;
    const t = this.transport;
    const w = t.worker;
    const cut = w.cut;
    const limit = t.opts.batchSize;
    const msgs: WireMessage[] = [];
    const entries: Array<readonly [Darq, Lsn]> = [];
    for (const pid of w.participantIds()) {
      const darq = w.participant(pid);
      let after = 0 as Lsn;
      scan: for (;;) {
        const outs = darq.pendingOutputs(after, limit);
        for (const o of outs) {
          if (o.version > cut) break scan;
          after = o.lsn;
          if (t.opts.locate(o.dest) !== this.peerId) continue;
          msgs.push([`${w.id}/${pid}`, o.lsn, o.dest, o.body]);
          entries.push([darq, o.lsn]);
          if (msgs.length >= limit) break scan;
        }
        if (outs.length < limit) break;
      }
      if (msgs.length >= limit) break;
    }
    if (msgs.length === 0) return;
    const id = this.nextId++;
    this.inFlight = { id, entries };
    t.stats.batchesSent++;
    t.stats.messagesSent += msgs.length;
    this.socket.write(encodeFrame({ t: 'batch', id, msgs }));
  }

  dropSocket(): void {
    this.socket?.destroy();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket?.destroy();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.transport.isClosed || this.timer !== undefined) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, this.transport.opts.backoff.maxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, wait);
  }
}
