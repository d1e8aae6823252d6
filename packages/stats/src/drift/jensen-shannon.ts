// Jensen-Shannon distance between two discrete distributions, as
// scipy.spatial.distance.jensenshannon.

export interface JensenShannonOptions {
  /** Logarithm base; default 2, which bounds the distance by 1. */
  base?: number;
}

function normalized(values: ArrayLike<number>, name: string): Float64Array {
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new TypeError(`jensenShannon: ${name}[${i}] is not a number`);
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new RangeError(`jensenShannon: ${name}[${i}] must be finite and >= 0`);
    }
    out[i] = v;
    sum += v;
  }
  if (!(sum > 0)) throw new RangeError(`jensenShannon: ${name} must have a positive sum`);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** Σ x ln(x / y), with 0 ln(0 / y) = 0 (scipy.special.rel_entr). */
function relEntr(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(x / y);
}

/**
 * sqrt(JSD(p, q)): p and q are non-negative weights over the same categories (counts or
 * proportions), each normalised to sum 1 first. Identical inputs give exactly 0; a divergence
 * that rounding leaves a hair below 0 is taken as 0 rather than giving NaN.
 */
export function jensenShannon(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  options: JensenShannonOptions = {},
): number {
  const base = options.base ?? 2;
  if (!(base > 0) || base === 1 || !Number.isFinite(base)) {
    throw new RangeError('jensenShannon: base must be positive, finite and not 1');
  }
  if (p.length !== q.length) {
    throw new RangeError(`jensenShannon: p and q differ in length (${p.length} vs ${q.length})`);
  }
  if (p.length === 0) throw new RangeError('jensenShannon: p and q must not be empty');
  const pn = normalized(p, 'p');
  const qn = normalized(q, 'q');
  let left = 0;
  let right = 0;
  for (let i = 0; i < pn.length; i++) {
    const m = (pn[i]! + qn[i]!) / 2;
    left += relEntr(pn[i]!, m);
    right += relEntr(qn[i]!, m);
  }
  const js = (left + right) / Math.log(base);
  return Math.sqrt(Math.max(js, 0) / 2);
}
