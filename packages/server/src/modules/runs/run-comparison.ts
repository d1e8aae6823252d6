import type { RunComparison, RunMetricPoint, RunParamValue, RunSummary } from '@plumb/sdk';

/**
 * Lines runs up side by side: one row per parameter and per metric key (sorted), one column per
 * run in the order given. A row differs when any two runs disagree, a missing value included.
 */
export function compareRuns(runs: { summary: RunSummary; metrics: RunMetricPoint[] }[]): RunComparison {
  const paramKeys = sortedUnion(runs.map((r) => Object.keys(r.summary.params)));
  const metricKeys = sortedUnion(runs.map((r) => r.metrics.map((m) => m.key)));
  const metricMaps = runs.map((r) => new Map(r.metrics.map((m) => [m.key, m])));
  return {
    runs: runs.map((r) => r.summary),
    params: paramKeys.map((key) => {
      const values = runs.map((r) => (Object.hasOwn(r.summary.params, key) ? r.summary.params[key]! : null));
      return { key, values, differs: !allEqual(values) };
    }),
    metrics: metricKeys.map((key) => {
      const values = metricMaps.map((m) => {
        const point = m.get(key);
        return point ? { value: point.value, step: point.step } : null;
      });
      return { key, values, differs: !allEqual(values.map((v) => v?.value ?? null)) };
    }),
  };
}

function sortedUnion(lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort();
}

// Values are compared with their type: the parameter 1 and the parameter "1" differ.
function allEqual(values: (RunParamValue | null)[]): boolean {
  return values.every((v) => v === values[0]);
}
