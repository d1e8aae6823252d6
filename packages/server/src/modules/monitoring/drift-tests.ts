import { chi2Sf, gammaQ, jensenShannon } from '@plumb/stats';
import type { Cdf, SampleData } from './current-data.js';
import { ksPValue } from './ks-pvalue.js';
import { type DriftTest, P_VALUE_TESTS, type Verdict } from './monitor-spec.js';

export interface TestOutcome {
  /** What the threshold is compared with: a p-value (ks, chisquare, z) or a distance. */
  statistic: number;
  /** An interval holding the statistic of the exact data, from the sketches' error bounds. */
  low: number;
  high: number;
  exact: boolean;
}

export interface Judged extends TestOutcome {
  drifted: boolean;
  verdict: Verdict;
}

/**
 * The verdict from the interval: drift or no drift only when the whole interval falls on one
 * side of the threshold, `indeterminate` when the threshold lies within the error bound.
 */
export function judge(test: DriftTest, threshold: number, o: TestOutcome): Judged {
  const drifts = (x: number) =>
    test === 'ks' ? x <= threshold : P_VALUE_TESTS.has(test) ? x < threshold : x >= threshold;
  // A p-value falls as drift grows: its interval's high end is the least drifted case.
  const [least, most] = P_VALUE_TESTS.has(test) ? [o.high, o.low] : [o.low, o.high];
  const verdict: Verdict = drifts(least) ? 'drift' : drifts(most) ? 'indeterminate' : 'no_drift';
  return { ...o, drifted: verdict === 'drift', verdict };
}

export interface ReferenceSide {
  cdf: Cdf | null;
  count: number;
  mean: number | null;
  /** Population standard deviation. */
  std: number | null;
  binCounts: number[] | null;
}

/** One walk over both CDFs: the sup and the integral of |F_ref − F_cur| between their steps. */
export function cdfDistances(a: Cdf, b: Cdf): { ks: number; wasserstein: number; min: number; max: number } {
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  let ks = 0;
  let w = 0;
  let prev = Number.NaN;
  const { values: av, cum: ac } = a;
  const { values: bv, cum: bc } = b;
  while (i < av.length || j < bv.length) {
    const v = j >= bv.length || (i < av.length && av[i]! <= bv[j]!) ? av[i]! : bv[j]!;
    if (fa !== fb) w += Math.abs(fa - fb) * (v - prev);
    while (i < av.length && av[i]! <= v) i++;
    while (j < bv.length && bv[j]! <= v) j++;
    fa = i === 0 ? 0 : ac[i - 1]! / a.n;
    fb = j === 0 ? 0 : bc[j - 1]! / b.n;
    ks = Math.max(ks, Math.abs(fa - fb));
    prev = v;
  }
  const min = Math.min(av[0] ?? Infinity, bv[0] ?? Infinity);
  const max = Math.max(av[av.length - 1] ?? -Infinity, bv[bv.length - 1] ?? -Infinity);
  return { ks, wasserstein: w, min, max };
}

/**
 * Two-sample KS p-value (scipy's ks_2samp, 'auto'). The estimated statistic is within
 * ε_ref + ε_cur of the exact one (both CDFs within their rank error); the p-value interval is
 * the p-values at the ends of that statistic interval.
 */
export function ksTest(ref: ReferenceSide, cur: SampleData): TestOutcome | null {
  const b = cur.cdf();
  if (!ref.cdf || !b) return null;
  const { ks } = cdfDistances(ref.cdf, b);
  const err = ref.cdf.error + b.error;
  const p = (d: number) => ksPValue(d, ref.cdf!.n, b.n);
  const statistic = p(ks);
  if (err === 0) return { statistic, low: statistic, high: statistic, exact: true };
  return { statistic, low: p(Math.min(1, ks + err)), high: p(Math.max(0, ks - err)), exact: false };
}

/**
 * W1 = ∫|F̂_a − F̂_b| dx of the estimated CDFs, and an interval holding W1 of the exact data.
 * At every x each exact CDF lies within its rank error of its estimate and within [0, 1], and
 * equals its estimate outside its own exact [min, max) (0 below, 1 from the max on); the
 * smallest and largest |F_a − F_b| those constraints allow at x, integrated, bound the exact W1.
 * That is never looser than (ε_a + ε_b)·(pooled max − min): no error where a side is exact, none
 * past 0 or 1, and the low end stays at 0, not below it, where the two CDFs are within their
 * errors of each other.
 */
