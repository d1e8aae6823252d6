// Expected calibration error of binary probability forecasts (Naeini, Cooper & Hauskrecht 2015;
// Guo et al. 2017): equal-width bins over [0, 1], |mean forecast - observed frequency| per bin,
// weighted by the share of forecasts in the bin.

export interface CalibrationOptions {
  /** Number of equal-width bins; default 10. */
  bins?: number;
}

/**
 * ECE of `probs` (forecast probability that the outcome is 1) against `labels` (0/1 or
 * false/true). Bin b covers [b/B, (b+1)/B), the last one also includes 1. Empty bins contribute
 * nothing. Throws on empty or mismatched inputs, probabilities outside [0, 1] and other labels.
 */
export function expectedCalibrationError(
  probs: ArrayLike<number>,
  labels: ArrayLike<number | boolean>,
  options: CalibrationOptions = {},
): number {
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError('expectedCalibrationError: bins must be an integer >= 1');
  }
  if (probs.length !== labels.length) {
    throw new RangeError(
      `expectedCalibrationError: probs and labels differ in length (${probs.length} vs ${labels.length})`,
    );
  }
  const n = probs.length;
  if (n === 0) throw new RangeError('expectedCalibrationError: probs and labels must not be empty');
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const p = probs[i];
    const y = labels[i];
    if (typeof p !== 'number') throw new TypeError(`expectedCalibrationError: probs[${i}] is not a number`);
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`expectedCalibrationError: probs[${i}] must be a probability in [0, 1]`);
    }
    if (y !== 0 && y !== 1 && y !== true && y !== false) {
      throw new RangeError(`expectedCalibrationError: labels[${i}] must be 0, 1, false or true`);
    }
    // Largest b with b/B <= p, computed against the same edges b/B the bins are defined by.
    let b = Math.min(Math.floor(p * bins), bins - 1);
    if (b + 1 < bins && (b + 1) / bins <= p) b += 1;
    else if (b > 0 && b / bins > p) b -= 1;
    count[b]! += 1;
    sumP[b]! += p;
    sumY[b]! += y === true || y === 1 ? 1 : 0;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    ece += (count[b]! / n) * Math.abs(sumP[b]! / count[b]! - sumY[b]! / count[b]!);
  }
  return ece;
}
