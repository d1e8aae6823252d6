// Cohen's kappa for two raters, as sklearn.metrics.cohen_kappa_score.
import { confusionMatrix } from '../metrics/confusion-matrix.js';
import { checkPair, type Label } from '../metrics/labels.js';

export interface CohenKappaOptions {
  /**
   * Disagreement weights by distance between category positions i and j: 'linear' |i - j|,
   * 'quadratic' (i - j)^2; default unweighted (0 on the diagonal, 1 elsewhere).
   */
  weights?: 'linear' | 'quadratic';
  /** Categories in order (the order matters for weights); default the sorted labels found. */
  labels?: readonly Label[];
}

/**
 * κ = 1 - Σ w·observed / Σ w·expected, expected from the two raters' marginals. Throws
 * RangeError when expected disagreement is 0 (both raters use one and the same category
 * throughout), where κ is undefined and scikit-learn returns NaN.
 */
export function cohenKappa(
  a: readonly Label[],
  b: readonly Label[],
  options: CohenKappaOptions = {},
): number {
  checkPair(a, b, ['cohenKappa: a', 'cohenKappa: b']);
  const { weights } = options;
  if (weights !== undefined && weights !== 'linear' && weights !== 'quadratic') {
    throw new RangeError(`cohenKappa: unknown weights '${String(weights)}'`);
  }
  const { matrix } = confusionMatrix(a, b, options.labels ? { labels: options.labels } : {});
  const k = matrix.length;
  const rowSums = matrix.map((row) => row.reduce((s, v) => s + v, 0));
  const colSums = matrix[0]!.map((_, j) => matrix.reduce((s, row) => s + row[j]!, 0));
  const total = rowSums.reduce((s, v) => s + v, 0);
  const w = (i: number, j: number): number => {
    if (weights === 'linear') return Math.abs(i - j);
    if (weights === 'quadratic') return (i - j) ** 2;
    return i === j ? 0 : 1;
  };
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      observed += w(i, j) * matrix[i]![j]!;
      expected += (w(i, j) * colSums[i]! * rowSums[j]!) / total;
    }
  }
  if (expected === 0) {
    throw new RangeError('cohenKappa: expected disagreement is 0 (a single category), so kappa is undefined');
  }
  return 1 - observed / expected;
}
