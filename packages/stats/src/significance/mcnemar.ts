// McNemar's test for paired binary outcomes, as statsmodels.stats.contingency_tables.mcnemar.
import { binomCdfHalf, chi2Sf } from '../drift/distributions.js';

export interface McNemarOptions {
  /** Exact binomial test on the discordant pairs (default true); otherwise chi-square. */
  exact?: boolean;
  /** Continuity correction |b - c| - 1 for the chi-square version (default true). */
  correction?: boolean;
}

export interface McNemarResult {
  /** exact: min(b, c); otherwise (|b - c| - correction)^2 / (b + c). */
  statistic: number;
  pValue: number;
}

/**
 * `table` is 2x2: [[both right, A right / B wrong], [A wrong / B right, both wrong]] (any
 * paired 2x2 layout works; only the off-diagonal counts b = table[0][1] and c = table[1][0]
 * matter). The exact p-value is min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2).
 * As in statsmodels the corrected statistic is not clipped at 0 (b = c gives 1 / (b + c)).
 * With no discordant pairs the exact test gives statistic 0 and p-value 1, while the chi-square
 * version is undefined (statsmodels divides by zero) and throws RangeError. Counts must be
 * non-negative integers.
 */
export function mcnemar(table: readonly (readonly number[])[], options: McNemarOptions = {}): McNemarResult {
  if (
    !Array.isArray(table as unknown) ||
    table.length !== 2 ||
    !table.every((row) => Array.isArray(row as unknown) && row.length === 2)
  ) {
    throw new TypeError('mcnemar: table must be 2x2');
  }
  for (const [i, row] of table.entries()) {
    for (const [j, v] of row.entries()) {
      if (typeof v !== 'number') throw new TypeError(`mcnemar: table[${i}][${j}] is not a number`);
      if (!Number.isInteger(v) || v < 0)
        throw new RangeError(`mcnemar: table[${i}][${j}] must be an integer >= 0`);
    }
  }
  const b = table[0]![1]!;
  const c = table[1]![0]!;
  if (options.exact ?? true) {
    const statistic = Math.min(b, c);
    return { statistic, pValue: Math.min(1, 2 * binomCdfHalf(statistic, b + c)) };
  }
  if (b + c === 0) {
    throw new RangeError('mcnemar: no discordant pairs; the chi-square version is undefined (use exact)');
  }
  const corr = (options.correction ?? true) ? 1 : 0;
  const statistic = (Math.abs(b - c) - corr) ** 2 / (b + c);
  return { statistic, pValue: chi2Sf(statistic, 1) };
}
