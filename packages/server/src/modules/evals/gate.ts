import type { EvalResult, EvalSliceResult, GateCheck, SignificanceResult } from '@plumb/sdk';
import type { EvalSuiteSpec, ThresholdSpec } from './eval-suite.js';
import { metricInfo } from './metric-catalog.js';

export interface GateOutcome {
  passed: boolean;
  /** One human-readable sentence per failed check. */
  reasons: string[];
  checks: GateCheck[];
}

// Metrics are sums of floats; a candidate exactly at a bound must not fail by an ulp.
const EPSILON = 1e-12;

/** Four decimals, trailing zeros dropped: 0.7100 → 0.71. */
export function formatNumber(x: number): string {
  return String(Number(x.toFixed(4)));
}

function formatP(p: number): string {
  return p > 0 && p < 0.0001 ? p.toExponential(1) : formatNumber(p);
}

/**
 * Applies a suite's gate to an evaluation's result. Every rule yields checks that pass, fail or
 * are skipped (no baseline, a metric undefined on both sides); the gate passes when no check
 * fails.
 *
 * Significance, when set, is tested on the overall rows (McNemar on right/wrong per row, or a
 * paired bootstrap of the metric's difference with the suite's seed) and decides as follows:
 * significantly better passes; significantly worse fails, even within max_regression; no
 * significant difference passes only if the candidate does not regress on the tested metric,
 * that is, is no worse than the baseline by more than max_regression for that metric (0, so not
 * worse at all, when max_regression does not name it). A test that cannot be computed fails.
 */
export function decideGate(spec: EvalSuiteSpec, result: EvalResult, hasBaseline: boolean): GateOutcome {
  const checks: GateCheck[] = [];
  const bySlice = new Map(result.slices.map((s) => [s.name, s]));
  const overall = bySlice.get('overall')!;

  for (const [metric, bound] of Object.entries(spec.gate.thresholds)) {
    for (const name of ['overall', ...bound.slices]) {
      checks.push(thresholdCheck(bySlice.get(name)!, metric, bound));
    }
  }
  for (const r of spec.redTeam) {
    const slice = bySlice.get(`red_team:${r.dataset}`)!;
    for (const [metric, bound] of Object.entries(r.thresholds))
      checks.push(thresholdCheck(slice, metric, bound));
  }
  for (const [metric, tolerance] of Object.entries(spec.gate.maxRegression)) {
    checks.push(regressionCheck('max_regression', overall, metric, tolerance, hasBaseline));
  }
  for (const [metric, tolerance] of Object.entries(spec.gate.maxSliceRegression)) {
    for (const slice of result.slices) {
      if (slice.kind === 'overall') continue;
      checks.push(regressionCheck('max_slice_regression', slice, metric, tolerance, hasBaseline));
    }
  }
  for (const f of result.fairness) {
    const label = `${f.metric === 'demographic_parity' ? 'demographic parity' : 'equalized odds'} difference across ${f.groupColumn}`;
    const check = { rule: 'fairness' as const, slice: 'overall', metric: f.metric };
    if (f.candidate === null) {
      checks.push({
        ...check,
        status: 'fail',
        message: `fairness: the ${label} could not be computed (${f.note})`,
      });
    } else if (f.candidate > f.max + EPSILON) {
      checks.push({
        ...check,
        status: 'fail',
        message: `fairness: the ${label} is ${formatNumber(f.candidate)}, above the maximum ${formatNumber(f.max)}`,
      });
    } else {
      checks.push({
        ...check,
        status: 'pass',
        message: `fairness: the ${label} is ${formatNumber(f.candidate)}, within the maximum ${formatNumber(f.max)}`,
      });
    }
  }
  if (result.significance) checks.push(significanceCheck(spec, result.significance, overall, hasBaseline));

  const reasons = checks.filter((c) => c.status === 'fail').map((c) => c.message);
  return { passed: reasons.length === 0, reasons, checks };
}

function where(slice: EvalSliceResult): string {
  return slice.kind === 'overall' ? 'overall' : `slice ${slice.name}`;
}

function boundText(b: ThresholdSpec): string {
  if (b.min !== undefined && b.max !== undefined) {
    return `the range [${formatNumber(b.min)}, ${formatNumber(b.max)}]`;
  }
  return b.min !== undefined ? `the minimum ${formatNumber(b.min)}` : `the maximum ${formatNumber(b.max!)}`;
}

