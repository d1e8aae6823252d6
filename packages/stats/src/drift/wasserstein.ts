// First Wasserstein (earth mover's) distance between two empirical distributions, as
// scipy.stats.wasserstein_distance without weights: the integral of |F_ref - F_cur| over the
// pooled support.
import { type NumericInput, sortedCopy } from './validate.js';

/**
 * W1(ref, cur) = ∫ |F_ref(t) - F_cur(t)| dt. Throws RangeError on an empty sample, NaN or
 * ±Infinity (the integral would be undefined or infinite).
 */
export function wasserstein(ref: NumericInput, cur: NumericInput): number {
  const u = sortedCopy(ref, 'wasserstein: ref', { finite: true });
  const v = sortedCopy(cur, 'wasserstein: cur', { finite: true });
  const nu = u.length;
  const nv = v.length;
  let i = 0;
  let j = 0;
  let total = 0;
  // Walk the pooled sorted values; between consecutive pooled values both CDFs are constant.
  let prev = Math.min(u[0]!, v[0]!);
  while (i < nu || j < nv) {
    const next = j >= nv || (i < nu && u[i]! <= v[j]!) ? u[i]! : v[j]!;
    total += Math.abs(i / nu - j / nv) * (next - prev);
    while (i < nu && u[i]! <= next) i++;
    while (j < nv && v[j]! <= next) j++;
    prev = next;
  }
  return total;
}
