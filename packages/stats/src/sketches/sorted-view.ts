// The query side of the quantile sketch: its levels flattened into one ascending array with
// cumulative weights, built once per change and shared by rank, quantile, cdf and drift.

export interface SortedView {
  values: Float64Array;
  /** Cumulative weight up to and including values[i]. */
  cum: Float64Array;
}

/**
 * Sorts each level in place (order within a level carries no information) and merges them upward;
 * a value at level h weighs 2^h. Linear merges keep the cost at O(retained · levels), far below a
 * comparison sort of (value, weight) pairs in JavaScript.
 */
export function buildSortedView(levels: readonly Float64Array[], sizes: readonly number[]): SortedView {
  let values = new Float64Array(0);
  let weights = new Float64Array(0);
  for (let h = 0; h < levels.length; h++) {
    const size = sizes[h]!;
    if (size === 0) continue;
    const level = levels[h]!.subarray(0, size);
    level.sort();
    const w = 2 ** h;
    const mv = new Float64Array(values.length + size);
    const mw = new Float64Array(values.length + size);
    let i = 0;
    let j = 0;
    let o = 0;
    while (i < values.length || j < size) {
      if (j >= size || (i < values.length && values[i]! <= level[j]!)) {
        mv[o] = values[i]!;
        mw[o++] = weights[i++]!;
      } else {
        mv[o] = level[j++]!;
        mw[o++] = w;
      }
    }
    values = mv;
    weights = mw;
  }
  for (let i = 1; i < weights.length; i++) weights[i]! += weights[i - 1]!;
  return { values, cum: weights };
}

/** Number of entries <= x in an ascending array. */
export function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries < x in an ascending array. */
export function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
