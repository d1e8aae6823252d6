// Confusion matrix, as sklearn.metrics.confusion_matrix: rows are true labels, columns predicted.
import { checkLabelList, checkPair, type Label, labelIndex, uniqueLabels } from './labels.js';

export interface ConfusionMatrixOptions {
  /**
   * Row/column order. Default: the sorted labels found in truth and pred. Pairs whose truth or
   * prediction is not listed are left out, as scikit-learn does; at least one listed label must
   * occur in truth.
   */
  labels?: readonly Label[];
}

export interface ConfusionMatrix {
  labels: Label[];
  /** matrix[i][j]: count of items with truth labels[i] predicted as labels[j]. */
  matrix: number[][];
}

export function confusionMatrix(
  truth: readonly Label[],
  pred: readonly Label[],
  options: ConfusionMatrixOptions = {},
): ConfusionMatrix {
  checkPair(truth, pred, ['confusionMatrix: truth', 'confusionMatrix: pred']);
  const found = uniqueLabels(truth, pred);
  let labels: Label[];
  if (options.labels) {
    checkLabelList(options.labels, 'confusionMatrix: labels');
    labels = [...options.labels];
    if (labels.length > 0 && found.length > 0 && typeof labels[0] !== typeof found[0]) {
      throw new TypeError('confusionMatrix: labels mix numbers and strings');
    }
    const truthSet = new Set(truth);
    if (!labels.some((l) => truthSet.has(l))) {
      throw new RangeError('confusionMatrix: at least one of labels must occur in truth');
    }
  } else {
    labels = found;
  }
  const index = labelIndex(labels);
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const r = index.get(truth[i]!);
    const c = index.get(pred[i]!);
    if (r !== undefined && c !== undefined) matrix[r]![c]! += 1;
  }
  return { labels, matrix };
}
