// Precision, recall and F1, as sklearn.metrics.precision_recall_fscore_support with
// zero_division=0: a ratio whose denominator is 0 counts as 0, and F1 is 0 when P + R = 0.
import { confusionMatrix } from './confusion-matrix.js';
import { defaultPositive, type Label } from './labels.js';

export type Average = 'binary' | 'macro' | 'micro' | 'weighted';

export interface PrecisionRecallF1Options {
  /** Default 'binary'. */
  average?: Average;
  /**
   * Positive class for average 'binary'. Default 1, which must then be a label unless only one
   * class occurs; string labels need it given.
   */
  positiveLabel?: Label;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);
const fScore = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * 'binary' scores the positive class only and needs at most two labels in truth and pred;
 * 'micro' pools the counts of all classes (for single-label data it equals accuracy); 'macro'
 * is the unweighted mean over classes; 'weighted' weights each class by its true count.
 * Classes are all labels found in truth or pred.
 */
export function precisionRecallF1(
  truth: readonly Label[],
  pred: readonly Label[],
  options: PrecisionRecallF1Options = {},
): PrecisionRecallF1 {
  const average = options.average ?? 'binary';
  if (!['binary', 'macro', 'micro', 'weighted'].includes(average)) {
    throw new RangeError(`precisionRecallF1: unknown average '${String(average)}'`);
  }
  const { labels, matrix } = confusionMatrix(truth, pred);
  const k = labels.length;
  const tp = labels.map((_, i) => matrix[i]![i]!);
  const trueSum = matrix.map((row) => row.reduce((s, v) => s + v, 0));
  const predSum = labels.map((_, j) => matrix.reduce((s, row) => s + row[j]!, 0));

  if (average === 'binary') {
    if (k > 2) {
      throw new RangeError(
        `precisionRecallF1: ${k} classes found; choose average 'macro', 'micro' or 'weighted'`,
      );
    }
    const positive = options.positiveLabel ?? (k === 2 ? defaultPositive(labels, 'precisionRecallF1') : 1);
    if (typeof positive !== typeof labels[0]) {
      throw new TypeError('precisionRecallF1: positiveLabel and labels mix numbers and strings');
    }
    const i = labels.indexOf(positive);
    if (i < 0) {
      if (k === 2) {
        throw new RangeError(`precisionRecallF1: positiveLabel ${String(positive)} is not one of the labels`);
      }
      // The positive class never occurs: no true or predicted positives, all scores 0.
      return { precision: 0, recall: 0, f1: 0 };
    }
    const p = ratio(tp[i]!, predSum[i]!);
    const r = ratio(tp[i]!, trueSum[i]!);
    return { precision: p, recall: r, f1: fScore(p, r) };
  }
  if (average === 'micro') {
    const t = tp.reduce((s, v) => s + v, 0);
    const p = ratio(
      t,
      predSum.reduce((s, v) => s + v, 0),
    );
    const r = ratio(
      t,
      trueSum.reduce((s, v) => s + v, 0),
    );
    return { precision: p, recall: r, f1: fScore(p, r) };
  }
  const ps = tp.map((t, i) => ratio(t, predSum[i]!));
  const rs = tp.map((t, i) => ratio(t, trueSum[i]!));
  const fs = ps.map((p, i) => fScore(p, rs[i]!));
  const weights = average === 'weighted' ? trueSum : labels.map(() => 1);
  const total = weights.reduce((s, v) => s + v, 0);
  const mean = (xs: number[]): number => xs.reduce((s, x, i) => s + x * weights[i]!, 0) / total;
  return { precision: mean(ps), recall: mean(rs), f1: mean(fs) };
}
