// Allocation-free evaluation of one term of the Smirnov sum in double-double arithmetic. This is
// the innermost loop of the one-sided (and, for large n, two-sided) Kolmogorov tail: up to
// ~n terms each, n ~ 10^6 for the asymptotic two-sample test on 10^6 + 10^6 values, so the
// tuple-returning helpers of double-double.ts are spelled out on scalars here. Each helper
// returns the high word (or mantissa) and leaves the low word in `lo` and the exponent in `ex`;
// callers read them straight after the call. The algorithms are those of double-double.ts and
// scipy's cephes kolmogorov.c.
import { type DD, DD_ONE, div as ddDiv, frexpDD as frexpTuple, ldexp } from './double-double.js';

let lo = 0;
let ex = 0;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

const SPLITTER = 134217729; // 2^27 + 1
const SPLIT_THRESH = 6.69692879491417e299;
const MAX_EXPONENT = 960;

/** Error term of the product a*b = p, by Dekker's split. */
function prodErr(a: number, b: number, p: number): number {
  let ah: number;
  let al: number;
  let bh: number;
  let bl: number;
  if (a > SPLIT_THRESH || a < -SPLIT_THRESH) {
    const s = a * 2 ** -28;
    const t = SPLITTER * s;
    const h = t - (t - s);
    ah = h * 268435456;
    al = (s - h) * 268435456;
  } else {
    const t = SPLITTER * a;
    ah = t - (t - a);
    al = a - ah;
  }
  if (b > SPLIT_THRESH || b < -SPLIT_THRESH) {
    const s = b * 2 ** -28;
    const t = SPLITTER * s;
    const h = t - (t - s);
    bh = h * 268435456;
    bl = (s - h) * 268435456;
  } else {
    const t = SPLITTER * b;
    bh = t - (t - b);
    bl = b - bh;
  }
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** (ah + al) * (bh + bl). */
function mulS(ah: number, al: number, bh: number, bl: number): number {
  const p = ah * bh;
  const p2 = prodErr(ah, bh, p) + (ah * bl + al * bh);
  const s = p + p2;
  lo = p2 - (s - p);
  return s;
}

/** a / b for doubles a and b. */
function divS(a: number, b: number): number {
  const q1 = a / b;
  const p1 = q1 * b;
  const p2 = prodErr(q1, b, p1);
  const s = a - p1;
  const bb = s - a;
  const e = a - (s - bb) + (-p1 - bb);
  const q2 = (s + (e - p2)) / b;
  const r = q1 + q2;
  lo = q2 - (r - q1);
  return r;
}

/** (ah + al) + b. */
function addS(ah: number, al: number, b: number): number {
  const s = ah + b;
  const bb = s - ah;
  const e = ah - (s - bb) + (b - bb) + al;
  const r = s + e;
  lo = e - (r - s);
  return r;
}

/** frexp of a double-double: mantissa high word returned, low word in lo, exponent in ex. */
function frexpS(h: number, l: number): number {
  if (h === 0 || !Number.isFinite(h)) {
    lo = l;
    ex = 0;
    return h;
  }
  F64[0] = h;
  let biased = (U32[HI]! >>> 20) & 0x7ff;
  let shift = 0;
  if (biased === 0) {
    F64[0] = h * 2 ** 64; // subnormal: scale into the normal range first
    biased = (U32[HI]! >>> 20) & 0x7ff;
    shift = 64;
  }
  U32[HI] = (U32[HI]! & 0x800fffff) | (1022 << 20);
  const e = biased - 1022 - shift;
  lo = ldexp(l, -e);
  ex = e;
  return F64[0]!;
}

/** (h + l)^m for m > 0 and h != 0, with the low word folded in as (1 + l/h)^m. */
function powS(h: number, l: number, m: number): number {
  const ans = h ** m;
  const r = l / h;
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    if (Math.abs(adj) < 1e-4) adj += m * r * (((m - 1) / 2) * r);
    else adj = Math.expm1(m * Math.log1p(r));
  }
  const b = ans * adj;
  const s = ans + b;
  const bb = s - ans;
  lo = ans - (s - bb) + (b - bb);
  return s;
}

