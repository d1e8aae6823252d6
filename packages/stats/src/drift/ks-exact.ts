// Exact null distribution of the two-sample Kolmogorov-Smirnov statistic, as scipy.stats.ks_2samp
// computes it (scipy 1.10): lattice paths from (0, 0) to (m, n) that leave the band
// |x/m - y/n| < h / lcm(m, n). Hodges (1958), "The Significance Probability of the Smirnov
// Two-Sample Test", Arkiv for Matematik 3(43); Viehmann (2021), arXiv:2102.08037, for the
// recursion that carries 1 - p directly, which stays accurate for tiny p-values.

/**
 * Pr(D_{n,n} >= h/n) for equal sample sizes, as scipy's _compute_prob_outside_square:
 * 2 * (C(2n, n-h) - C(2n, n-2h) + ...) / C(2n, n), evaluated Horner-style on ratios so that the
 * alternating sum does not cancel.
 */
export function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
    k -= 1;
  }
  return 2 * p;
}

/**
 * Proportion of paths that do not stay strictly inside the band, for unequal sizes, as scipy's
 * _compute_outer_prob_inside_method. Only a sliding window of one lattice column is kept, so
 * memory is O(min(m, n)) and time O(m * window).
 */
export function outerProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const a = new Float64Array(lenA).fill(1);
  a.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (a[jj + minj - lastminj]! * i + val * j) / (i + j);
      a[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) a.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return a[maxj - minj - 1]!;
}
