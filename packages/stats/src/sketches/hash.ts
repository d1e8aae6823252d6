// XXH64 (Yann Collet, xxHash spec v0.1.1) in 32-bit halves: BigInt arithmetic is ~20x slower and
// HyperLogLog hashes every event. The hash is part of the serialized HyperLogLog (registers depend
// on it), so it must never change: tests pin it to the reference C library's outputs.

// Every 64-bit value is a pair of signed 32-bit halves (high, low), and results land in R. Signed
// halves stay small integers in V8, where unsigned halves above 2^31 would be boxed as heap numbers
// at every call and store: that alone made hashing several times slower.
const R = new Int32Array(2);

const P1H = 0x9e3779b1 | 0;
const P1L = 0x85ebca87 | 0;
const P2H = 0xc2b2ae3d | 0;
const P2L = 0x27d4eb4f | 0;
const P3H = 0x165667b1 | 0;
const P3L = 0x9e3779f9 | 0;
const P4H = 0x85ebca77 | 0;
const P4L = 0xc2b2ae63 | 0;
const P5H = 0x27d4eb2f | 0;
const P5L = 0x165667c5 | 0;
// 2^64 - PRIME64_1, to compute `seed - PRIME64_1` as an addition.
const NP1H = 0x61c8864e | 0;
const NP1L = 0x7a143579 | 0;

function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = (al >>> 0) + (bl >>> 0);
  R[1] = lo;
  R[0] = ah + bh + (lo > 0xffffffff ? 1 : 0);
}

// 64x64 -> low 64 bits: Math.imul gives the low word of the 32x32 products; the high word of the
// low halves' product comes from 16-bit limbs, whose partial sums stay below 2^32 (no fmod, no
// floor, which cost more than the rest of the hash).
function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  R[1] = Math.imul(al, bl);
  R[0] = a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh);
}

// Only rotations below 32 occur in XXH64.
function rotl(h: number, l: number, r: number): void {
  R[0] = (h << r) | (l >>> (32 - r));
  R[1] = (l << r) | (h >>> (32 - r));
}

// acc = rotl(acc + input * P2, 31) * P1
function round(acch: number, accl: number, ih: number, il: number): void {
  mul(ih, il, P2H, P2L);
  add(acch, accl, R[0]!, R[1]!);
  rotl(R[0]!, R[1]!, 31);
  mul(R[0]!, R[1]!, P1H, P1L);
}

// acc = (acc ^ round(0, v)) * P1 + P4
function mergeRound(acch: number, accl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul(acch ^ R[0]!, accl ^ R[1]!, P1H, P1L);
  add(R[0]!, R[1]!, P4H, P4L);
}

function avalanche(h: number, l: number): void {
  l ^= h >>> 1; // ^= h >> 33
  mul(h, l, P2H, P2L);
  h = R[0]! ^ (R[0]! >>> 29);
  l = R[1]! ^ ((R[1]! >>> 29) | (R[0]! << 3)); // ^= h >> 29
  mul(h, l, P3H, P3L);
  R[1] = R[1]! ^ R[0]!; // ^= h >> 32
}

function read32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function xxh64Core(b: Uint8Array, len: number, seed: number): void {
  let i = 0;
  let hh: number;
  let hl: number;
  if (len >= 32) {
    add(0, seed, P1H, P1L);
    add(R[0]!, R[1]!, P2H, P2L);
    let v1h = R[0]!;
    let v1l = R[1]!;
    add(0, seed, P2H, P2L);
    let v2h = R[0]!;
    let v2l = R[1]!;
    let v3h = 0;
    let v3l = seed;
    add(0, seed, NP1H, NP1L);
    let v4h = R[0]!;
    let v4l = R[1]!;
    do {
      round(v1h, v1l, read32(b, i + 4), read32(b, i));
      v1h = R[0]!;
      v1l = R[1]!;
      round(v2h, v2l, read32(b, i + 12), read32(b, i + 8));
      v2h = R[0]!;
      v2l = R[1]!;
      round(v3h, v3l, read32(b, i + 20), read32(b, i + 16));
      v3h = R[0]!;
      v3l = R[1]!;
      round(v4h, v4l, read32(b, i + 28), read32(b, i + 24));
      v4h = R[0]!;
      v4l = R[1]!;
      i += 32;
    } while (i + 32 <= len);
    rotl(v1h, v1l, 1);
    hh = R[0]!;
    hl = R[1]!;
    rotl(v2h, v2l, 7);
    add(hh, hl, R[0]!, R[1]!);
    hh = R[0]!;
    hl = R[1]!;
    rotl(v3h, v3l, 12);
    add(hh, hl, R[0]!, R[1]!);
    hh = R[0]!;
    hl = R[1]!;
    rotl(v4h, v4l, 18);
    add(hh, hl, R[0]!, R[1]!);
    mergeRound(R[0]!, R[1]!, v1h, v1l);
    mergeRound(R[0]!, R[1]!, v2h, v2l);
    mergeRound(R[0]!, R[1]!, v3h, v3l);
    mergeRound(R[0]!, R[1]!, v4h, v4l);
    hh = R[0]!;
    hl = R[1]!;
  } else {
    add(0, seed, P5H, P5L);
    hh = R[0]!;
    hl = R[1]!;
  }
  add(hh, hl, 0, len);
  hh = R[0]!;
  hl = R[1]!;
  while (i + 8 <= len) {
    round(0, 0, read32(b, i + 4), read32(b, i));
    rotl(hh ^ R[0]!, hl ^ R[1]!, 27);
    mul(R[0]!, R[1]!, P1H, P1L);
    add(R[0]!, R[1]!, P4H, P4L);
    hh = R[0]!;
    hl = R[1]!;
    i += 8;
  }
  if (i + 4 <= len) {
    mul(0, read32(b, i), P1H, P1L);
    rotl(hh ^ R[0]!, hl ^ R[1]!, 23);
    mul(R[0]!, R[1]!, P2H, P2L);
    add(R[0]!, R[1]!, P3H, P3L);
    hh = R[0]!;
    hl = R[1]!;
    i += 4;
  }
  while (i < len) {
    mul(0, b[i]!, P5H, P5L);
    rotl(hh ^ R[0]!, hl ^ R[1]!, 11);
    mul(R[0]!, R[1]!, P1H, P1L);
    hh = R[0]!;
    hl = R[1]!;
    i++;
  }
  avalanche(hh, hl);
}