export function wassersteinBounds(a: Cdf, b: Cdf): { w: number; low: number; high: number } {
  const points = Float64Array.from([
    ...Array.from(a.values),
    ...Array.from(b.values),
    a.min,
    a.max,
    b.min,
    b.max,
  ]).sort();
  let i = 0;
  let j = 0;
  let w = 0;
  let low = 0;
  let high = 0;
  const box = (f: number, c: Cdf, x: number): [number, number] =>
    x < c.min || x >= c.max ? [f, f] : [Math.max(0, f - c.error), Math.min(1, f + c.error)];
  for (let k = 0; k + 1 < points.length; k++) {
    const x = points[k]!;
    const len = points[k + 1]! - x;
    // Empty, or between two equal infinities.
    if (!(len > 0)) continue;
    while (i < a.values.length && a.values[i]! <= x) i++;
    while (j < b.values.length && b.values[j]! <= x) j++;
    const fa = i === 0 ? 0 : a.cum[i - 1]! / a.n;
    const fb = j === 0 ? 0 : b.cum[j - 1]! / b.n;
    const [la, ha] = box(fa, a, x);
    const [lb, hb] = box(fb, b, x);
    // Products only where the integrand is positive, so an infinite interval of 0 adds 0.
    const add = (h: number) => (h > 0 ? h * len : 0);
    w += add(Math.abs(fa - fb));
    low += add(Math.max(0, la - hb, lb - ha));
    high += add(Math.max(ha - lb, hb - la));
  }
  return { w, low, high };
}

/**
 * Wasserstein distance over the reference's population standard deviation (floored at 0.001),
 * as Evidently, with the interval of wassersteinBounds; never below |mean_cur − mean_ref|,
 * which the exact moments give and W1 is at least.
 */
export function wassersteinTest(ref: ReferenceSide, cur: SampleData): TestOutcome | null {
  const b = cur.cdf();
  if (!ref.cdf || !b) return null;
  const norm = Math.max(ref.std ?? 0, 0.001);
  const { w, low, high } = wassersteinBounds(ref.cdf, b);
  const statistic = w / norm;
  if (ref.cdf.error === 0 && b.error === 0)
    return { statistic, low: statistic, high: statistic, exact: true };
  const floor = ref.mean !== null && cur.mean !== null ? Math.abs(cur.mean - ref.mean) / norm : 0;
  return { statistic, low: Math.max(floor, low / norm), high: high / norm, exact: false };
}

/**
 * Pearson chi-square of the current counts against the reference proportions scaled to the
 * current total, as Evidently's chi_stat_test (scipy.stats.chisquare). Bins empty on both sides
 * are left out; a bin the reference never saw that the current has makes the statistic infinite
 * (p = 0), as scipy. Each term's range over its count interval bounds the statistic.
 */
export function chiSquareTest(
  ref: ReferenceSide,
  cur: SampleData,
  spec: Parameters<SampleData['binned']>[0],
) {
  const counts = cur.binned(spec);
  if (!ref.binCounts || counts.total === 0) return null;
  const scale = counts.total / ref.count;
  let stat = 0;
  let low = 0;
  let high = 0;
  let bins = 0;
  for (let i = 0; i < ref.binCounts.length; i++) {
    const e = ref.binCounts[i]! * scale;
    const [o, lo, hi] = [counts.estimate[i]!, counts.low[i]!, counts.high[i]!];
    if (e === 0 && hi === 0) continue;
    bins++;
    if (e === 0) {
      stat = o > 0 ? Infinity : stat;
      low = lo > 0 ? Infinity : low;
      high = Infinity;
      continue;
    }
    const term = (x: number) => ((x - e) * (x - e)) / e;
    stat += term(o);
    low += e >= lo && e <= hi ? 0 : Math.min(term(lo), term(hi));
    high += Math.max(term(lo), term(hi));
  }
  const dof = Math.max(bins - 1, 1);
  const p = (x: number) => (x === Infinity ? 0 : bins < 2 ? 1 : chi2Sf(x, dof));
  return { statistic: p(stat), low: p(high), high: p(low), exact: counts.exact } satisfies TestOutcome;
}

