import type { DriftTest, FeatureReference } from './monitor-spec.js';

/** Evidently's switch from the small-reference tests to the distances. */
export const SMALL_REFERENCE = 1_000;

/**
 * The drift test Evidently picks by default for a column, from its reference alone: up to 1,000
 * reference values, numeric columns with more than 5 distinct values get KS, 3–5 chi-square,
 * at most 2 the z-test, and categorical ones chi-square (z-test with at most 2 values); above
 * 1,000, numeric columns with more than 5 distinct values get the normalized Wasserstein
 * distance and everything else Jensen–Shannon.
 */
export function defaultTest(ref: FeatureReference): DriftTest {
  const distinct = ref.distinct;
  if (ref.count <= SMALL_REFERENCE) {
    if (ref.kind === 'numeric' && distinct > 5) return 'ks';
    return distinct > 2 ? 'chisquare' : 'z';
  }
  return ref.kind === 'numeric' && distinct > 5 ? 'wasserstein' : 'jensenshannon';
}
