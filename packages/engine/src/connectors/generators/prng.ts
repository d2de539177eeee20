/**
 * Seeded pseudo-random number generators used by the data generators.
 *
 * - `JavaSplittableRandom`: bit-exact with `java.util.SplittableRandom` (JDK 8–17), so the NEXMark
 *   generator reproduces the seeded upstream Java event for event. 64-bit arithmetic is done on two
 *   uint32 halves (no BigInt on the hot path).
 * - `Xoshiro128ss`: xoshiro128** 1.1 (Blackman and Vigna), seeded through splitmix32; drives the
 *   search-trend trace. Four uint32 words of state, so a snapshot is four numbers.
 */

const TWO_32 = 4294967296;
const TWO_NEG_53 = 1 / 9007199254740992;

// Scratch registers for the 64-bit multiply (hi, lo): single-threaded, never escape a call. A typed
// array, because a module-level `let` holding a uint32 above 2^30 allocates a heap number per write.
const M = new Uint32Array(2);

/**
 * Low 64 bits of (ah:al) * (bh:bl), written to M[0]:M[1]. al·bl is split as al·b0 + al·b1·2^16
 * (b0, b1 the 16-bit halves of bl): two exact products below 2^48; every sum stays below 2^53.
 */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const p0 = al * (bl & 0xffff);
  const p1 = al * (bl >>> 16);
  const t = p0 + (p1 & 0xffff) * 65536; // p1 & 0xffff: ToInt32 keeps the low bits of any integer
  M[1] = t;
  M[0] = ((t / TWO_32) >>> 0) + ((p1 / 65536) >>> 0) + Math.imul(ah, bl) + Math.imul(al, bh);
}

/** High 32 bits of the low 64 bits of (ah:al) * (bh:bl), as a signed int32; see mul64. */
function mul64High(ah: number, al: number, bh: number, bl: number): number {
  const p0 = al * (bl & 0xffff);
  const p1 = al * (bl >>> 16);
  const t = p0 + (p1 & 0xffff) * 65536;
  return (((t / TWO_32) >>> 0) + ((p1 / 65536) >>> 0) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
}

const GAMMA_HI = 0x9e3779b9;
const GAMMA_LO = 0x7f4a7c15;

/** Splits a 64-bit seed given as a JS integer or bigint (two's complement for negatives) into halves. */
export function seedHalves(seed: number | bigint): [hi: number, lo: number] {
  const s = BigInt.asUintN(64, typeof seed === 'bigint' ? seed : BigInt(seed));
  return [Number(s >> 32n), Number(s & 0xffffffffn)];
}

/**
 * `java.util.SplittableRandom` with an explicit seed. Its whole state is one 64-bit word
 * (`seed + k * GAMMA` after k draws), exposed as `hi`/`lo` for snapshots.
 */
export class JavaSplittableRandom {
  /** The 64-bit state as [hi, lo]. */
  private readonly s = new Uint32Array(2);

  constructor(hi: number, lo: number) {
    this.s[0] = hi;
    this.s[1] = lo;
  }

  get hi(): number {
    return this.s[0]!;
  }

  set hi(v: number) {
    this.s[0] = v;
  }

  get lo(): number {
    return this.s[1]!;
  }

  set lo(v: number) {
    this.s[1] = v;
  }

  static fromSeed(seed: number | bigint): JavaSplittableRandom {
    const [hi, lo] = seedHalves(seed);
    return new JavaSplittableRandom(hi, lo);
  }

  /** Advances the state by GAMMA (mod 2^64). */
  private advance(): void {
    const s = this.s;
    const lo = s[1]! + GAMMA_LO;
    s[1] = lo;
    s[0] = s[0]! + GAMMA_HI + (lo >= TWO_32 ? 1 : 0);
  }

  /** Java `nextInt()`: a signed 32-bit integer. */
  nextInt(): number {
    this.advance();
    // mix32: z ^= z >>> 33; z *= C3; z ^= z >>> 28; return high32(z * C4)
    const zh = this.s[0]!;
    const zl = (this.s[1]! ^ (zh >>> 1)) >>> 0;
    // mul64(zh:zl, 0x62a9d9ed799705f5) inlined, so the product stays in registers.
    const p1 = zl * 0x7997;
    const t = zl * 0x05f5 + (p1 & 0xffff) * 65536;
    const lo = t >>> 0;
    const hi =
      (((t / TWO_32) >>> 0) +
        ((p1 / 65536) >>> 0) +
        Math.imul(zh, 0x799705f5) +
        Math.imul(zl, 0x62a9d9ed)) >>>
      0;
    return mul64High(
      (hi ^ (hi >>> 28)) >>> 0,
      (lo ^ ((lo >>> 28) | (hi << 4))) >>> 0,
      0xcb24d0a5,
      0xc88c35b3,
    );
  }

  /** mix64 of the next seed, left in M[0]:M[1]. */
  private nextMix64(): void {
    this.advance();
    let zh = this.s[0]!;
    let zl = this.s[1]!;
    zl = (zl ^ ((zl >>> 30) | (zh << 2))) >>> 0;
    zh = (zh ^ (zh >>> 30)) >>> 0;
    mul64(zh, zl, 0xbf58476d, 0x1ce4e5b9);
    zh = M[0]!;
    zl = M[1]!;
    zl = (zl ^ ((zl >>> 27) | (zh << 5))) >>> 0;
    zh = (zh ^ (zh >>> 27)) >>> 0;
    mul64(zh, zl, 0x94d049bb, 0x133111eb);
    zh = M[0]!;
    zl = M[1]!;
    M[1] = (zl ^ ((zl >>> 31) | (zh << 1))) >>> 0;
    M[0] = (zh ^ (zh >>> 31)) >>> 0;
  }

  /** Java `nextInt(bound)` for 0 < bound < 2^31, including its rejection loop. */
  nextIntBounded(bound: number): number {
    let r = this.nextInt();
    const m = bound - 1;
    if ((bound & m) === 0) return r & m;
    let u = r >>> 1;
    for (;;) {
      r = u % bound;
      if (((u + m - r) | 0) >= 0) return r;
      u = this.nextInt() >>> 1;
    }
  }

  /** Java `nextLong()` as a bigint (cold path only). */
  nextLongBig(): bigint {
    this.nextMix64();
    return BigInt.asIntN(64, (BigInt(M[0]!) << 32n) | BigInt(M[1]!));
  }

  /** Java `nextDouble()`: (mix64 >>> 11) * 2^-53. */
  nextDouble(): number {
    this.nextMix64();
    return (M[0]! * 2097152 + (M[1]! >>> 11)) * TWO_NEG_53;
  }
}

/** 32-bit splitmix step used to expand a seed into xoshiro state (Vigna's recommendation). */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128** 1.1: 32-bit outputs, period 2^128 − 1. */
export class Xoshiro128ss {
  a: number;
  b: number;
  c: number;
  d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1; // the all-zero state is a fixed point
  }

  /** Seeds from any 32-bit-or-wider integer: the low 32 bits of the seed feed splitmix32. */
  static fromSeed(seed: number): Xoshiro128ss {
    const st = { s: seed | 0 };
    return new Xoshiro128ss(splitmix32(st), splitmix32(st), splitmix32(st), splitmix32(st));
  }

  /** Next uniform uint32. */
  next(): number {
    const b = this.b;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.next() >>> 5; // 27 bits
    const lo = this.next() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_NEG_53;
  }

  state(): [number, number, number, number] {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
