import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import type { Darq } from '../darq.ts';
import type { DprClient } from '../dpr/client.ts';
import type { Lsn, ParticipantId } from '../types.ts';
import type { Worker } from '../worker.ts';
import {
  encodeFrame,
  type Frame,
  FrameReader,
  listenOn,
  MAX_FRAME,
  MAX_UNAUTHENTICATED_FRAME,
  mac,
  macEquals,
  nonce,
  onFrames,
  secretBytes,
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
  /**
   * Distributed Prefix Recovery: batches carry the sender's world-line and version, the receiver records
   * the dependency (and refuses batches of another world-line or while it recovers).
   */
  readonly dpr?: DprClient;
  /**
   * With `dpr`: send OUT entries as soon as they are appended, before their version is committed (default
   * true). False is the non-speculative baseline: only committed entries travel.
   */
  readonly speculative?: boolean;
  /** Called with the number of OUT entries each acknowledgement removed from the outbox. */
  readonly onAcked?: (count: number) => void;
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
    Omit<
      TcpTransportOptions,
      'peers' | 'host' | 'port' | 'worker' | 'secret' | 'authTimeoutMs' | 'dpr' | 'speculative' | 'onAcked'
    >
  >;
  readonly dpr: DprClient | undefined;
  /** Whether uncommitted OUT entries are sent (speculation with DPR). */
  readonly speculative: boolean;
  private readonly onAcked: ((count: number) => void) | undefined;
  private flushScheduled = false;

  private constructor(opts: TcpTransportOptions, server: Server) {
    this.worker = opts.worker;
    this.secret = secretBytes(opts.secret, `transport of worker ${opts.worker.id}`);
    this.server = server;
    this.authTimeoutMs = opts.authTimeoutMs ?? 5000;
    this.opts = {
      locate: opts.locate ?? (() => undefined),
      autoCommit: opts.autoCommit ?? true,
      batchSize: opts.batchSize ?? 256,
      backoff: opts.backoff ?? { minMs: 10, maxMs: 1000 },
    };
    this.dpr = opts.dpr;
    this.speculative = opts.dpr !== undefined && opts.speculative !== false;
    this.onAcked = opts.onAcked;
    for (const [id, addr] of Object.entries(opts.peers ?? {})) this.setPeer(id, addr);
    this.subs.push(this.worker.committed$.subscribe((v) => this.onCommitted(v)));
    this.unsubOut = this.worker.onOutAppend(() => {
      // Speculative: send at once. Otherwise new OUT entries become sendable once committed; commit soon if
      // we are the committer.
      if (this.speculative) {
        for (const link of this.links.values()) link.outPending = true;
        this.scheduleFlush();
      } else if (this.opts.autoCommit) this.scheduleCommit();
    });
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Starts listening; resolves once the port is bound. */
  static async listen(opts: TcpTransportOptions): Promise<TcpTransport> {
    secretBytes(opts.secret, `transport of worker ${opts.worker.id}`);
    const server = createServer({ noDelay: true });
    const transport = new TcpTransport(opts, server);
    await listenOn(server, opts.host, opts.port, `worker ${opts.worker.id}`);
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

  /**
   * After a rollback or a world-line change: forget acknowledgements owed for undone enqueues and start
   * every link over from its oldest unacknowledged entry (the receivers deduplicate).
   */
  reset(): void {
    this.pendingAcks.length = 0;
    this.dropConnections();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.closed) this.flush();
    });
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
    let removed = 0;
    for (const [darq, lsn] of entries) {
      if (darq.isDropped) continue;
      if (darq.acknowledge(lsn)) removed++;
    }
    this.stats.messagesAcked += entries.length;
    if (removed > 0) this.onAcked?.(removed);
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
    onFrames<Frame>(socket, reader, (f) => {
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
        return;
      }
      if (f.t === 'batch') this.receive(socket, peer, f);
      else socket.destroy();
    });
  }

  private receive(socket: Socket, peer: string, f: Extract<Frame, { t: 'batch' }>): void {
    const w = this.worker;
    const { id, msgs } = f;
    const dpr = this.dpr;
    if (dpr !== undefined) {
      // Another world-line, or recovering: refuse, and drop the connection so that no later batch of it
      // is taken in ahead of this one (the sender starts over from its oldest unacknowledged entry).
      if (!dpr.running || f.wl !== dpr.worldLine) {
        socket.destroy();
        return;
      }
      if (f.v !== undefined && f.v > 0) dpr.dependOn(peer, f.v);
    }
    for (const [producer, seq, dest, body] of msgs) {
      this.stats.messagesReceived++;
      if (!w.participant(dest).enqueue(producer, seq, [body])) this.stats.duplicatesDropped++;
    }
    // Ack once everything this batch depends on is committed: the open version if it has changes (it
    // may hold the first delivery of a duplicate), otherwise the last closed one (its fsync may be pending).
    const target = w.hasOpenChanges ? w.version : w.version - 1;
    if (this.speculative) socket.write(encodeFrame({ t: 'recv', id }));
    if (target <= w.cut) {
      socket.write(encodeFrame({ t: 'ack', id }));
      return;
    }
    this.pendingAcks.push({ target, socket, id });
    if (this.opts.autoCommit) this.scheduleCommit();
  }
}

