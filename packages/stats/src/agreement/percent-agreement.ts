// Observed agreement, the share that chance-corrected coefficients start from: p_o of Cohen's
// kappa for two raters, P-bar of Fleiss' kappa for many.
import { checkLabels, checkPair, type Label } from '../metrics/labels.js';

/** Share of items on which two raters gave the same label (Cohen's p_o). */
export function percentAgreement(a: readonly Label[], b: readonly Label[]): number {
  checkPair(a, b, ['percentAgreement: a', 'percentAgreement: b']);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same += 1;
  return same / a.length;
}

/**
 * Mean over subjects of the share of agreeing rater pairs within the subject, Fleiss' P-bar:
 * P_i = (Σ_j n_ij² - n_i) / (n_i (n_i - 1)). Subjects may have different numbers of ratings;
 * those with fewer than two cannot agree or disagree and are left out. Throws RangeError when
 * no subject has two ratings.
 */
export function pairwiseAgreement(ratings: readonly (readonly Label[])[]): number {
  if (!Array.isArray(ratings as unknown)) {
    throw new TypeError('pairwiseAgreement: ratings must be an array of subjects');
  }
  let sum = 0;
  let subjects = 0;
  for (const [i, row] of ratings.entries()) {
    checkLabels(row, `pairwiseAgreement: ratings[${i}]`);
    const n = row.length;
    if (n < 2) continue;
    const counts = new Map<Label, number>();
    for (const v of row) counts.set(v, (counts.get(v) ?? 0) + 1);
    let sq = 0;
    for (const c of counts.values()) sq += c * c;
    sum += (sq - n) / (n * (n - 1));
    subjects += 1;
  }
  if (subjects === 0) throw new RangeError('pairwiseAgreement: no subject has two or more ratings');
  return sum / subjects;
}
