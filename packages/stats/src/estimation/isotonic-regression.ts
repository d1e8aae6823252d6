// Isotonic (monotone increasing) regression by pool adjacent violators, as scikit-learn's
// IsotonicRegression(increasing=True, out_of_bounds='clip'): tied x values are first merged into
// their weighted mean, the fit is a step function at the unique x values, and predictions
// interpolate linearly between them and clip to the fitted x range.

/** sklearn's _make_unique treats x values closer than float64's resolution as one. */
const TIE_RESOLUTION = 1e-15;

export class IsotonicRegression {
  private constructor(
    /** Unique x values, increasing. */
    readonly xs: Float64Array,
    /** The fitted, non-decreasing value at each of `xs`. */
    readonly ys: Float64Array,
  ) {}

  /**
   * Fits y as a non-decreasing function of x, each point weighted by `weights` (default 1).
   * Points with weight 0 are left out, as scikit-learn does. Throws on empty or mismatched
   * inputs, non-finite values and negative weights.
   */
  static fit(x: ArrayLike<number>, y: ArrayLike<number>, weights?: ArrayLike<number>): IsotonicRegression {
    const n = x.length;
    if (y.length !== n)
      throw new RangeError(`IsotonicRegression: x and y differ in length (${n} vs ${y.length})`);
    if (weights !== undefined && weights.length !== n) {
      throw new RangeError(`IsotonicRegression: weights differ in length from x (${weights.length} vs ${n})`);
    }
    const idx: number[] = [];
    for (let i = 0; i < n; i++) {
      const w = weights === undefined ? 1 : weights[i]!;
      if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
        throw new RangeError(`IsotonicRegression: x[${i}] and y[${i}] must be finite numbers`);
      }
      if (!(w >= 0) || !Number.isFinite(w))
        throw new RangeError(`IsotonicRegression: weights[${i}] must be >= 0`);
      if (w > 0) idx.push(i);
    }
    if (idx.length === 0)
      throw new RangeError('IsotonicRegression: needs at least one point of positive weight');
    // As np.lexsort((y, x)): by x, then by y.
    idx.sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]!);

    const ux: number[] = [];
    const uy: number[] = [];
    const uw: number[] = [];
    for (const i of idx) {
      const w = weights === undefined ? 1 : weights[i]!;
      const last = ux.length - 1;
      if (last >= 0 && x[i]! - ux[last]! < TIE_RESOLUTION) {
        uy[last] = uy[last]! + w * y[i]!;
        uw[last] = uw[last]! + w;
      } else {
        ux.push(x[i]!);
        uy.push(w * y[i]!);
        uw.push(w);
      }
    }
    for (let j = 0; j < uy.length; j++) uy[j] = uy[j]! / uw[j]!;
    return new IsotonicRegression(Float64Array.from(ux), poolAdjacentViolators(uy, uw));
  }

  /** The fitted function at `value`: linear between fitted points, clipped outside their range. */
  predict(value: number): number {
    const { xs, ys } = this;
    const last = xs.length - 1;
    if (Number.isNaN(value)) return Number.NaN;
    if (value <= xs[0]!) return ys[0]!;
    if (value >= xs[last]!) return ys[last]!;
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid]! <= value) lo = mid;
      else hi = mid;
    }
    const t = (value - xs[lo]!) / (xs[hi]! - xs[lo]!);
    return ys[lo]! + t * (ys[hi]! - ys[lo]!);
  }

  predictMany(values: ArrayLike<number>): Float64Array {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = this.predict(values[i]!);
    return out;
  }
}

/**
 * Weighted pool adjacent violators: merges neighbouring blocks while a block's mean exceeds
 * its successor's, so the result is the weighted least-squares non-decreasing fit.
 */
function poolAdjacentViolators(values: readonly number[], weights: readonly number[]): Float64Array {
  const means: number[] = [];
  const sizes: number[] = [];
  const mass: number[] = [];
  for (let i = 0; i < values.length; i++) {
    means.push(values[i]!);
    mass.push(weights[i]!);
    sizes.push(1);
    while (means.length > 1 && means[means.length - 2]! > means[means.length - 1]!) {
      const m = mass.pop()!;
      const v = means.pop()!;
      const s = sizes.pop()!;
      const top = means.length - 1;
      const total = mass[top]! + m;
      means[top] = (means[top]! * mass[top]! + v * m) / total;
      mass[top] = total;
      sizes[top] = sizes[top]! + s;
    }
  }
  const out = new Float64Array(values.length);
  let at = 0;
  for (let b = 0; b < means.length; b++) {
    out.fill(means[b]!, at, at + sizes[b]!);
    at += sizes[b]!;
  }
  return out;
}
