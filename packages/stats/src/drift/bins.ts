// Bin edges from reference quantiles, and counting into those bins.
import { type NumericInput, sortedCopy, toFloat64 } from './validate.js';

export interface QuantileBinsOptions {
  /** Number of bins wanted (before duplicate edges are merged); default 10. */
  bins?: number;
}

/** numpy's linear interpolation, with its switch to b - (b - a)(1 - t) for t >= 1/2. */
function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** The q-quantile of sorted data, as numpy.quantile's default ('linear') method. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const index = (n - 1) * q;
  const below = Math.floor(index);
  const lo = Math.min(Math.max(below, 0), n - 1);
  const hi = Math.min(Math.max(below + 1, 0), n - 1);
  return lerp(sorted[lo]!, sorted[hi]!, index - below);
}

/**
 * Inner bin edges at the reference quantiles 1/bins, 2/bins, ..., (bins-1)/bins, with repeated
 * edges (from ties in the reference) removed, so the result can have fewer than bins-1 edges
 * (a single edge when the reference is constant). Pair with histogram(), whose outer bins are
 * open, so values outside the reference range are still counted.
 * Throws RangeError for an empty reference, NaN/Infinity, or bins not an integer >= 1.
 */
export function quantileBins(ref: NumericInput, options: QuantileBinsOptions = {}): number[] {
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError('quantileBins: bins must be an integer >= 1');
  const sorted = sortedCopy(ref, 'quantileBins: ref', { finite: true });
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(sorted, k / bins);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

/** Throws unless edges are finite and strictly increasing. */
export function checkEdges(edges: ArrayLike<number>, fn: string): void {
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    if (typeof e !== 'number' || !Number.isFinite(e))
      throw new RangeError(`${fn}: edges[${i}] is not finite`);
    if (i > 0 && !(e > edges[i - 1]!)) throw new RangeError(`${fn}: edges must be strictly increasing`);
  }
}

/**
 * Counts of `values` in the edges.length + 1 bins (-inf, e0), [e0, e1), ..., [e_last, +inf):
 * each bin is closed on the left, so a value equal to an edge falls in the bin that edge opens.
 * ±Infinity land in the outer bins; NaN throws a RangeError.
 */
export function histogram(values: NumericInput, edges: ArrayLike<number>): number[] {
  checkEdges(edges, 'histogram');
  const data = toFloat64(values, 'histogram: values', { minLength: 0 });
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // Number of edges <= v, by binary search.
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]! += 1;
  }
  return counts;
}
