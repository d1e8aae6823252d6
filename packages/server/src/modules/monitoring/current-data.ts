import { ColumnProfile, type SketchItem } from '@plumb/stats';
import type { BinSpec, FeatureWindow } from './feature-window.js';
import { BinIndex } from './feature-window.js';

/**
 * Normalized rank error a compacted quantile sketch (k = 400) stays within, merged or not, as
 * the statistics core states; 0 while it has compacted nothing (it then holds every value).
 */
export const SKETCH_RANK_ERROR = 0.01;

/** A CDF as sorted distinct values with cumulative weights. */
export interface Cdf {
  values: ArrayLike<number>;
  cum: ArrayLike<number>;
  n: number;
  /** Bound on |estimated rank − true rank| / n. */
  error: number;
  /** The exact smallest and largest values: below and from them the CDF is exactly 0 and 1. */
  min: number;
  max: number;
}

/** Counts in frozen bins: the estimate and an interval holding the true count. */
export interface BinnedCounts {
  estimate: number[];
  low: number[];
  high: number[];
  total: number;
  exact: boolean;
}

/** One side of a test, from a merged window profile or from exact values. */
export interface SampleData {
  /** Non-null values. */
  count: number;
  numericCount: number;
  cdf(): Cdf | null;
  /** Exact over finite numbers. */
  mean: number | null;
  binned(spec: BinSpec): BinnedCounts;
}

export function cdfOfSorted(sorted: ArrayLike<number>): Cdf {
  const values: number[] = [];
  const cum: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (values.length > 0 && values[values.length - 1] === v) cum[cum.length - 1] = i + 1;
    else {
      values.push(v);
      cum.push(i + 1);
    }
  }
  return { values, cum, n: sorted.length, error: 0, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** The current side from stored profiles: exact bin counts when every window counted them. */
export function windowData(window: FeatureWindow): SampleData {
  const p = window.profile;
  return {
    count: p.numericCount + p.categoricalCount,
    numericCount: p.numericCount,
    mean: p.finiteCount > 0 && p.infiniteCount === 0 ? p.mean : null,
    cdf: () => profileCdf(p),
    binned: (spec) => {
      const exact = window.countsFor(spec.id);
      if (exact) return exactCounts(exact);
      return estimatedCounts(p, spec);
    },
  };
}

export function profileCdf(p: ColumnProfile): Cdf | null {
  const q = p.quantileSketch;
  if (!q) return null;
  const view = q.sortedView();
  return {
    values: view.values,
    cum: view.cum,
    n: q.count,
    error: q.retained === q.count ? 0 : SKETCH_RANK_ERROR,
    min: q.min,
    max: q.max,
  };
}

/** Exact data: the reservoir sample of the exact mode, or a test's raw values. */
export function valuesData(items: readonly SketchItem[]): SampleData {
  const numbers = items.filter((v): v is number => typeof v === 'number');
  const sorted = Float64Array.from(numbers).sort();
  const finite = numbers.filter(Number.isFinite);
  return {
    count: items.length,
    numericCount: numbers.length,
    mean:
      finite.length > 0 && finite.length === numbers.length
        ? finite.reduce((a, b) => a + b, 0) / finite.length
        : null,
    cdf: () => (sorted.length > 0 ? cdfOfSorted(sorted) : null),
    binned: (spec) => {
      const index = new BinIndex(spec);
      const counts = new Array<number>(index.size).fill(0);
      for (const v of items) counts[index.binOf(v)]!++;
      return exactCounts(counts);
    },
  };
}

export function exactCounts(counts: number[]): BinnedCounts {
  return {
    estimate: [...counts],
    low: [...counts],
    high: [...counts],
    total: counts.reduce((a, b) => a + b, 0),
    exact: true,
  };
}

/**
 * Bin counts from the sketches, for windows written before the bins existed: numbers from the
 * quantile sketch's ranks (each edge within the rank error, so a bin within twice it, and
 * exact while it compacted nothing), strings and booleans from the frequent items' bounds.
 */
function estimatedCounts(p: ColumnProfile, spec: BinSpec): BinnedCounts {
  const q = p.quantileSketch;
  const nNum = p.numericCount;
  const eps = q && q.retained !== q.count ? SKETCH_RANK_ERROR * nNum : 0;
  const fi = p.frequentItems;
  const est: number[] = [];
  const low: number[] = [];
  const high: number[] = [];
  const push = (e: number, l: number, h: number) => {
    est.push(e);
    low.push(Math.max(0, l));
    high.push(h);
  };
  if (spec.kind === 'edges') {
    const below = [0, ...spec.edges.map((e) => (q ? q.rank(e, false) * nNum : 0)), nNum];
    for (let i = 0; i + 1 < below.length; i++) {
      const c = below[i + 1]! - below[i]!;
      push(c, c - 2 * eps, Math.min(nNum, c + 2 * eps));
    }
    push(p.categoricalCount, p.categoricalCount, p.categoricalCount);
  } else {
    let listed = 0;
    let listedLow = 0;
    let listedHigh = 0;
    for (const v of spec.values) {
      let e: number;
      let l: number;
      let h: number;
      if (typeof v === 'number') {
        e = q ? (q.rank(v, true) - q.rank(v, false)) * nNum : 0;
        l = e - 2 * eps;
        h = e + 2 * eps;
      } else {
        const f = fi?.estimate(v);
        e = f?.estimate ?? 0;
        l = f?.lowerBound ?? 0;
        h = f?.upperBound ?? 0;
      }
      push(e, l, h);
      listed += e;
      listedLow += Math.max(0, l);
      listedHigh += h;
    }
    const total = nNum + p.categoricalCount;
    push(Math.max(0, total - listed), total - listedHigh, Math.max(0, total - listedLow));
  }
  const exact = est.every((e, i) => low[i] === e && high[i] === e);
  return { estimate: est, low, high, total: nNum + p.categoricalCount, exact };
}

export { ColumnProfile };
