// Pearson's chi-square test of independence on a contingency table, as
// scipy.stats.chi2_contingency (lambda_ = None, i.e. Pearson's statistic).
import { chi2Sf } from './distributions.js';

export interface Chi2ContingencyOptions {
  /** Yates' continuity correction, applied (as scipy does) only when dof = 1. Default false. */
  correction?: boolean;
}

export interface Chi2ContingencyResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Chi-square test of independence of the rows and columns of `table` (counts, rows x columns).
 *
 * Rows and columns whose counts are all zero are dropped first: scipy refuses such tables (a
 * zero expected frequency), but a category seen in neither sample carries no information, and
 * drift monitoring meets them constantly. The degrees of freedom are those of the reduced
 * table. A table reduced to a single row or column has dof = 0 and gives statistic 0, p-value 1,
 * as scipy does for dof = 0.
 *
 * Throws TypeError for a ragged or non-numeric table and RangeError for negative, non-finite or
 * all-zero counts.
 */
export function chi2Contingency(
  table: readonly (readonly number[])[],
  options: Chi2ContingencyOptions = {},
): Chi2ContingencyResult {
  if (!Array.isArray(table as unknown) || table.length === 0) {
    throw new TypeError('chi2Contingency: table must be a non-empty array of rows');
  }
  const cols = table[0]?.length ?? 0;
  for (const [i, row] of table.entries()) {
    if (!Array.isArray(row as unknown) || row.length !== cols || cols === 0) {
      throw new TypeError(`chi2Contingency: row ${i} must be an array of ${cols || 'at least one'} counts`);
    }
    for (const [j, v] of row.entries()) {
      if (typeof v !== 'number') throw new TypeError(`chi2Contingency: table[${i}][${j}] is not a number`);
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new RangeError(`chi2Contingency: table[${i}][${j}] must be a finite count >= 0`);
      }
    }
  }
  const rowSums = table.map((row) => row.reduce((s, v) => s + v, 0));
  const colSums = Array.from({ length: cols }, (_, j) => table.reduce((s, row) => s + row[j]!, 0));
  const keepRows = rowSums.flatMap((s, i) => (s > 0 ? [i] : []));
  const keepCols = colSums.flatMap((s, j) => (s > 0 ? [j] : []));
  if (keepRows.length === 0) throw new RangeError('chi2Contingency: table has no observations');

  const dof = (keepRows.length - 1) * (keepCols.length - 1);
  if (dof === 0) return { statistic: 0, pValue: 1, dof };
  let total = 0;
  for (const i of keepRows) total += rowSums[i]!;
  const yates = dof === 1 && options.correction === true;
  let statistic = 0;
  for (const i of keepRows) {
    for (const j of keepCols) {
      const expected = (rowSums[i]! * colSums[j]!) / total;
      let observed = table[i]![j]!;
      if (yates) {
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic, pValue: chi2Sf(statistic, dof), dof };
}
