import { Packr } from 'msgpackr';

/** One record: the values of its columns, in schema order (see the parser's runtime representation). */
export type Row = unknown[];

/** The watermark that means "no more input, ever": closes every window. */
export const END_WATERMARK = Number.MAX_SAFE_INTEGER;
/** Before any input has been seen. */
export const NO_WATERMARK = Number.MIN_SAFE_INTEGER;

/**
 * What travels in one DARQ entry between two participants: a batch of rows for one input port of the
 * receiver, followed by the sender's watermark (in-band, after the rows) and, at end of input, `end`.
 */
export interface Batch {
  readonly from: string;
  readonly port: number;
  readonly rows: Row[];
  readonly watermark: number;
  readonly end: boolean;
  /** The sender has had no input for its idle timeout: leave it out of the minimum watermark until it speaks. */
  readonly idle?: boolean;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

/** The last batch encoded: a participant sending the same rows to several consumers encodes them once. */
let last: { rows: Row[]; length: number; head: string; body: Uint8Array } | undefined;

export function encodeBatch(b: Batch): Uint8Array {
  const flags = (b.end ? 1 : 0) | (b.idle ? 2 : 0);
  const head = `${b.from}\u0000${b.port}\u0000${b.watermark}\u0000${flags}`;
  if (last !== undefined && last.rows === b.rows && last.length === b.rows.length && last.head === head) {
    return last.body;
  }
  const body = packr.pack([b.from, b.port, b.rows, b.watermark, flags]);
  // Only worth remembering for big batches (a window's results fanned out to two stages, as in NEXMark q5).
  last = b.rows.length >= 64 ? { rows: b.rows, length: b.rows.length, head, body } : undefined;
  return body;
}

export function decodeBatch(body: Uint8Array): Batch {
  const [from, port, rows, watermark, flags] = packr.unpack(body) as [string, number, Row[], number, number];
  return { from, port, rows, watermark, end: (flags & 1) === 1, idle: (flags & 2) === 2 };
}

/** Encodes any plain value (operator state). */
export function encodeValue(v: unknown): Uint8Array {
  return packr.pack(v);
}

export function decodeValue(b: Uint8Array): unknown {
  return packr.unpack(b);
}
