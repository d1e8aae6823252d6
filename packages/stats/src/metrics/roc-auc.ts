// Area under the ROC curve for binary labels, as sklearn.metrics.roc_auc_score: tied scores form
// one threshold, so a tie between a positive and a negative counts one half (the trapezoid over
// the tied step), the Mann-Whitney convention.
import { checkLabels, type Label, uniqueLabels } from './labels.js';

/**
 * ROC AUC of `scores` (higher means more likely positive) against binary `truth`. The positive
 * class is the larger of the two labels in numpy order (1 for 0/1, 'yes' for 'no'/'yes'), as
 * scikit-learn takes it. Throws RangeError unless truth holds exactly two classes, on NaN scores,
 * and on empty or mismatched inputs; ±Infinity scores rank as extremes.
 */
export function rocAuc(truth: readonly Label[], scores: ArrayLike<number>): number {
  checkLabels(truth, 'rocAuc: truth');
  if (truth.length !== scores.length) {
    throw new RangeError(`rocAuc: truth and scores differ in length (${truth.length} vs ${scores.length})`);
  }
  const classes = uniqueLabels(truth);
  if (classes.length !== 2) {
    throw new RangeError(`rocAuc: truth must hold exactly two classes, found ${classes.length}`);
  }
  const positive = classes[1];
  const n = truth.length;
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (typeof s !== 'number') throw new TypeError(`rocAuc: scores[${i}] is not a number`);
    if (Number.isNaN(s)) throw new RangeError(`rocAuc: scores[${i}] is NaN`);
    idx[i] = i;
  }
  // Descending; equal infinities give NaN differences, which count as ties.
  idx.sort((a, b) => scores[b]! - scores[a]! || 0);
  // Walk thresholds from high to low; counts are integers, so the area is exact up to one division.
  let tp = 0;
  let fp = 0;
  let area2 = 0; // twice the area, in units of (positives x negatives)
  let i = 0;
  while (i < n) {
    const s = scores[idx[i]!]!;
    const tp0 = tp;
    const fp0 = fp;
    while (i < n && scores[idx[i]!] === s) {
      if (truth[idx[i]!] === positive) tp++;
      else fp++;
      i++;
    }
    area2 += (fp - fp0) * (tp + tp0);
  }
  return area2 / (2 * tp * fp);
}