/**
 * Two-proportion z-test, two-sided, pooled variance, as Evidently's z_stat_test: the share of
 * values other than the first reference category on each side. |z| is V-shaped in the current
 * share, so the p-value interval comes from the share's interval ends (and 1 when it holds p1).
 */
export function zTest(ref: ReferenceSide, cur: SampleData, spec: Parameters<SampleData['binned']>[0]) {
  const counts = cur.binned(spec);
  if (!ref.binCounts || counts.total === 0) return null;
  const n1 = ref.count;
  const n2 = counts.total;
  const p1 = (n1 - ref.binCounts[0]!) / n1;
  const p = (first: number) => {
    const p2 = (n2 - first) / n2;
    const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    const v = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
    if (!(v > 0)) return 1;
    return 2 * normalSf(Math.abs(p1 - p2) / Math.sqrt(v));
  };
  const statistic = p(counts.estimate[0]!);
  const [a, b] = [p(counts.high[0]!), p(counts.low[0]!)];
  const s2lo = (n2 - counts.high[0]!) / n2;
  const s2hi = (n2 - counts.low[0]!) / n2;
  const high = p1 >= s2lo && p1 <= s2hi ? 1 : Math.max(a, b);
  return { statistic, low: Math.min(a, b), high, exact: counts.exact } satisfies TestOutcome;
}

/**
 * Jensen–Shannon distance with the natural logarithm (scipy.spatial.distance.jensenshannon's
 * default, and Evidently's) over the frozen bins. The distance is a metric and its square is at
 * most ln 2 · TV, so it is within sqrt(ln 2 · TV(estimate, truth)) of the exact one.
 */
export function jensenShannonTest(
  ref: ReferenceSide,
  cur: SampleData,
  spec: Parameters<SampleData['binned']>[0],
) {
  const counts = cur.binned(spec);
  if (!ref.binCounts || counts.total === 0) return null;
  const keep = ref.binCounts.map((r, i) => r > 0 || counts.high[i]! > 0);
  const statistic = jensenShannon(
    ref.binCounts.filter((_, i) => keep[i]),
    counts.estimate.filter((_, i) => keep[i]),
    { base: Math.E },
  );
  if (counts.exact) return { statistic, low: statistic, high: statistic, exact: true } satisfies TestOutcome;
  let off = 0;
  for (let i = 0; i < counts.estimate.length; i++)
    off += Math.max(counts.estimate[i]! - counts.low[i]!, counts.high[i]! - counts.estimate[i]!);
  const err = Math.sqrt(Math.LN2 * Math.min(1, off / (2 * counts.total)));
  return {
    statistic,
    low: Math.max(0, statistic - err),
    high: statistic + err,
    exact: false,
  } satisfies TestOutcome;
}

/** PSI as `psi` (zero proportions become 1e-4), over the frozen bins; bounded term by term. */
export function psiTest(ref: ReferenceSide, cur: SampleData, spec: Parameters<SampleData['binned']>[0]) {
  const counts = cur.binned(spec);
  if (!ref.binCounts || counts.total === 0) return null;
  const eps = 1e-4;
  let stat = 0;
  let low = 0;
  let high = 0;
  for (let i = 0; i < ref.binCounts.length; i++) {
    const pr = ref.binCounts[i]! / ref.count;
    if (pr === 0 && counts.high[i] === 0) continue;
    const p = pr || eps;
    const term = (c: number) => {
      const q = c / counts.total || eps;
      return (q - p) * Math.log(q / p);
    };
    const [lo, hi] = [counts.low[i]!, counts.high[i]!];
    stat += term(counts.estimate[i]!);
    low += p * counts.total >= lo && p * counts.total <= hi ? 0 : Math.min(term(lo), term(hi));
    high += Math.max(term(lo), term(hi));
  }
  return { statistic: stat, low, high, exact: counts.exact } satisfies TestOutcome;
}

/** Upper tail of the standard normal: erfc(x) = Q(1/2, x²), the regularized upper gamma. */
export function normalSf(z: number): number {
  return z >= 0 ? 0.5 * gammaQ(0.5, (z * z) / 2) : 1 - 0.5 * gammaQ(0.5, (z * z) / 2);
}
