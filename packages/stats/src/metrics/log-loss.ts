// Cross-entropy loss, as sklearn.metrics.log_loss (scikit-learn 1.2): probabilities clipped to
// [eps, 1 - eps], each row then renormalised to sum 1, and the mean of -ln p(true class).
import { checkLabelList, checkLabels, type Label, labelIndex, uniqueLabels } from './labels.js';

export interface LogLossOptions {
  /** Classes, in the column order of `probs`; default the sorted labels of truth. */
  labels?: readonly Label[];
  /** Clipping bound; default Number.EPSILON (numpy's float64 eps, scikit-learn's 'auto'). */
  eps?: number;
}

/**
 * Mean log loss. `probs` is either one probability per item for the positive class of a binary
 * problem (the larger of the two labels, as scikit-learn's LabelBinarizer has it), or one row
 * per item with a probability for each class in label order. Needs at least two classes (pass
 * `labels` when truth holds only one). Throws on NaN, on probabilities outside [0, 1], on rows
 * of the wrong width, and on truth labels missing from `labels`.
 */
export function logLoss(
  truth: readonly Label[],
  probs: readonly number[] | readonly (readonly number[])[],
  options: LogLossOptions = {},
): number {
  checkLabels(truth, 'logLoss: truth');
  if (!Array.isArray(probs as unknown)) throw new TypeError('logLoss: probs must be an array');
  if (truth.length !== probs.length) {
    throw new RangeError(`logLoss: truth and probs differ in length (${truth.length} vs ${probs.length})`);
  }
  if (truth.length === 0) throw new RangeError('logLoss: truth and probs must not be empty');
  const eps = options.eps ?? Number.EPSILON;
  if (!(eps >= 0 && eps < 0.5)) throw new RangeError('logLoss: eps must be in [0, 0.5)');
  let classes: Label[];
  if (options.labels) {
    checkLabelList(options.labels, 'logLoss: labels');
    classes = uniqueLabels(options.labels);
  } else {
    classes = uniqueLabels(truth);
  }
  if (classes.length < 2) {
    throw new RangeError('logLoss: need at least two classes; pass labels when truth holds only one');
  }
  const index = labelIndex(classes);
  const clip = (p: number, where: string): number => {
    if (typeof p !== 'number') throw new TypeError(`logLoss: ${where} is not a number`);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`logLoss: ${where} must be a probability in [0, 1]`);
    return Math.min(Math.max(p, eps), 1 - eps);
  };
  let total = 0;
  for (let i = 0; i < truth.length; i++) {
    const c = index.get(truth[i]!);
    if (c === undefined) throw new RangeError(`logLoss: truth[${i}] is not one of the labels`);
    const row = probs[i];
    let ps: number[];
    if (Array.isArray(row)) {
      if (row.length !== classes.length) {
        throw new RangeError(`logLoss: probs[${i}] has ${row.length} entries for ${classes.length} classes`);
      }
      ps = row.map((p: number, j: number) => clip(p, `probs[${i}][${j}]`));
    } else {
      if (classes.length !== 2) {
        throw new RangeError(`logLoss: ${classes.length} classes need one row of probabilities per item`);
      }
      const p = clip(row as number, `probs[${i}]`);
      ps = [1 - p, p];
    }
    let sum = 0;
    for (const p of ps) sum += p;
    total -= Math.log(ps[c]! / sum);
  }
  return total / truth.length;
}
