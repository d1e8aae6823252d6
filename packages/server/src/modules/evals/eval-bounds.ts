import { PlumbError } from '../../core/errors.js';
import type { EvalSuiteSpec } from './eval-suite.js';

/**
 * Rows × resamples one paired bootstrap may cost. Each resample rescores every row for both
 * models, synchronously, in whatever thread runs the job: at about 4 × 10^6 row-resamples a
 * second, 2 × 10^8 is under a minute of one core. seattle-weather twice (2,922 rows) at 50,000
 * resamples is 1.46 × 10^8.
 */
export const MAX_BOOTSTRAP_ROW_RESAMPLES = 200_000_000;

/**
 * Refuses a suite whose paired bootstrap over these datasets would cost more than
 * MAX_BOOTSTRAP_ROW_RESAMPLES, naming the limit and the iterations that would fit. Checked when
 * the suite is stored and when a run starts, before any work is queued.
 */
export function checkBootstrapBound(
  spec: Pick<EvalSuiteSpec, 'name' | 'gate'>,
  datasets: { role: 'data' | 'red_team'; rowCount: number }[],
): void {
  const significance = spec.gate.significance;
  if (significance?.test !== 'paired_bootstrap') return;
  // The bootstrap resamples the rows of the suite's datasets; red-team sets are scored apart.
  const rows = datasets.filter((d) => d.role === 'data').reduce((n, d) => n + d.rowCount, 0);
  const cost = rows * significance.iterations;
  if (cost <= MAX_BOOTSTRAP_ROW_RESAMPLES) return;
  const fits = Math.floor(MAX_BOOTSTRAP_ROW_RESAMPLES / Math.max(rows, 1));
  throw new PlumbError(
    'invalid_argument',
    `suite ${spec.name}: a paired bootstrap of ${significance.iterations} iterations over ${rows} rows is ` +
      `${cost} row resamples, over the limit of ${MAX_BOOTSTRAP_ROW_RESAMPLES} (rows × iterations); ` +
      (fits >= 100 ? `use at most ${fits} iterations` : 'use fewer rows or McNemar'),
    { details: { rows, iterations: significance.iterations, limit: MAX_BOOTSTRAP_ROW_RESAMPLES } },
  );
}
