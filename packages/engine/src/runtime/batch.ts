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

export function encodeBatch(b: Batch): Uint8Array {
  return packr.pack([b.from, b.port, b.rows, b.watermark, (b.end ? 1 : 0) | (b.idle ? 2 : 0)]);
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