function thresholdCheck(slice: EvalSliceResult, metric: string, bound: ThresholdSpec): GateCheck {
  const check = { rule: 'threshold' as const, slice: slice.name, metric };
  const value = slice.candidate[metric];
  if (value === null || value === undefined) {
    const why = slice.rows === 0 ? 'the slice has no rows' : slice.notes[metric];
    return {
      ...check,
      status: 'fail',
      message: `${where(slice)}: ${metric} is undefined${why ? ` (${why})` : ''}, so it cannot meet ${boundText(bound)}`,
    };
  }
  if (bound.min !== undefined && value < bound.min - EPSILON) {
    return {
      ...check,
      status: 'fail',
      message: `${where(slice)}: ${metric} ${formatNumber(value)} is below the minimum ${formatNumber(bound.min)}`,
    };
  }
  if (bound.max !== undefined && value > bound.max + EPSILON) {
    return {
      ...check,
      status: 'fail',
      message: `${where(slice)}: ${metric} ${formatNumber(value)} is above the maximum ${formatNumber(bound.max)}`,
    };
  }
  return {
    ...check,
    status: 'pass',
    message: `${where(slice)}: ${metric} ${formatNumber(value)} meets ${boundText(bound)}`,
  };
}

/** How much worse the candidate is, in the metric's bad direction (negative when better). */
function worseBy(metric: string, candidate: number, baseline: number): number {
  return metricInfo(metric).higherIsBetter ? baseline - candidate : candidate - baseline;
}

function regressionCheck(
  rule: 'max_regression' | 'max_slice_regression',
  slice: EvalSliceResult,
  metric: string,
  tolerance: number,
  hasBaseline: boolean,
): GateCheck {
  const check = { rule, slice: slice.name, metric };
  if (!hasBaseline || slice.baseline === null) {
    return { ...check, status: 'skip', message: `${where(slice)}: ${metric}: no baseline to compare with` };
  }
  const cand = slice.candidate[metric];
  const base = slice.baseline[metric];
  if (cand === null || cand === undefined || base === null || base === undefined) {
    return {
      ...check,
      status: 'skip',
      message: `${where(slice)}: ${metric} is undefined for ${cand == null ? 'the candidate' : 'the baseline'} (${slice.notes[metric] ?? 'no value'}); not compared`,
    };
  }
  const worse = worseBy(metric, cand, base);
  const direction = metricInfo(metric).higherIsBetter ? 'below' : 'above';
  if (worse > tolerance + EPSILON) {
    return {
      ...check,
      status: 'fail',
      message: `${where(slice)}: ${metric} ${formatNumber(cand)} is ${formatNumber(worse)} ${direction} the baseline's ${formatNumber(base)} (max regression ${formatNumber(tolerance)})`,
    };
  }
  return {
    ...check,
    status: 'pass',
    message: `${where(slice)}: ${metric} ${formatNumber(cand)} against the baseline's ${formatNumber(base)} (max regression ${formatNumber(tolerance)})`,
  };
}

function evidence(s: SignificanceResult): string {
  if (s.test === 'mcnemar') return `McNemar p = ${formatP(s.pValue!)}`;
  const confidence = Math.round((1 - s.alpha) * 1000) / 10;
  return `paired bootstrap ${confidence}% interval of the difference [${formatNumber(s.low!)}, ${formatNumber(s.high!)}], seed ${s.seed}`;
}

function significanceCheck(
  spec: EvalSuiteSpec,
  s: SignificanceResult,
  overall: EvalSliceResult,
  hasBaseline: boolean,
): GateCheck {
  const check = { rule: 'significance' as const, slice: 'overall', metric: s.metric };
  if (!hasBaseline) return { ...check, status: 'skip', message: 'significance: no baseline to compare with' };
  if (s.verdict === 'not_computed') {
    return {
      ...check,
      status: 'fail',
      message: `significance: ${s.test} on ${s.metric} ${s.note ?? 'could not be computed'}`,
    };
  }
  if (s.verdict === 'better') {
    return {
      ...check,
      status: 'pass',
      message: `significance: the candidate is significantly better than the baseline on ${s.metric} (${evidence(s)})`,
    };
  }
  if (s.verdict === 'worse') {
    return {
      ...check,
      status: 'fail',
      message: `significance: the candidate is significantly worse than the baseline on ${s.metric} (${evidence(s)}, alpha ${formatNumber(s.alpha)})`,
    };
  }
  const tolerance = spec.gate.maxRegression[s.metric] ?? 0;
  const cand = overall.candidate[s.metric];
  const base = overall.baseline?.[s.metric];
  if (cand == null || base == null) {
    return {
      ...check,
      status: 'fail',
      message: `significance: ${s.metric} is undefined overall, so no regression can be ruled out`,
    };
  }
  const worse = worseBy(s.metric, cand, base);
  if (worse > tolerance + EPSILON) {
    const direction = metricInfo(s.metric).higherIsBetter ? 'below' : 'above';
    return {
      ...check,
      status: 'fail',
      message: `significance: ${s.metric} ${formatNumber(cand)} is not significantly different from the baseline's ${formatNumber(base)} (${evidence(s)}), so it must not regress, but it is ${formatNumber(worse)} ${direction} it (max regression ${formatNumber(tolerance)})`,
    };
  }
  return {
    ...check,
    status: 'pass',
    message: `significance: ${s.metric} ${formatNumber(cand)} is not significantly different from the baseline's ${formatNumber(base)} (${evidence(s)}) and does not regress`,
  };
}
