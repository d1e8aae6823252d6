// Brier score for binary outcomes, as sklearn.metrics.brier_score_loss.
import { checkLabels, defaultPositive, type Label, uniqueLabels } from './labels.js';

export interface BrierScoreOptions {
  /** Class whose probability `probs` holds; default 1 for 0/1 or -1/1 labels, required otherwise. */
  positiveLabel?: Label;
}

/** Mean of (1[truth = positive] - prob)^2. Probabilities must lie in [0, 1]. */
export function brierScore(
  truth: readonly Label[],
  probs: ArrayLike<number>,
  options: BrierScoreOptions = {},
): number {
  checkLabels(truth, 'brierScore: truth');
  if (truth.length !== probs.length) {
    throw new RangeError(`brierScore: truth and probs differ in length (${truth.length} vs ${probs.length})`);
  }
  if (truth.length === 0) throw new RangeError('brierScore: truth and probs must not be empty');
  const classes = uniqueLabels(truth);
  if (classes.length > 2)
    throw new RangeError(`brierScore: truth must be binary, found ${classes.length} classes`);
  const positive = options.positiveLabel ?? defaultPositive(classes, 'brierScore');
  let total = 0;
  for (let i = 0; i < truth.length; i++) {
    const p = probs[i];
    if (typeof p !== 'number') throw new TypeError(`brierScore: probs[${i}] is not a number`);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`brierScore: probs[${i}] must be a probability in [0, 1]`);
    const y = truth[i] === positive ? 1 : 0;
    total += (y - p) ** 2;
  }
  return total / truth.length;
}
