// Double-double arithmetic (a value is hi + lo with |lo| <= ulp(hi)/2), after Bailey's QD
// library, which scipy's one-sided Smirnov distribution uses to keep binomial coefficients and
// large powers accurate to ~1e-16 relative for n up to 10^6. JavaScript has no fused
// multiply-add, so products are split with Dekker's method.

export type DD = readonly [hi: number, lo: number];

export const DD_ZERO: DD = [0, 0];
export const DD_ONE: DD = [1, 0];

const SPLITTER = 134217729; // 2^27 + 1
const SPLIT_THRESH = 6.69692879491417e299; // 2^996: above this the split would overflow

export function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return [s, b - (s - a)];
}

function split(a: number): DD {
  if (a > SPLIT_THRESH || a < -SPLIT_THRESH) {
    const s = a * 2 ** -28;
    const t = SPLITTER * s;
    const hi = t - (t - s);
    return [hi * 268435456, (s - hi) * 268435456];
  }
  const t = SPLITTER * a;
  const hi = t - (t - a);
  return [hi, a - hi];
}

export function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

export function add(a: DD, b: DD): DD {
  const [s1, s2a] = twoSum(a[0], b[0]);
  const [t1, t2] = twoSum(a[1], b[1]);
  const [u1, u2] = quickTwoSum(s1, s2a + t1);
  return quickTwoSum(u1, u2 + t2);
}

export function neg(a: DD): DD {
  return [-a[0], -a[1]];
}

export function sub(a: DD, b: DD): DD {
  return add(a, neg(b));
}

export function addD(a: DD, b: number): DD {
  const [s1, s2] = twoSum(a[0], b);
  return quickTwoSum(s1, s2 + a[1]);
}

export function mul(a: DD, b: DD): DD {
  const [p1, p2] = twoProd(a[0], b[0]);
  return quickTwoSum(p1, p2 + (a[0] * b[1] + a[1] * b[0]));
}

export function mulD(a: DD, b: number): DD {
  const [p1, p2] = twoProd(a[0], b);
  return quickTwoSum(p1, p2 + a[1] * b);
}

/** a / b for two doubles, as a double-double. */
export function divDoubles(a: number, b: number): DD {
  const q1 = a / b;
  const [p1, p2] = twoProd(q1, b);
  const [s, e0] = twoSum(a, -p1);
  const q2 = (s + (e0 - p2)) / b;
  return quickTwoSum(q1, q2);
}

export function divD(a: DD, b: number): DD {
  const q1 = a[0] / b;
  const [p1, p2] = twoProd(q1, b);
  const [s, e0] = twoSum(a[0], -p1);
  const q2 = (s + (e0 + a[1] - p2)) / b;
  return quickTwoSum(q1, q2);
}

export function div(a: DD, b: DD): DD {
  const q1 = a[0] / b[0];
  let r = sub(a, mulD(b, q1));
  const q2 = r[0] / b[0];
  r = sub(r, mulD(b, q2));
  const q3 = r[0] / b[0];
  return addD(quickTwoSum(q1, q2), q3);
}

export function floor(a: DD): DD {
  const hi = Math.floor(a[0]);
  if (hi !== a[0]) return [hi, 0];
  return quickTwoSum(hi, Math.floor(a[1]));
}

export function isZero(a: DD): boolean {
  return a[0] === 0;
}

export function isFiniteDD(a: DD): boolean {
  return Number.isFinite(a[0]);
}

export function toNumber(a: DD): number {
  return a[0] + a[1];
}

// Bit-level access to doubles for frexp/ldexp: these sit in the innermost loop of the Smirnov sum,
// where going through Math.log2 and repeated scaling cost more than the arithmetic itself.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: high word second

/** 2^e as a double, for -1022 <= e <= 1023. */
function pow2(e: number): number {
  U32[HI] = (e + 1023) << 20;
  U32[1 - HI] = 0;
  return F64[0]!;
}

/** x * 2^e without intermediate overflow or premature underflow. */
export function ldexp(x: number, e: number): number {
  if (e >= -1022 && e <= 1023) return x * pow2(e);
  let y = x;
  let k = e;
  while (k > 1023) {
    y *= pow2(1023);
    k -= 1023;
    if (!Number.isFinite(y)) return y;
  }
  while (k < -1022) {
    y *= pow2(-1022);
    k += 1022;
    if (y === 0) return y;
  }
  return y * pow2(k);
}

/** Mantissa in [0.5, 1) (sign kept) and exponent, as C's frexp. */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  F64[0] = x;
  let biased = (U32[HI]! >>> 20) & 0x7ff;
  let shift = 0;
  if (biased === 0) {
    // Subnormal: scale into the normal range first.
    F64[0] = x * 2 ** 64;
    biased = (U32[HI]! >>> 20) & 0x7ff;
    shift = 64;
  }
  U32[HI] = (U32[HI]! & 0x800fffff) | (1022 << 20);
  return [F64[0]!, biased - 1022 - shift];
}

export function frexpDD(a: DD): [DD, number] {
  const [m, e] = frexp(a[0]);
  return [[m, ldexp(a[1], -e)], e];
}

export function ldexpDD(a: DD, e: number): DD {
  return [ldexp(a[0], e), ldexp(a[1], e)];
}
