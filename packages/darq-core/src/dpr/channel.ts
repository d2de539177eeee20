import { connect, type Socket } from 'node:net';
import { codec } from '../codec.ts';
import {
  type Frame,
  FrameReader,
  MAX_FRAME,
  MAX_UNAUTHENTICATED_FRAME,
  mac,
  macEquals,
  nonce,
  onFrames,
} from '../transport/frames.ts';
import type { DprFrame } from './frames.ts';

/**
 * An authenticated, framed connection to or from the finder. Both sides prove knowledge of the cluster
 * secret with an HMAC over fresh nonces (the same scheme as the worker transport, with its own labels so a
 * transcript of one protocol is worthless in the other); nothing a peer sends is read before that.
 */
export interface Channel {
  readonly peer: string;
  send(frame: DprFrame): void;
  close(): void;
  readonly closed: boolean;
}

export interface ChannelHandlers {
  onReady(ch: Channel): void;
  onFrame(ch: Channel, frame: DprFrame): void;
  onClose(ch: Channel | undefined): void;
}

function encode(frame: DprFrame | Frame): Buffer {
  const payload = codec.pack(frame);
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

function channelOf(socket: Socket, peer: string): Channel {
  return {
    peer,
    send: (frame) => {
      if (!socket.destroyed) socket.write(encode(frame));
    },
    close: () => socket.destroy(),
    get closed() {
      return socket.destroyed;
    },
  };
}

/** Server side: authenticates an accepted socket as a worker of the cluster. */
export function acceptChannel(
  socket: Socket,
  secret: Uint8Array,
  myId: string,
  handlers: ChannelHandlers,
  authTimeoutMs = 5000,
): void {
  socket.setNoDelay(true);
  const serverNonce = nonce();
  const reader = new FrameReader(MAX_UNAUTHENTICATED_FRAME);
  let ch: Channel | undefined;
  const timer = setTimeout(() => {
    if (ch === undefined) socket.destroy();
  }, authTimeoutMs);
  timer.unref();
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    clearTimeout(timer);
    handlers.onClose(ch);
  });
  socket.write(encode({ t: 'hello', worker: myId, nonce: serverNonce }));
  onFrames<Frame | DprFrame>(socket, reader, (f) => {
    if (ch === undefined) {
      if (
        f.t !== 'auth' ||
        typeof f.worker !== 'string' ||
        !(f.nonce instanceof Uint8Array) ||
        !(f.mac instanceof Uint8Array) ||
        !macEquals(f.mac, mac(secret, 'darq-finder-client', serverNonce, f.nonce, f.worker))
      ) {
        socket.destroy();
        return;
      }
      reader.limit = MAX_FRAME;
      socket.write(
        encode({ t: 'welcome', mac: mac(secret, 'darq-finder-server', f.nonce, serverNonce, myId) }),
      );
      ch = channelOf(socket, f.worker);
      handlers.onReady(ch);
      return;
    }
    handlers.onFrame(ch, f as DprFrame);
  });
}

/** Client side: connects and authenticates; `onClose` fires on any failure (the caller reconnects). */
export function openChannel(
  addr: { host: string; port: number },
  secret: Uint8Array,
  myId: string,
  handlers: ChannelHandlers,
): Socket {
  const socket = connect({ host: addr.host, port: addr.port, noDelay: true });
  const reader = new FrameReader(MAX_UNAUTHENTICATED_FRAME);
  let clientNonce: Buffer | undefined;
  let serverNonce: Uint8Array | undefined;
  let serverId = '';
  let ch: Channel | undefined;
  socket.on('error', () => socket.destroy());
  socket.on('close', () => handlers.onClose(ch));
  onFrames<Frame | DprFrame>(socket, reader, (f) => {
    if (clientNonce === undefined) {
      if (f.t !== 'hello' || !(f.nonce instanceof Uint8Array)) return void socket.destroy();
      clientNonce = nonce();
      serverNonce = f.nonce;
      serverId = String(f.worker);
      socket.write(
        encode({
          t: 'auth',
          worker: myId,
          nonce: clientNonce,
          mac: mac(secret, 'darq-finder-client', f.nonce, clientNonce, myId),
        }),
      );
    } else if (ch === undefined) {
      const expected = mac(secret, 'darq-finder-server', clientNonce, serverNonce as Uint8Array, serverId);
      if (f.t !== 'welcome' || !(f.mac instanceof Uint8Array) || !macEquals(f.mac, expected)) {
        return void socket.destroy();
      }
      reader.limit = MAX_FRAME;
      ch = channelOf(socket, serverId);
      handlers.onReady(ch);
    } else {
      handlers.onFrame(ch, f as DprFrame);
    }
  });
  return socket;
}
