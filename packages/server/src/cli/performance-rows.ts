import type { PerformanceWindow } from '@plumb/sdk';

/** A figure to three decimals (or `digits`), `-` when it is unknown. */
export const fixed = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? '-' : v.toFixed(digits);

/**
 * One table row per performance window, realised next to estimated, for `plumb monitor
 * performance` and `plumb monitor status`; each picks its columns.
 */
export function performanceRows(series: PerformanceWindow[]) {
  return series.map((w) => ({
    window: w.windowStart,
    version: w.modelVersion,
    segment: w.segment,
    predictions: w.traffic?.predictions ?? null,
    labelled: w.labelled,
    accuracy: fixed(w.realised.accuracy),
    'est.accuracy': fixed(w.estimated?.accuracy),
    f1: fixed(w.realised.f1),
    'est.f1': fixed(w.estimated?.f1),
    auc: fixed(w.realised.rocAuc),
    mae: fixed(w.realised.mae),
    rmse: fixed(w.realised.rmse),
    p95ms: fixed(w.traffic?.latencyP95Ms, 1),
    errors: fixed(w.traffic?.errorRate),
    costUsd: fixed(w.traffic?.costUsd, 4),
  }));
}
