import { ColumnProfile } from '@plumb/stats';
import { cdfOfSorted, profileCdf, type SampleData, valuesData, windowData } from './current-data.js';
import {
  chiSquareTest,
  jensenShannonTest,
  judge,
  ksTest,
  psiTest,
  type ReferenceSide,
  type TestOutcome,
  wassersteinTest,
  zTest,
} from './drift-tests.js';
import type { FeatureWindow } from './feature-window.js';
import type { DriftTest, FeatureReference, FeatureTest, Verdict } from './monitor-spec.js';

export interface FeatureDrift {
  feature: string;
  test: DriftTest;
  statistic: number;
  threshold: number;
  drifted: boolean;
  verdict: Verdict;
  /** The interval the exact statistic lies in, given the sketches' error bounds. */
  low: number;
  high: number;
  /** No estimate went into the statistic. */
  exact: boolean;
  /** Non-null current values and their share of missing values. */
  count: number;
  nullFraction: number;
  referenceCount: number;
}

export interface DriftSummary {
  features: FeatureDrift[];
  shareDrifted: number;
  datasetDrifted: boolean;
}

/** The reference side of every test, built once per monitor. */
export function referenceSide(ref: FeatureReference): ReferenceSide {
  const cdf = ref.values
    ? cdfOfSorted(ref.values)
    : ref.kind === 'numeric'
      ? profileCdf(ColumnProfile.deserialize(Buffer.from(ref.profile, 'base64')))
      : null;
  return { cdf, count: ref.count, mean: ref.mean, std: ref.std, binCounts: ref.binCounts };
}

export function runTest(
  test: DriftTest,
  ref: FeatureReference,
  side: ReferenceSide,
  cur: SampleData,
): TestOutcome | null {
  if (cur.count === 0) return null;
  const bins = ref.bins;
  switch (test) {
    case 'ks':
      return ksTest(side, cur);
    case 'wasserstein':
      return wassersteinTest(side, cur);
    case 'chisquare':
      return bins ? chiSquareTest(side, cur, bins) : null;
    case 'z':
      return bins ? zTest(side, cur, bins) : null;
    case 'jensenshannon':
      return bins ? jensenShannonTest(side, cur, bins) : null;
    case 'psi':
      return bins ? psiTest(side, cur, bins) : null;
  }
}

export interface MonitorModel {
  tests: FeatureTest[];
  refs: Map<string, FeatureReference>;
  sides: Map<string, ReferenceSide>;
  datasetShare: number;
}

/**
 * Every feature's verdict for merged current windows; `exact` runs the same tests on the merged
 * reservoir samples instead (exact statistics of a uniform sample, to check the estimates).
 */
export function driftOf(
  model: MonitorModel,
  current: Map<string, FeatureWindow>,
  exact = false,
): DriftSummary {
  const features: FeatureDrift[] = [];
  for (const t of model.tests) {
    const ref = model.refs.get(t.feature);
    const side = model.sides.get(t.feature);
    const window = current.get(t.feature);
    if (!ref || !side || !window) continue;
    const data = exact ? valuesData(window.sample) : windowData(window);
    const outcome = runTest(t.test, ref, side, data);
    if (!outcome) continue;
    const j = judge(t.test, t.threshold, outcome);
    const p = window.profile;
    features.push({
      feature: t.feature,
      test: t.test,
      statistic: j.statistic,
      threshold: t.threshold,
      drifted: j.drifted,
      verdict: j.verdict,
      low: j.low,
      high: j.high,
      exact: j.exact,
      count: data.count,
      nullFraction: p.count === 0 ? 0 : p.nulls / p.count,
      referenceCount: ref.count,
    });
  }
  const drifted = features.filter((f) => f.drifted).length;
  const shareDrifted = features.length === 0 ? 0 : drifted / features.length;
  return {
    features,
    shareDrifted,
    datasetDrifted: features.length > 0 && shareDrifted >= model.datasetShare,
  };
}