/** Speculative mode: batches on their way to one peer before the sender waits for the receiver. */
const MAX_UNRECEIVED = 4;

/** The outgoing side towards one peer worker: connect, authenticate, one batch in flight, reconnect. */
class PeerLink {
  private socket: Socket | undefined;
  private ready = false;
  private inFlight: { id: number; entries: Array<readonly [Darq, Lsn]> } | undefined;
  /** Speculative mode: batches sent on this connection and not yet durably acknowledged, by id. */
  private readonly unacked = new Map<number, Array<readonly [Darq, Lsn]>>();
  /** Speculative mode: batches sent and not yet taken in by the receiver. */
  private unreceived = 0;
  /** Speculative mode: the last LSN sent on this connection, per participant. */
  private readonly sentUpTo = new Map<Darq, Lsn>();
  /**
   * Speculative mode: OUT entries may wait beyond `sentUpTo` (appended since the last scan, or left when the
   * window filled). Without it a pump (on every receipt and every cut) skips the outbox query.
   */
  outPending = true;
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
    onFrames<Frame>(socket, reader, (f) => {
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
      } else if (f.t === 'recv' && this.transport.speculative) {
        if (this.unreceived > 0) this.unreceived--;
        this.pump();
      } else if (f.t === 'ack' && this.transport.speculative) {
        const done = this.unacked.get(f.id);
        if (done !== undefined) {
          this.unacked.delete(f.id);
          this.transport.acknowledged(done);
        }
      } else if (f.t === 'ack' && this.inFlight !== undefined && f.id === this.inFlight.id) {
        const done = this.inFlight.entries;
        this.inFlight = undefined;
        this.transport.acknowledged(done);
        this.pump();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.ready = false;
      this.inFlight = undefined; // resent after reconnecting; the receiver drops what it already has
      this.unacked.clear();
      this.unreceived = 0;
      this.sentUpTo.clear();
      this.outPending = true;
      this.scheduleReconnect();
    });
  }

  /** Sends the next batch of committed, unacknowledged OUT entries for this peer, if none is in flight. */
  pump(): void {
    if (this.transport.speculative) {
      this.pumpSpeculative();
      return;
    }
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
    const dpr = t.dpr;
    this.socket.write(
      encodeFrame(
        dpr === undefined ? { t: 'batch', id, msgs } : { t: 'batch', id, msgs, wl: dpr.worldLine, v: 0 },
      ),
    );
  }

  /**
   * Speculative sending: every OUT entry for this peer, committed or not, in LSN order per participant,
   * tagged with the world-line and the highest version among them; a few batches may be on the way at
   * once (TCP keeps them in order), and each stays in the outbox until the receiver's cut covers it.
   */
  private pumpSpeculative(): void {
    const t = this.transport;
    const dpr = t.dpr as DprClient;
    if (!dpr.running || !this.outPending) return;
    while (this.ready && this.socket !== undefined && this.unreceived < MAX_UNRECEIVED) {
      this.outPending = false;
      const w = t.worker;
      const limit = t.opts.batchSize;
      const msgs: WireMessage[] = [];
      const entries: Array<readonly [Darq, Lsn]> = [];
      let maxVersion = 0;
      for (const pid of w.participantIds()) {
        const darq = w.participant(pid);
        let after = this.sentUpTo.get(darq) ?? (0 as Lsn);
        scan: for (;;) {
          const outs = darq.pendingOutputs(after, limit);
          for (const o of outs) {
            after = o.lsn;
            if (t.opts.locate(o.dest) !== this.peerId) continue;
            msgs.push([`${w.id}/${pid}`, o.lsn, o.dest, o.body]);
            entries.push([darq, o.lsn]);
            if (o.version > maxVersion) maxVersion = o.version;
            if (msgs.length >= limit) break scan;
          }
          if (outs.length < limit) break;
        }
        this.sentUpTo.set(darq, after);
        if (msgs.length >= limit) break;
      }
      if (msgs.length === 0) return;
      const id = this.nextId++;
      this.unacked.set(id, entries);
      this.unreceived++;
      t.stats.batchesSent++;
      t.stats.messagesSent += msgs.length;
      this.socket.write(encodeFrame({ t: 'batch', id, msgs, wl: dpr.worldLine, v: maxVersion }));
      // The window may have stopped this scan short of the end: look again on the next pump.
      this.outPending = true;
    }
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
