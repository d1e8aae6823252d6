// k-sample Anderson-Darling test, as scipy.stats.anderson_ksamp(midrank=True) (scipy 1.10):
// Scholz & Stephens (1987), "K-Sample Anderson-Darling Tests", JASA 82(399), eq. 7 (the
// version for ties), standardised, with the approximate significance level interpolated from
// their Table 2 and clipped to [0.001, 0.25].
import { sortedCopy } from './validate.js';

export interface AndersonKSampleResult {
  /** Standardised statistic (A2akN - (k - 1)) / sigma. */
  statistic: number;
  /** Critical values at the significance levels 0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001. */
  criticalValues: number[];
  /** Approximate p-value; values beyond the table are clipped to 0.25 or 0.001. */
  significanceLevel: number;
}

const SIG = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
// Interpolation coefficients of Scholz & Stephens' Table 2.
const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/** Index of the first element > v (side='right') in sorted data. */
function upperBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element >= v (side='left') in sorted data. */
function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Least-squares quadratic through (x_i, y_i), as numpy.polyfit(x, y, 2): Householder QR on the
 * column-scaled Vandermonde matrix. Returns [c2, c1, c0].
 */
function quadraticFit(x: number[], y: number[]): [number, number, number] {
  const m = x.length;
  const cols = [x.map((v) => v * v), x.slice(), x.map(() => 1)];
  const scale = cols.map((c) => Math.sqrt(c.reduce((s, v) => s + v * v, 0)));
  const a = cols.map((c, j) => c.map((v) => v / scale[j]!));
  const b = y.slice();
  for (let j = 0; j < 3; j++) {
    let norm = 0;
    for (let i = j; i < m; i++) norm += a[j]![i]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = a[j]![j]! > 0 ? -norm : norm;
    const v = new Array<number>(m).fill(0);
    for (let i = j; i < m; i++) v[i] = a[j]![i]!;
    v[j]! -= alpha;
    const vv = v.reduce((s, t) => s + t * t, 0);
    if (vv === 0) continue;
    const reflect = (col: number[]): void => {
      let dot = 0;
      for (let i = j; i < m; i++) dot += v[i]! * col[i]!;
      const f = (2 * dot) / vv;
      for (let i = j; i < m; i++) col[i]! -= f * v[i]!;
    };
    for (let k = j; k < 3; k++) reflect(a[k]!);
    reflect(b);
  }
  const coef = [0, 0, 0];
  for (let j = 2; j >= 0; j--) {
    let s = b[j]!;
    for (let k = j + 1; k < 3; k++) s -= a[k]![j]! * coef[k]!;
    coef[j] = s / a[j]![j]!;
  }
  return [coef[0]! / scale[0]!, coef[1]! / scale[1]!, coef[2]! / scale[2]!];
}

/**
 * Tests whether k >= 2 samples come from one distribution. Needs at least 4 observations in
 * all (the variance of the statistic has (N-1)(N-2)(N-3) in its denominator), no empty sample,
 * and at least two distinct values; otherwise throws RangeError. NaN throws; ±Infinity are
 * ordinary extreme values, the statistic depending on ranks only.
 */
export function andersonKSample(samples: readonly ArrayLike<number>[]): AndersonKSampleResult {
  if (!Array.isArray(samples)) throw new TypeError('andersonKSample: samples must be an array of samples');
  const k = samples.length;
  if (k < 2) throw new RangeError('andersonKSample: needs at least two samples');
  const sorted = samples.map((s, i) => sortedCopy(s, `andersonKSample: samples[${i}]`));
  const n = sorted.map((s) => s.length);
  const N = n.reduce((s, v) => s + v, 0);
  const z = new Float64Array(N);
  let off = 0;
  for (const s of sorted) {
    z.set(s, off);
    off += s.length;
  }
  z.sort();
  const zstar: number[] = [];
  for (let i = 0; i < N; i++) if (i === 0 || z[i] !== z[i - 1]) zstar.push(z[i]!);
  if (zstar.length < 2) throw new RangeError('andersonKSample: needs more than one distinct observation');
  if (N < 4) throw new RangeError('andersonKSample: needs at least 4 observations in all');

  // Midrank statistic A2akN, Scholz & Stephens eq. 7.
  const lj = zstar.map((v) => upperBound(z, v) - lowerBound(z, v));
  const bj = zstar.map((v, j) => lowerBound(z, v) + lj[j]! / 2);
  let a2akn = 0;
  for (let i = 0; i < k; i++) {
    const s = sorted[i]!;
    let inner = 0;
    for (let j = 0; j < zstar.length; j++) {
      const right = upperBound(s, zstar[j]!);
      const fij = right - lowerBound(s, zstar[j]!);
      const mij = right - fij / 2;
      const b = bj[j]!;
      inner += ((lj[j]! / N) * (N * mij - b * n[i]!) ** 2) / (b * (N - b) - (N * lj[j]!) / 4);
    }
    a2akn += inner / n[i]!;
  }
  a2akn *= (N - 1) / N;

  const H = n.reduce((s, v) => s + 1 / v, 0);
  // h = Σ_{i<N} 1/i; g = Σ_{i<j<N} 1/((N - i) j), via the running sums of 1/(N-1), 1/(N-2), ...
  let hs = 0;
  let g = 0;
  for (let t = 0; t < N - 2; t++) {
    hs += 1 / (N - 1 - t);
    g += hs / (t + 2);
  }
  const h = hs + 1;
  const a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const b = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const c = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const d = (2 * h + 6) * k ** 2 - 4 * h * k;
  const sigmasq = (a * N ** 3 + b * N ** 2 + c * N + d) / ((N - 1) * (N - 2) * (N - 3));
  const m = k - 1;
  const statistic = (a2akn - m) / Math.sqrt(sigmasq);

  const criticalValues = B0.map((b0, i) => b0 + B1[i]! / Math.sqrt(m) + B2[i]! / m);
  let significanceLevel: number;
  if (statistic < Math.min(...criticalValues)) {
    significanceLevel = Math.max(...SIG);
  } else if (statistic > Math.max(...criticalValues)) {
    significanceLevel = Math.min(...SIG);
  } else {
    // scipy interpolates log(significance) quadratically in the critical value.
    const [c2, c1, c0] = quadraticFit(criticalValues, SIG.map(Math.log));
    significanceLevel = Math.exp((c2 * statistic + c1) * statistic + c0);
  }
  return { statistic, criticalValues, significanceLevel };
}
