import type { EstimatedPerformance, RealisedPerformance, TrafficFigures } from '@plumb/sdk';
import {
  accuracy,
  estimateBinaryPerformance,
  expectedCalibrationError,
  type IsotonicRegression,
  mae,
  precisionRecallF1,
  rmse,
  rocAuc,
} from '@plumb/stats';
import type { OutcomeRow, ReferenceRow } from './performance.repo.js';
import type { PerformanceTrafficTable } from './performance.tables.js';
import { decodeSketch, SCORE_BINS, type ScoreCounts } from './traffic-fold.js';

const EMPTY: RealisedPerformance = {
  accuracy: null,
  precision: null,
  recall: null,
  f1: null,
  rocAuc: null,
  calibrationError: null,
  mae: null,
  rmse: null,
};

const isProbability = (s: number | null): s is number => s !== null && s >= 0 && s <= 1;

/**
 * Metrics of labelled predictions. Classifiers: accuracy; precision, recall and F1 of the positive
 * class when there are at most two classes, else their macro averages; ROC AUC and expected
 * calibration error (10 bins) of the score as the positive class's probability, when both
 * classes were seen. Regressors (a score and no label): MAE and RMSE of the score.
 */
export function realisedMetrics(rows: readonly OutcomeRow[], positive: string | null): RealisedPerformance {
  const out = { ...EMPTY };
  const cls = rows.filter((r) => r.actual_label !== null && r.predicted_label !== null);
  if (cls.length > 0) {
    const truth = cls.map((r) => r.actual_label!);
    const pred = cls.map((r) => r.predicted_label!);
    out.accuracy = accuracy(truth, pred);
    const classes = new Set([...truth, ...pred]);
    const binary = positive !== null && classes.size <= 2 && (classes.size < 2 || classes.has(positive));
    const prf = binary
      ? precisionRecallF1(truth, pred, { average: 'binary', positiveLabel: positive })
      : precisionRecallF1(truth, pred, { average: 'macro' });
    out.precision = prf.precision;
    out.recall = prf.recall;
    out.f1 = prf.f1;
    const scored = cls.filter((r) => isProbability(r.score));
    if (binary && scored.length > 0) {
      const y = scored.map((r) => (r.actual_label === positive ? 1 : 0));
      const scores = scored.map((r) => r.score!);
      out.calibrationError = expectedCalibrationError(scores, y);
      if (new Set(y).size === 2) out.rocAuc = rocAuc(y, scores);
    }
  }
  const reg = rows.filter((r) => r.actual_value !== null && r.score !== null && r.predicted_label === null);
  if (reg.length > 0) {
    const truth = reg.map((r) => r.actual_value!);
    const pred = reg.map((r) => r.score!);
    out.mae = mae(truth, pred);
    out.rmse = rmse(truth, pred);
  }
  return out;
}

/**
 * The positive class of a binary classifier: the predicted label with the highest mean score
 * (a binary model's score is its second class's probability), or the other class seen when even
 * that mean is below one half. Null when more than two classes occur.
 */
export function positiveClassOf(rows: readonly ReferenceRow[], counts: ScoreCounts): string | null {
  const sums = new Map<string, { s: number; n: number }>();
  const add = (label: string, s: number, n: number) => {
    const acc = sums.get(label) ?? { s: 0, n: 0 };
    acc.s += s;
    acc.n += n;
    sums.set(label, acc);
  };
  const classes = new Set<string>();
  for (const r of rows) {
    if (r.predicted_label !== null) classes.add(r.predicted_label);
    if (r.actual_label !== null) classes.add(r.actual_label);
    if (r.predicted_label !== null && isProbability(r.score)) add(r.predicted_label, r.score, 1);
  }
  for (const [label, bins] of Object.entries(counts)) {
    classes.add(label);
    for (const [bin, n] of Object.entries(bins)) add(label, n * ((Number(bin) + 0.5) / SCORE_BINS), n);
  }
  if (classes.size === 0 || classes.size > 2 || sums.size === 0) return null;
  const [top] = [...sums].sort((a, b) => b[1].s / b[1].n - a[1].s / a[1].n || a[0].localeCompare(b[0]));
  const [label, { s, n }] = top!;
  if (s / n >= 0.5) return label;
  return [...classes].find((c) => c !== label) ?? null;
}

/** CBPE over a window's predictions counted by predicted label and score bin. */
export function estimatedMetrics(
  counts: ScoreCounts,
  positive: string | null,
  calibrator: IsotonicRegression | null,
): EstimatedPerformance | null {
  if (positive === null) return null;
  const p: number[] = [];
  const pred: number[] = [];
  const w: number[] = [];
  for (const [label, bins] of Object.entries(counts)) {
    for (const [bin, n] of Object.entries(bins)) {
      const centre = (Number(bin) + 0.5) / SCORE_BINS;
      p.push(Math.min(1, Math.max(0, calibrator ? calibrator.predict(centre) : centre)));
      pred.push(label === positive ? 1 : 0);
      w.push(n);
    }
  }
  if (p.length === 0) return null;
  const e = estimateBinaryPerformance(p, pred, w);
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    accuracy: finite(e.accuracy),
    precision: finite(e.precision),
    recall: finite(e.recall),
    f1: finite(e.f1),
  };
}

export function trafficFigures(row: PerformanceTrafficTable): TrafficFigures {
  const sketch = decodeSketch(row.latency);
  const q = (x: number) => (sketch && !sketch.isEmpty ? sketch.quantile(x) : null);
  const rate = (k: number) => (row.predictions === 0 ? null : k / row.predictions);
  return {
    predictions: row.predictions,
    errorRate: rate(row.errors),
    fallbackRate: rate(row.fallbacks),
    latencyP50Ms: q(0.5),
    latencyP95Ms: q(0.95),
    latencyP99Ms: q(0.99),
    costUsd: row.cost_usd,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
  };
}
