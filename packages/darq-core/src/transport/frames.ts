import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { codec } from '../codec.ts';
import { DarqError } from '../errors.ts';

/** Frames of the worker-to-worker protocol (msgpack, length-prefixed with a big-endian uint32). */
export type Frame =
  | { readonly t: 'hello'; readonly worker: string; readonly nonce: Uint8Array }
  | { readonly t: 'auth'; readonly worker: string; readonly nonce: Uint8Array; readonly mac: Uint8Array }
  | { readonly t: 'welcome'; readonly mac: Uint8Array }
  | {
      readonly t: 'batch';
      readonly id: number;
      readonly msgs: ReadonlyArray<WireMessage>;
      /** With speculation: the sender's world-line and the highest version among the messages. */
      readonly wl?: number;
      readonly v?: number;
    }
  /** The batch is durable at the receiver (with speculation: committed in the cut); the sender drops it. */
  | { readonly t: 'ack'; readonly id: number }
  /** With speculation: the batch was taken in (not yet committed); the sender may send the next one. */
  | { readonly t: 'recv'; readonly id: number };

/** [producer id, seq, destination participant, body] */
export type WireMessage = readonly [string, number, string, Uint8Array];

export const MAX_FRAME = 64 * 1024 * 1024;
/** Before authentication a peer may send only tiny frames: no memory for strangers. */
export const MAX_UNAUTHENTICATED_FRAME = 4096;

export function encodeFrame(frame: Frame): Buffer {
  const payload = codec.pack(frame);
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/** Splits a byte stream into frames; throws a DarqError on an oversized or undecodable frame. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.size < 4) return frames;
      let buf = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
      const len = buf.readUInt32BE(0);
      if (len > this.limit) {
        throw new DarqError(
          'DARQ_FRAME_TOO_LARGE',
          'external',
          `peer sent a ${len}-byte frame (limit ${this.limit})`,
        );
      }
      if (this.size < 4 + len) {
        this.chunks = [buf];
        return frames;
      }
      let frame: Frame;
      try {
        frame = codec.unpack(buf.subarray(4, 4 + len)) as Frame;
      } catch (err) {
        throw new DarqError(
          'DARQ_BAD_FRAME',
          'external',
          `peer sent an undecodable frame: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      if (typeof frame !== 'object' || frame === null || typeof (frame as { t?: unknown }).t !== 'string') {
        throw new DarqError('DARQ_BAD_FRAME', 'external', 'peer sent a frame without a type');
      }
      frames.push(frame);
      buf = buf.subarray(4 + len);
      this.chunks = buf.length > 0 ? [buf] : [];
      this.size = buf.length;
    }
  }
}

export function nonce(): Buffer {
  return randomBytes(32);
}

/** HMAC-SHA256 over the parts, each length-prefixed so that no two part lists collide. */
export function mac(secret: Uint8Array, ...parts: Array<string | Uint8Array>): Buffer {
  const h = createHmac('sha256', secret);
  for (const p of parts) {
    const b =
      typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(b.length, 0);
    h.update(len);
    h.update(b);
  }
  return h.digest();
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Calls `handle` for every frame that arrives on `socket`, in order; stops as soon as the socket is destroyed
 * (a handler refusing a peer destroys it). An oversized or undecodable frame drops the connection.
 */
export function onFrames<F>(socket: Socket, reader: FrameReader, handle: (frame: F) => void): void {
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
      handle(f as F);
    }
  });
}

/** The cluster secret as bytes; refuses one shorter than 16 bytes, naming `who` uses it. */
export function secretBytes(secret: string | Uint8Array | undefined, who: string): Buffer {
  const bytes =
    typeof secret === 'string'
      ? Buffer.from(secret, 'utf8')
      : secret instanceof Uint8Array
        ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
        : Buffer.alloc(0);
  if (bytes.length < 16) {
    throw new DarqError(
      'DARQ_WEAK_SECRET',
      'user',
      `${who}: the cluster secret must have at least 16 bytes (got ${bytes.length}). ` +
        'Generate one with `openssl rand -hex 32` and give the same value to every worker.',
    );
  }
  return bytes;
}

/** Binds `server`; resolves once it listens, rejects with DARQ_LISTEN_FAILED naming `who` and the address. */
export function listenOn(
  server: Server,
  host: string | undefined,
  port: number | undefined,
  who: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new DarqError(
          'DARQ_LISTEN_FAILED',
          'external',
          `${who} cannot listen on ${host ?? '127.0.0.1'}:${port ?? 0}: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(port ?? 0, host ?? '127.0.0.1', () => resolve());
  });
}