function nextPowerOf2(x: number): number {
  const l = Math.abs(x * 2 ** -52 + x);
  return l === 0 ? Math.abs(x) : l;
}

/** (h + l)^m as a mantissa in [0.5, 1) (high word returned, low in lo) times 2^ex. */
function pow2ScaledS(h: number, l: number, m: number): number {
  if (m <= 0) {
    if (m === 0) {
      lo = 0;
      ex = 0;
      return 1;
    }
    const inv = pow2ScaledS(h, l, -m);
    const invLo = lo;
    const invE = ex;
    const [man, e2] = frexpTuple(ddDiv(DD_ONE, [inv, invLo] as DD));
    lo = man[1];
    ex = -invE + e2;
    return man[0];
  }
  const yh = frexpS(h, l);
  const yl = lo;
  const yE = ex;
  if (m === 1) return yh;
  let maxExpt = MAX_EXPONENT;
  if ((m * (yh - 1)) / yh < -MAX_EXPONENT * Math.LN2) {
    // y^m would underflow a double: take the power in chunks of at most maxExpt.
    const lg2y = Math.log(yh) / Math.LN2;
    if (m * lg2y <= -MAX_EXPONENT) maxExpt = Math.trunc(nextPowerOf2(-MAX_EXPONENT / lg2y + 1) / 2);
  }
  if (m <= maxExpt) {
    const ph = powS(yh, yl, m);
    const mh = frexpS(ph, lo);
    ex += m * yE;
    return mh;
  }
  const q = Math.trunc(m / maxExpt);
  const r = m % maxExpt;
  const rh = pow2ScaledS(yh, yl, r);
  const rl = lo;
  const rE = ex;
  const mh = pow2ScaledS(yh, yl, maxExpt);
  const ml = lo;
  const mE = ex;
  const qh = pow2ScaledS(mh, ml, q);
  const ql = lo;
  const qE = ex;
  const ph = mulS(rh, rl, qh, ql);
  const ah = frexpS(ph, lo);
  ex += qE + mE * q + rE + m * yE;
  return ah;
}

/**
 * C(n, v) * (1 - x - v/n)^(n - v) * (x + v/n)^(v - 1), with C(n, v) = (cHi + cLo) * 2^cExp.
 * Returns the high word; the low word is left in `termLo()`.
 */
export function smirnovTerm(n: number, x: number, v: number, cHi: number, cLo: number, cExp: number): number {
  const a2 = divS(n - v, n);
  const t2xh = addS(a2, lo, -x);
  const t2 = pow2ScaledS(t2xh, lo, n - v);
  const t2l = lo;
  const t2E = ex;
  const a1 = divS(v, n);
  const t1xh = addS(a1, lo, x);
  const t1 = pow2ScaledS(t1xh, lo, v - 1);
  const t1l = lo;
  const t1E = ex;
  const p = mulS(t1, t1l, t2, t2l);
  const ph = mulS(p, lo, cHi, cLo);
  const e = cExp + t1E + t2E;
  const pl = lo;
  lo = ldexp(pl, e);
  return ldexp(ph, e);
}

/** Next binomial mantissa: (cHi + cLo) * (n - j) / (j + 1), renormalised; see termExp(). */
export function binomialStep(cHi: number, cLo: number, n: number, j: number): number {
  const rh = divS(n - j, j + 1);
  const ph = mulS(cHi, cLo, rh, lo);
  return frexpS(ph, lo);
}

/** Low word of the last smirnovTerm or binomialStep result. */
export function termLo(): number {
  return lo;
}

/** Exponent change of the last binomialStep. */
export function termExp(): number {
  return ex;
}
