/** What the gate needs to know about each metric a suite may name. */
export interface MetricInfo {
  task: 'classification' | 'regression';
  /** Whether a larger value is better; regressions are measured in the worse direction. */
  higherIsBetter: boolean;
  /** Scored one-vs-rest on `positive_label`, which the suite must then give. */
  binary: boolean;
  /** Needs the model's class probabilities, not only its labels. */
  probabilities: boolean;
}

const classification = (higherIsBetter: boolean, binary: boolean, probabilities = false): MetricInfo => ({
  task: 'classification',
  higherIsBetter,
  binary,
  probabilities,
});
const regression = (higherIsBetter: boolean): MetricInfo => ({
  task: 'regression',
  higherIsBetter,
  binary: false,
  probabilities: false,
});

/**
 * Metric names a suite may use, each backed by a function of @plumb/stats. `precision`,
 * `recall` and `f1` score `positive_label` against every other class (scikit-learn's
 * average='binary' on the one-vs-rest labels); the `_macro`, `_micro` and `_weighted` forms
 * average over all classes. Probability metrics use the probability of `positive_label`
 * (roc_auc, brier_score, expected_calibration_error) or all classes (log_loss).
 */
export const METRICS: Record<string, MetricInfo> = {
  accuracy: classification(true, false),
  precision: classification(true, true),
  recall: classification(true, true),
  f1: classification(true, true),
  precision_macro: classification(true, false),
  recall_macro: classification(true, false),
  f1_macro: classification(true, false),
  precision_weighted: classification(true, false),
  recall_weighted: classification(true, false),
  f1_weighted: classification(true, false),
  f1_micro: classification(true, false),
  roc_auc: classification(true, true, true),
  log_loss: classification(false, false, true),
  brier_score: classification(false, true, true),
  expected_calibration_error: classification(false, true, true),
  mae: regression(false),
  rmse: regression(false),
  r2: regression(true),
};

export const METRIC_NAMES = Object.keys(METRICS);

export function metricInfo(name: string): MetricInfo {
  const info = METRICS[name];
  if (!info) throw new RangeError(`unknown metric ${name}`);
  return info;
}
