import type { EvalResult, EvalSliceResult, FairnessResult, SignificanceResult } from '@plumb/sdk';
import {
  accuracy,
  brierScore,
  demographicParityDifference,
  equalizedOddsDifference,
  expectedCalibrationError,
  logLoss,
  mae,
  mcnemar,
  pairedBootstrap,
  precisionRecallF1,
  r2,
  rmse,
  rocAuc,
} from '@plumb/stats';
import type { Collected, ModelAnswers } from './eval-runner.js';
import type { EvalSuiteSpec, FairnessSpec, SignificanceSpec } from './eval-suite.js';
import { metricInfo } from './metric-catalog.js';

type Scores = { values: Record<string, number | null>; notes: Record<string, string> };

/** Everything of the result but the batch size and timings, from what the runner kept. */
export function scoreCollected(
  spec: EvalSuiteSpec,
  c: Collected,
): Pick<EvalResult, 'task' | 'metrics' | 'slices' | 'skippedRows' | 'fairness' | 'significance'> {
  const overall = range(0, c.dataRows);
  const scopes: { name: string; kind: EvalSliceResult['kind']; rows: Int32Array }[] = [
    { name: 'overall', kind: 'overall', rows: overall },
    ...spec.slices.map((s) => ({ name: s.name, kind: 'slice' as const, rows: c.slices.get(s.name)! })),
    ...c.redTeam.map((r) => ({
      name: `red_team:${r.ref}`,
      kind: 'red_team' as const,
      rows: range(r.start, r.end),
    })),
  ];
  const [candidate, baseline] = c.answers;
  const slices = scopes.map((scope): EvalSliceResult => {
    const cand = scoreRows(spec, c, candidate!, scope.rows);
    const base = baseline ? scoreRows(spec, c, baseline, scope.rows) : null;
    const notes = { ...cand.notes };
    for (const [m, note] of Object.entries(base?.notes ?? {})) notes[m] ??= `baseline: ${note}`;
    return {
      name: scope.name,
      kind: scope.kind,
      rows: scope.rows.length,
      candidate: cand.values,
      baseline: base?.values ?? null,
      notes,
    };
  });
  return {
    task: spec.task,
    metrics: spec.metrics,
    slices,
    skippedRows: c.skipped,
    fairness: spec.gate.fairness.map((f) => fairnessOf(f, c, overall)),
    significance: spec.gate.significance ? significanceOf(spec.gate.significance, c, overall) : null,
  };
}

/** Each metric of the suite on the given rows; a metric undefined there is null with a note. */
export function scoreRows(spec: EvalSuiteSpec, c: Collected, a: ModelAnswers, rows: Int32Array): Scores {
  const values: Record<string, number | null> = {};
  const notes: Record<string, string> = {};
  // One view per slice and model: the gathered arrays are shared by all of its metrics.
  const view = new RowsView(c, a, rows);
  for (const m of spec.metrics) {
    if (rows.length === 0) {
      values[m] = null;
      notes[m] = 'no rows';
      continue;
    }
    try {
      values[m] = metricOn(m, view);
    } catch (error) {
      values[m] = null;
      notes[m] = error instanceof Error ? error.message : String(error);
    }
  }
  return { values, notes };
}

/** One model's answers on a list of rows (repeats allowed, as in a resample), gathered on demand. */
class RowsView {
  private cache = new Map<string, number[]>();

  constructor(
    readonly c: Collected,
    readonly a: ModelAnswers,
    readonly rows: ArrayLike<number>,
  ) {}

  private gather(key: string, value: (row: number) => number): number[] {
    let out = this.cache.get(key);
    if (!out) {
      out = Array.from(this.rows, value);
      this.cache.set(key, out);
    }
    return out;
  }

  get truth() {
    return this.gather('truth', (i) => this.c.truthCodes[i]!);
  }
  get pred() {
    return this.gather('pred', (i) => this.a.codes[i]!);
  }
  get truth01() {
    const pos = this.c.positiveCode ?? -1;
    return this.gather('truth01', (i) => (this.c.truthCodes[i] === pos ? 1 : 0));
  }
  get pred01() {
    const pos = this.c.positiveCode ?? -1;
    return this.gather('pred01', (i) => (this.a.codes[i] === pos ? 1 : 0));
  }
  /** Float32 softmax outputs can overshoot 1 by an ulp; the metrics insist on [0, 1]. */
  get prob() {
    return this.gather('prob', (i) => Math.min(1, Math.max(0, this.a.positive[i]!)));
  }
  get truthValues() {
    return this.gather('truthValues', (i) => this.c.truthValues[i]!);
  }
  get predValues() {
    return this.gather('predValues', (i) => this.a.values[i]!);
  }
}

