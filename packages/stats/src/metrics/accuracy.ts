// Fraction of exact matches, as sklearn.metrics.accuracy_score.
import { checkPair, type Label, uniqueLabels } from './labels.js';

/** Share of positions where truth and pred agree. Throws on empty or mismatched inputs. */
export function accuracy(truth: readonly Label[], pred: readonly Label[]): number {
  checkPair(truth, pred, ['accuracy: truth', 'accuracy: pred']);
  uniqueLabels(truth, pred);
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === pred[i]) hits++;
  return hits / truth.length;
}
