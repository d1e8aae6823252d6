// Group fairness gaps, as fairlearn.metrics.demographic_parity_difference and
// equalized_odds_difference: the spread (max - min) of a per-group rate across groups.
import { checkLabels, defaultPositive, type Label, uniqueLabels } from './labels.js';

export interface FairnessOptions {
  /**
   * Positive (selected) class. Default 1: for demographic parity always (fairlearn's
   * selection_rate), for equalized odds when the labels are 0/1 or -1/1 (required otherwise).
   */
  positiveLabel?: Label;
}

function checkGroups(n: number, group: readonly Label[], fn: string): void {
  checkLabels(group, `${fn}: group`);
  if (group.length !== n) throw new RangeError(`${fn}: group has ${group.length} entries for ${n} items`);
  uniqueLabels(group);
}

function spread(values: Iterable<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi - lo;
}

/** Largest minus smallest selection rate P(pred = positive | group). 0 with a single group. */
export function demographicParityDifference(
  pred: readonly Label[],
  group: readonly Label[],
  options: FairnessOptions = {},
): number {
  checkLabels(pred, 'demographicParityDifference: pred');
  if (pred.length === 0) throw new RangeError('demographicParityDifference: pred must not be empty');
  checkGroups(pred.length, group, 'demographicParityDifference');
  uniqueLabels(pred);
  const positive = options.positiveLabel ?? 1;
  const selected = new Map<Label, [number, number]>();
  for (let i = 0; i < pred.length; i++) {
    const s = selected.get(group[i]!) ?? [0, 0];
    s[0] += pred[i] === positive ? 1 : 0;
    s[1] += 1;
    selected.set(group[i]!, s);
  }
  return spread([...selected.values()].map(([k, n]) => k / n));
}

/**
 * The larger of the spreads across groups of the true positive rate and of the false positive
 * rate. A group with no actual positives (negatives) has TPR (FPR) 0, as in fairlearn, whose
 * rates come from scikit-learn's row-normalised confusion matrix with 0/0 set to 0.
 * truth and pred together may hold at most two labels.
 */
export function equalizedOddsDifference(
  truth: readonly Label[],
  pred: readonly Label[],
  group: readonly Label[],
  options: FairnessOptions = {},
): number {
  checkLabels(truth, 'equalizedOddsDifference: truth');
  checkLabels(pred, 'equalizedOddsDifference: pred');
  if (truth.length !== pred.length) {
    throw new RangeError(
      `equalizedOddsDifference: truth and pred differ in length (${truth.length} vs ${pred.length})`,
    );
  }
  if (truth.length === 0) throw new RangeError('equalizedOddsDifference: truth and pred must not be empty');
  checkGroups(truth.length, group, 'equalizedOddsDifference');
  const labels = uniqueLabels(truth, pred);
  if (labels.length > 2) {
    throw new RangeError(
      `equalizedOddsDifference: truth and pred must be binary, found ${labels.length} labels`,
    );
  }
  const positive = options.positiveLabel ?? defaultPositive(labels, 'equalizedOddsDifference');
  // Per group: [true positives, actual positives, false positives, actual negatives].
  const counts = new Map<Label, [number, number, number, number]>();
  for (let i = 0; i < truth.length; i++) {
    const c = counts.get(group[i]!) ?? [0, 0, 0, 0];
    const predictedPositive = pred[i] === positive;
    if (truth[i] === positive) {
      c[1] += 1;
      if (predictedPositive) c[0] += 1;
    } else {
      c[3] += 1;
      if (predictedPositive) c[2] += 1;
    }
    counts.set(group[i]!, c);
  }
  const rates = [...counts.values()];
  const tpr = spread(rates.map(([tp, p]) => (p === 0 ? 0 : tp / p)));
  const fpr = spread(rates.map(([, , fp, n]) => (n === 0 ? 0 : fp / n)));
  return Math.max(tpr, fpr);
}