function metricOn(metric: string, v: RowsView): number {
  switch (metric) {
    case 'mae':
      return mae(v.truthValues, v.predValues);
    case 'rmse':
      return rmse(v.truthValues, v.predValues);
    case 'r2':
      return r2(v.truthValues, v.predValues);
    case 'accuracy':
      return accuracy(v.truth, v.pred);
    case 'precision':
    case 'recall':
    case 'f1':
      return precisionRecallF1(v.truth01, v.pred01, { average: 'binary', positiveLabel: 1 })[metric];
    case 'roc_auc':
      return rocAuc(v.truth01, v.prob);
    case 'brier_score':
      return brierScore(v.truth01, v.prob, { positiveLabel: 1 });
    case 'expected_calibration_error':
      return expectedCalibrationError(v.prob, v.truth01);
    case 'log_loss':
      return logLossOf(v);
  }
  const [kind, average] = metric.split('_') as [
    'precision' | 'recall' | 'f1',
    'macro' | 'micro' | 'weighted',
  ];
  return precisionRecallF1(v.truth, v.pred, { average })[kind];
}

function logLossOf(v: RowsView): number {
  const { c, a } = v;
  const classes = a.classCodes;
  const known = new Set(classes);
  const unknown = v.truth.find((t) => !known.has(t));
  if (unknown !== undefined) {
    throw new RangeError(`the label ${c.labels.names[unknown]} is not one of the model's classes`);
  }
  // logLoss takes columns in sorted label order; the model's are in its own class order.
  const order = classes.map((_, j) => j).sort((x, y) => classes[x]! - classes[y]!);
  const width = classes.length;
  const probs = Array.from(v.rows, (i) =>
    order.map((j) => Math.min(1, Math.max(0, a.probabilities[i * width + j]!))),
  );
  return logLoss(v.truth, probs, { labels: classes });
}

function fairnessOf(f: FairnessSpec, c: Collected, rows: Int32Array): FairnessResult {
  const groups = c.groups.get(f.groupColumn)!;
  const base = { groupColumn: f.groupColumn, metric: f.metric, max: f.max, groups: 0 };
  if (rows.length === 0) return { ...base, candidate: null, baseline: null, note: 'no rows' };
  const group = Array.from(rows, (i) => groups.codes[i]!);
  const pos = c.positiveCode!;
  const truth = Array.from(rows, (i) => (c.truthCodes[i] === pos ? 1 : 0));
  const gap = (a: ModelAnswers) => {
    const pred = Array.from(rows, (i) => (a.codes[i] === pos ? 1 : 0));
    return f.metric === 'demographic_parity'
      ? demographicParityDifference(pred, group, { positiveLabel: 1 })
      : equalizedOddsDifference(truth, pred, group, { positiveLabel: 1 });
  };
  return {
    ...base,
    groups: new Set(group).size,
    candidate: gap(c.answers[0]!),
    baseline: c.answers[1] ? gap(c.answers[1]) : null,
    note: null,
  };
}

function significanceOf(s: SignificanceSpec, c: Collected, rows: Int32Array): SignificanceResult {
  const empty: SignificanceResult = {
    test: s.test,
    metric: s.metric,
    alpha: s.alpha,
    delta: null,
    pValue: null,
    table: null,
    low: null,
    high: null,
    seed: s.test === 'paired_bootstrap' ? s.seed : null,
    iterations: s.test === 'paired_bootstrap' ? s.iterations : null,
    verdict: 'not_computed',
    note: null,
  };
  const [candidate, baseline] = c.answers;
  if (!baseline) return { ...empty, note: 'no baseline to compare with' };
  if (rows.length === 0) return { ...empty, note: 'no rows' };

  if (s.test === 'mcnemar') {
    let both = 0;
    let onlyBaseline = 0;
    let onlyCandidate = 0;
    let neither = 0;
    for (const i of rows) {
      const t = c.truthCodes[i];
      const cand = candidate!.codes[i] === t;
      const base = baseline.codes[i] === t;
      if (cand && base) both++;
      else if (base) onlyBaseline++;
      else if (cand) onlyCandidate++;
      else neither++;
    }
    const table = [
      [both, onlyBaseline],
      [onlyCandidate, neither],
    ];
    const { pValue } = mcnemar(table);
    const delta = (onlyCandidate - onlyBaseline) / rows.length;
    const verdict =
      pValue < s.alpha && delta !== 0 ? (delta > 0 ? 'better' : 'worse') : 'no_significant_difference';
    return { ...empty, delta, pValue, table, verdict };
  }

  // Predictions are passed as row numbers, the candidate's offset by n, so one metric function
  // scores either model on whatever rows a resample drew.
  const n = c.rows;
  const score = (_truth: number[], encoded: number[]) => {
    const answers = encoded[0]! >= n ? candidate! : baseline;
    return metricOn(
      s.metric,
      new RowsView(
        c,
        answers,
        encoded.map((e) => e % n),
      ),
    );
  };
  const index = Array.from(rows);
  try {
    const result = pairedBootstrap(
      score,
      index,
      index,
      index.map((i) => i + n),
      { iterations: s.iterations, seed: s.seed, confidence: 1 - s.alpha },
    );
    const higher = metricInfo(s.metric).higherIsBetter;
    const above = result.low > 0;
    const below = result.high < 0;
    const verdict = above || below ? (above === higher ? 'better' : 'worse') : 'no_significant_difference';
    return { ...empty, delta: result.delta, low: result.low, high: result.high, seed: result.seed, verdict };
  } catch (error) {
    return {
      ...empty,
      note: `could not be computed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(Math.max(0, end - start));
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}
