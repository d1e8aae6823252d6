import type { FeatureDrift } from './monitor-drift.js';
import type { DriftTest, Verdict } from './monitor-spec.js';

const VERDICTS: Verdict[] = ['drift', 'no_drift', 'indeterminate'];
export type EncodedFeature = [
  string,
  DriftTest,
  number | null,
  number,
  number,
  number | null,
  number | null,
  0 | 1,
  number,
  number,
  number,
];

/**
 * Per-window results as arrays rather than objects: a year of hourly windows of 100 features is
 * 876,000 entries, and reading them back for a chart is mostly JSON parsing.
 */
export function encodeFeatures(features: FeatureDrift[]): string {
  const num = (x: number) => (Number.isFinite(x) ? x : null);
  return JSON.stringify(
    features.map(
      (f): EncodedFeature => [
        f.feature,
        f.test,
        num(f.statistic),
        f.threshold,
        VERDICTS.indexOf(f.verdict),
        num(f.low),
        num(f.high),
        f.exact ? 1 : 0,
        f.count,
        f.nullFraction,
        f.referenceCount,
      ],
    ),
  );
}

/** Back to FeatureDrift; an infinite statistic (stored as null) comes back as Infinity. */
export function decodeFeatures(text: string): FeatureDrift[] {
  const inf = (x: number | null) => (x === null ? Infinity : x);
  return (JSON.parse(text) as EncodedFeature[]).map((e) => {
    const verdict = VERDICTS[e[4]]!;
    return {
      feature: e[0],
      test: e[1],
      statistic: inf(e[2]),
      threshold: e[3],
      drifted: verdict === 'drift',
      verdict,
      low: inf(e[5]),
      high: inf(e[6]),
      exact: e[7] === 1,
      count: e[8],
      nullFraction: e[9],
      referenceCount: e[10],
    };
  });
}

/** Verdict codes of EncodedFeature[4]. */
export const DRIFT_CODE = 0;
export const INDETERMINATE_CODE = 2;

/**
 * What a chart reads of a window, as float64 triples (index of the feature in the monitor's
 * tests, statistic, verdict code): a year of hourly windows of 100 features reads in tens of
 * milliseconds, where parsing their JSON takes seconds. Infinite statistics stay infinite.
 */
export function encodeSeries(features: FeatureDrift[], order: readonly string[]): Buffer {
  const out = new Float64Array(features.length * 3);
  features.forEach((f, i) => {
    out[3 * i] = order.indexOf(f.feature);
    out[3 * i + 1] = f.statistic;
    out[3 * i + 2] = VERDICTS.indexOf(f.verdict);
  });
  return Buffer.from(out.buffer);
}

/** The triples of encodeSeries, over the stored bytes (copied when they are not 8-byte aligned). */
export function decodeSeries(bytes: Uint8Array): Float64Array {
  if (bytes.byteOffset % 8 === 0)
    return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return new Float64Array(Uint8Array.from(bytes).buffer);
}
