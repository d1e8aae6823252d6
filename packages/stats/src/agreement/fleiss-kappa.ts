// Fleiss' kappa for a fixed number of raters per subject, as
// statsmodels.stats.inter_rater.fleiss_kappa(method='fleiss') and aggregate_raters.
import { checkLabels, compareLabels, type Label } from '../metrics/labels.js';

/**
 * κ from a subjects x categories table of counts (table[i][j]: raters who put subject i in
 * category j). Every subject must have the same number n >= 2 of ratings. Throws RangeError
 * when all ratings fall in one category (chance agreement 1, κ undefined; statsmodels gives
 * NaN), TypeError for a ragged table.
 */
export function fleissKappa(table: readonly (readonly number[])[]): number {
  if (!Array.isArray(table as unknown) || table.length === 0) {
    throw new TypeError('fleissKappa: table must be a non-empty array of rows');
  }
  const cats = table[0]?.length ?? 0;
  const raters: number[] = [];
  for (const [i, row] of table.entries()) {
    if (!Array.isArray(row as unknown) || row.length !== cats || cats === 0) {
      throw new TypeError(`fleissKappa: row ${i} must have ${cats || 'at least one'} counts`);
    }
    let s = 0;
    for (const [j, v] of row.entries()) {
      if (typeof v !== 'number') throw new TypeError(`fleissKappa: table[${i}][${j}] is not a number`);
      if (!Number.isInteger(v) || v < 0)
        throw new RangeError(`fleissKappa: table[${i}][${j}] must be an integer >= 0`);
      s += v;
    }
    raters.push(s);
  }
  const n = raters[0]!;
  if (raters.some((r) => r !== n)) {
    throw new RangeError('fleissKappa: every subject needs the same number of ratings');
  }
  if (n < 2) throw new RangeError('fleissKappa: needs at least two ratings per subject');
  const subjects = table.length;
  const total = subjects * n;
  let pMean = 0;
  const catTotals = new Array<number>(cats).fill(0);
  for (const row of table) {
    let sq = 0;
    row.forEach((v, j) => {
      sq += v * v;
      catTotals[j]! += v;
    });
    pMean += (sq - n) / (n * (n - 1));
  }
  pMean /= subjects;
  let pExp = 0;
  for (const t of catTotals) pExp += (t / total) ** 2;
  if (pExp === 1) {
    throw new RangeError('fleissKappa: all ratings are in one category, so kappa is undefined');
  }
  return (pMean - pExp) / (1 - pExp);
}

/**
 * κ from raw ratings, subjects x raters (ratings[i][r]: category rater r gave subject i), via
 * statsmodels' aggregate_raters: categories are the sorted distinct values.
 */
export function fleissKappaFromRatings(ratings: readonly (readonly Label[])[]): number {
  if (!Array.isArray(ratings as unknown) || ratings.length === 0) {
    throw new TypeError('fleissKappaFromRatings: ratings must be a non-empty array of subjects');
  }
  const seen = new Set<Label>();
  for (const [i, row] of ratings.entries()) {
    checkLabels(row, `fleissKappaFromRatings: ratings[${i}]`);
    if (row.length !== ratings[0]!.length) {
      throw new RangeError('fleissKappaFromRatings: every subject needs the same number of ratings');
    }
    for (const v of row) seen.add(v);
  }
  const categories = [...seen].sort(compareLabels);
  const index = new Map(categories.map((c, j) => [c, j]));
  const table = ratings.map((row) => {
    const counts = new Array<number>(categories.length).fill(0);
    for (const v of row) counts[index.get(v)!]! += 1;
    return counts;
  });
  return fleissKappa(table);
}
