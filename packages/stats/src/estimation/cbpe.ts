// Confidence-based performance estimation for binary classifiers, as NannyML's CBPE: with
// probabilities calibrated on a labelled reference, each prediction contributes its calibrated
// probability of being right to the expected confusion matrix, so accuracy, precision, recall
// and F1 can be estimated for a window before any of its labels arrive.
import { IsotonicRegression } from './isotonic-regression.js';

export interface ExpectedConfusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface EstimatedPerformance extends ExpectedConfusion {
  /** Weighted count of predictions in the window. */
  n: number;
  accuracy: number;
  /** NaN where the expected denominator is 0, as NannyML's division gives. */
  precision: number;
  recall: number;
  f1: number;
}

/**
 * The calibrator CBPE fits on the reference: isotonic regression of the observed outcome (1 for
 * the positive class) on the model's score. NannyML first checks whether calibration helps and
 * may skip it; here it is always applied, which for an already calibrated model changes the
 * probabilities only by the reference's sampling noise.
 */
export function fitCalibrator(
  referenceScores: ArrayLike<number>,
  referenceTruth: ArrayLike<number | boolean>,
): IsotonicRegression {
  const y = new Float64Array(referenceTruth.length);
  for (let i = 0; i < y.length; i++) {
    const t = referenceTruth[i];
    if (t !== 0 && t !== 1 && t !== true && t !== false) {
      throw new RangeError(`fitCalibrator: referenceTruth[${i}] must be 0/1 or a boolean`);
    }
    y[i] = Number(t);
  }
  return IsotonicRegression.fit(referenceScores, y);
}

/**
 * Expected performance of a window from `probabilities` (calibrated probability of the positive
 * class) and the model's `predictions` (1 = predicted positive), each weighted by `weights`
 * (default 1). Throws on mismatched or empty inputs and probabilities outside [0, 1].
 */
export function estimateBinaryPerformance(
  probabilities: ArrayLike<number>,
  predictions: ArrayLike<number | boolean>,
  weights?: ArrayLike<number>,
): EstimatedPerformance {
  const n = probabilities.length;
  if (predictions.length !== n || (weights !== undefined && weights.length !== n)) {
    throw new RangeError('estimateBinaryPerformance: inputs differ in length');
  }
  if (n === 0) throw new RangeError('estimateBinaryPerformance: needs at least one prediction');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`estimateBinaryPerformance: probabilities[${i}] is not in [0, 1]`);
    const w = weights === undefined ? 1 : weights[i]!;
    total += w;
    if (predictions[i] === 1 || predictions[i] === true) {
      tp += w * p;
      fp += w * (1 - p);
    } else {
      fn += w * p;
      tn += w * (1 - p);
    }
  }
  return {
    tp,
    fp,
    fn,
    tn,
    n: total,
    accuracy: (tp + tn) / total,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    f1: tp / (tp + 0.5 * (fp + fn)),
  };
}
