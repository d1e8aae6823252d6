// Regression metrics, as sklearn.metrics.mean_absolute_error, mean_squared_error (square-rooted)
// and r2_score.

function checkNumbers(truth: ArrayLike<number>, pred: ArrayLike<number>, fn: string, minLength = 1): void {
  if (truth.length !== pred.length) {
    throw new RangeError(`${fn}: truth and pred differ in length (${truth.length} vs ${pred.length})`);
  }
  if (truth.length < minLength) {
    throw new RangeError(`${fn}: needs at least ${minLength} value${minLength === 1 ? '' : 's'}`);
  }
  for (const [name, xs] of [
    ['truth', truth],
    ['pred', pred],
  ] as const) {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      if (typeof v !== 'number') throw new TypeError(`${fn}: ${name}[${i}] is not a number`);
      if (!Number.isFinite(v)) throw new RangeError(`${fn}: ${name}[${i}] is not finite`);
    }
  }
}

/** Mean absolute error. */
export function mae(truth: ArrayLike<number>, pred: ArrayLike<number>): number {
  checkNumbers(truth, pred, 'mae');
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += Math.abs(truth[i]! - pred[i]!);
  return s / truth.length;
}

/** Root mean squared error. */
export function rmse(truth: ArrayLike<number>, pred: ArrayLike<number>): number {
  checkNumbers(truth, pred, 'rmse');
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (truth[i]! - pred[i]!) ** 2;
  return Math.sqrt(s / truth.length);
}

/**
 * Coefficient of determination 1 - SS_res / SS_tot. For a constant truth SS_tot is 0 and, as
 * scikit-learn (force_finite=True) does, the result is 1 for a perfect prediction and 0
 * otherwise. Needs at least two values (scikit-learn gives NaN for one).
 */
export function r2(truth: ArrayLike<number>, pred: ArrayLike<number>): number {
  checkNumbers(truth, pred, 'r2', 2);
  let mean = 0;
  for (let i = 0; i < truth.length; i++) mean += truth[i]!;
  mean /= truth.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < truth.length; i++) {
    ssRes += (truth[i]! - pred[i]!) ** 2;
    ssTot += (truth[i]! - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
