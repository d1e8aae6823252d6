// Two-sample two-sided Kolmogorov-Smirnov test, matching scipy.stats.ks_2samp (scipy 1.10)
// including its choice of method and the rounding of the statistic onto the lattice 1/lcm(n1, n2)
// before the exact p-value is computed.
import { kolmogorovSf } from './kolmogorov.js';
import { outerProbInsideMethod, probOutsideSquare } from './ks-exact.js';
import { type NumericInput, sortedCopy } from './validate.js';

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsOptions {
  /**
   * 'auto' (default) is exact when max(n1, n2) <= 10000 and asymptotic otherwise; 'exact' falls
   * back to 'asymp' when lcm(n1, n2) would not fit a 32-bit integer or the exact computation
   * leaves [0, 1], as scipy does.
   */
  method?: KsMethod;
}

export interface KsResult {
  /** sup |F_ref - F_cur| over the pooled sample. */
  statistic: number;
  pValue: number;
  /** The method actually used. */
  method: 'exact' | 'asymp';
}

/** scipy switches 'auto' from exact to asymptotic above this sample size. */
const MAX_AUTO_N = 10000;
const INT32_MAX = 2147483647;

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** numpy.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Largest positive and negative gaps between the two empirical CDFs, over sorted inputs. */
function cdfGaps(a: Float64Array, b: Float64Array): { maxS: number; minS: number } {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let max = -Infinity;
  let min = Infinity;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > max) max = diff;
    if (diff < min) min = diff;
  }
  return { maxS: max, minS: Math.min(Math.max(-min, 0), 1) };
}

/**
 * Two-sided two-sample Kolmogorov-Smirnov test of `ref` against `cur`.
 * Throws RangeError on an empty sample or a NaN; ±Infinity are ordinary (extreme) values.
 * With method 'asymp' and n1 = n2 = 1 the effective size n1 n2 / (n1 + n2) rounds to 0 and the
 * Kolmogorov distribution is undefined (scipy returns NaN): that throws a RangeError too.
 */
export function ks2samp(ref: NumericInput, cur: NumericInput, options: KsOptions = {}): KsResult {
  const requested = options.method ?? 'auto';
  if (requested !== 'auto' && requested !== 'exact' && requested !== 'asymp') {
    throw new RangeError(`ks2samp: unknown method '${String(requested)}'`);
  }
  const a = sortedCopy(ref, 'ks2samp: ref');
  const b = sortedCopy(cur, 'ks2samp: cur');
  const n1 = a.length;
  const n2 = b.length;
  const { maxS, minS } = cdfGaps(a, b);
  let d = Math.max(minS, maxS);

  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let method: 'exact' | 'asymp';
  if (requested === 'auto') method = Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp';
  else if (requested === 'exact') method = n1g >= INT32_MAX / n2g ? 'asymp' : 'exact';
  else method = 'asymp';

  let prob = Number.NaN;
  if (method === 'exact') {
    const lcm = n1g * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) {
      prob = 1;
    } else {
      prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
      if (!(prob >= 0 && prob <= 1)) method = 'asymp';
    }
  }
  if (method === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = roundHalfEven((m * n) / (m + n));
    if (en < 1) {
      throw new RangeError('ks2samp: the asymptotic method needs n1*n2/(n1+n2) >= 0.5 (use exact)');
    }
    prob = kolmogorovSf(en, d);
  }
  return { statistic: d, pValue: Math.min(Math.max(prob, 0), 1), method };
}
