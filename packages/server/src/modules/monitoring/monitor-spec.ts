import type { SketchItem } from '@plumb/stats';
import type { BinSpec } from './feature-window.js';

export type DriftTest = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';
export type Verdict = 'drift' | 'no_drift' | 'indeterminate';
export type FeatureKind = 'numeric' | 'categorical';

/** p-value tests drift when the p-value is at most (ks) or below (the others) the threshold. */
export const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set(['ks', 'chisquare', 'z']);

export const DEFAULT_THRESHOLDS: Record<DriftTest, number> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

/** What a monitor keeps of its reference for one feature, frozen at creation. */
export interface FeatureReference {
  feature: string;
  /** The reference column it was read from. */
  column: string;
  kind: FeatureKind;
  /** Non-null values. */
  count: number;
  nulls: number;
  /** Distinct non-null values, exact. */
  distinct: number;
  /** Exact counts of each value, when there are at most MAX_CATEGORIES; sorted by value. */
  valueCounts: [SketchItem, number][] | null;
  /** Every numeric value, sorted, when there are at most EXACT_REFERENCE_VALUES. */
  values: number[] | null;
  /** The reference's ColumnProfile (k = 400), base64, for the numeric CDF when `values` is null. */
  profile: string;
  mean: number | null;
  /** Population standard deviation (numpy's np.std), as Evidently normalizes Wasserstein by. */
  std: number | null;
  min: number | null;
  max: number | null;
  /** Frozen bins of the binned tests, and the reference's exact counts in them. */
  bins: BinSpec | null;
  binCounts: number[] | null;
}

export interface FeatureTest {
  feature: string;
  test: DriftTest;
  threshold: number;
  /** The test was chosen by the defaults (not overridden). */
  chosen: boolean;
}

export interface MonitorSpec {
  features: FeatureTest[];
  /** Drift tests' share of drifted features at or above which the dataset drifts. */
  datasetShare: number;
}