// The 8-byte case of xxh64Core unrolled: every numeric update takes this path.
function xxh64Word(hi: number, lo: number, seed: number): void {
  add(0, seed, P5H, P5L);
  add(R[0]!, R[1]!, 0, 8);
  const hh = R[0]!;
  const hl = R[1]!;
  round(0, 0, hi, lo);
  rotl(hh ^ R[0]!, hl ^ R[1]!, 27);
  mul(R[0]!, R[1]!, P1H, P1L);
  add(R[0]!, R[1]!, P4H, P4L);
  avalanche(R[0]!, R[1]!);
}

/** XXH64 of `bytes` with a 32-bit seed, as 16 lowercase hex digits (for interop and tests). */
export function xxhash64(bytes: Uint8Array, seed = 0): string {
  xxh64Core(bytes, bytes.length, seed | 0);
  return (R[0]! >>> 0).toString(16).padStart(8, '0') + (R[1]! >>> 0).toString(16).padStart(8, '0');
}

// Seeds separate the three kinds of value, so the number 1, the string "1" and `true` hash apart
// in a mixed column.
const SEED_STRING = 0;
const SEED_NUMBER = 1;
const SEED_BOOLEAN = 2;

const f64 = new Float64Array(1);
const u32 = new Int32Array(f64.buffer);
// Hash the IEEE bytes in little-endian order whatever the platform, so registers are portable.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

let scratch = new Uint8Array(256);
const oneByte = new Uint8Array(1);

/** WHATWG UTF-8 (lone surrogates as U+FFFD, like TextEncoder), into a reused buffer. */
function utf8Into(s: string): number {
  if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3 + 64);
  const buf = scratch;
  let p = 0;
  for (let j = 0; j < s.length; j++) {
    let c = s.charCodeAt(j);
    if (c < 0x80) {
      buf[p++] = c;
      continue;
    }
    if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = j + 1 < s.length ? s.charCodeAt(j + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[p++] = 0xf0 | (cp >> 18);
        buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[p++] = 0x80 | (cp & 0x3f);
        j++;
        continue;
      }
      c = 0xfffd;
    }
    buf[p++] = 0xe0 | (c >> 12);
    buf[p++] = 0x80 | ((c >> 6) & 0x3f);
    buf[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

/**
 * 64-bit hash of a value into `out` ([high 32 bits, low 32 bits]): strings as XXH64 of their UTF-8
 * (seed 0), numbers as XXH64 of their float64 little-endian bytes (seed 1; -0 hashes as 0, every
 * NaN as the canonical NaN), booleans as XXH64 of one byte 0 or 1 (seed 2).
 */
export function hashValue(value: string | number | boolean, out: Uint32Array): void {
  if (typeof value === 'number') {
    f64[0] = value === 0 ? 0 : Number.isNaN(value) ? Number.NaN : value;
    xxh64Word(u32[HI]!, u32[LO]!, SEED_NUMBER);
  } else if (typeof value === 'string') {
    const len = utf8Into(value); // may replace `scratch`, so read it afterwards
    xxh64Core(scratch, len, SEED_STRING);
  } else if (typeof value === 'boolean') {
    oneByte[0] = value ? 1 : 0;
    xxh64Core(oneByte, 1, SEED_BOOLEAN);
  } else {
    throw new TypeError(`cannot hash a ${typeof value}`);
  }
  out[0] = R[0]!;
  out[1] = R[1]!;
}

/** murmur3's 32-bit finalizer: a cheap bijective mixer for seeds and coin flips. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
