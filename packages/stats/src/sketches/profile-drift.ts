import { jensenShannon } from '../drift/index.js';
import type { ColumnProfile } from './column-profile.js';
import type { SketchItem } from './frequent-items.js';
import type { QuantileSketch } from './quantile-sketch.js';

export interface ProfileDriftOptions {
  /** Reference-quantile bins for the numeric part, as quantileBins; default 10. */
  bins?: number;
  /** Stand-in for a bucket proportion of exactly 0 in PSI, as psi; default 1e-4. */
  epsilon?: number;
  /** Logarithm base of the Jensen–Shannon distance, as jensenShannon; default 2 (range [0, 1]). */
  base?: number;
  /** Categories taken from each side's most frequent items before the "other" bucket; default 20. */
  topItems?: number;
}

export interface ProfileDrift {
  /** Two-sample KS statistic of the numeric values; null unless both sides have numbers. */
  ks: number | null;
  psi: number | null;
  jensenShannon: number | null;
  /** W1 distance of the numeric values; null unless both sides have numbers. */
  wasserstein: number | null;
  /** Inner edges of the numeric bins (bins closed on the left, outer bins open, as histogram). */
  edges: number[];
  /** The categorical buckets after the numeric bins; an "other" bucket follows when any exist. */
  categories: SketchItem[];
  /** Bucket proportions of non-null values: numeric bins, categories, then "other". */
  refProportions: number[];
  curProportions: number[];
}

/**
 * Drift between two column profiles, estimated from their sketches alone (never from raw values),
 * with the conventions of the exact functions in `drift/` (ks2samp, psi, jensenShannon,
 * wasserstein) so the two can be compared. Nulls (and NaN) are left out: compare `nullFraction`.
 *
 * Error, with ε_r and ε_c the rank errors of the two quantile sketches (≤ 1% at the default k,
 * typically < 0.5%) and KS, W the exact statistics of the full samples:
 * - ks: the sup of |F̂_ref - F̂_cur| over both sketches' retained values; |ks - KS| ≤ ε_r + ε_c,
 *   because both estimated CDFs only step at retained values and each is within ε of the truth.
 * - wasserstein: ∫|F̂_ref - F̂_cur| dx; |wasserstein - W| ≤ (ε_r + ε_c)·(max - min) over the pooled
 *   range. Infinity when ±Infinity values carry different mass on the two sides.
 * - psi, jensenShannon: over one bucket list. Numeric values fall in bins whose inner edges are the
 *   reference sketch's quantiles at 1/bins, ..., (bins-1)/bins (each within ε_r in rank of
 *   numpy's; repeated and infinite edges dropped); each bin proportion is within ε + ε of the exact
 *   proportion of the same bin. Strings/booleans fall in the union of both sides' `topItems` most
 *   frequent items plus "other"; each proportion is within maximumError / count of the exact one,
 *   and exact while a side has seen fewer than 2·capacity distinct items. Against psi on exact
 *   quantile edges there is no distribution-free bound (moving an edge by ε in reference rank moves
 *   the current proportion by up to ε times the density ratio); tests measure it.
 * A mixed column (or a numeric reference against a categorical current) uses all buckets at once,
 * each weighted by its share of non-null values, so a type change shows up as drift.
 * Every field is null (and the lists empty) when either profile has no non-null value.
 */
export function profileDrift(
  ref: ColumnProfile,
  cur: ColumnProfile,
  options: ProfileDriftOptions = {},
): ProfileDrift {
  const bins = options.bins ?? 10;
  const epsilon = options.epsilon ?? 1e-4;
  const topItems = options.topItems ?? 20;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError('profileDrift: bins must be an integer >= 1');
  if (!(epsilon > 0) || !Number.isFinite(epsilon))
    throw new RangeError('profileDrift: epsilon must be positive');
  if (!Number.isInteger(topItems) || topItems < 0)
    throw new RangeError('profileDrift: topItems must be >= 0');
  const refTotal = ref.numericCount + ref.categoricalCount;
  const curTotal = cur.numericCount + cur.categoricalCount;
  const result: ProfileDrift = {
    ks: null,
    psi: null,
    jensenShannon: null,
    wasserstein: null,
    edges: [],
    categories: [],
    refProportions: [],
    curProportions: [],
  };
  if (refTotal === 0 || curTotal === 0) return result;

  const rq = ref.quantileSketch;
  const cq = cur.quantileSketch;
  if (rq && cq) Object.assign(result, cdfDistances(rq, cq));
  const edgeSource = rq ?? cq;
  if (edgeSource) {
    result.edges = binEdges(edgeSource, bins);
    result.refProportions.push(...binProportions(rq, result.edges, ref.numericCount / refTotal));
    result.curProportions.push(...binProportions(cq, result.edges, cur.numericCount / curTotal));
  }
  if (ref.categoricalCount + cur.categoricalCount > 0) {
    const categories = new Set<SketchItem>();
    for (const p of [ref, cur]) for (const t of p.frequentItems?.top(topItems) ?? []) categories.add(t.item);
    result.categories = [...categories];
    for (const [p, total, out] of [
      [ref, refTotal, result.refProportions],
      [cur, curTotal, result.curProportions],
    ] as const) {
      let listed = 0;
      for (const item of result.categories) {
        const c = p.frequentItems?.estimate(item).estimate ?? 0;
        listed += c;
        out.push(c / total);
      }
      out.push((p.categoricalCount - listed) / total);
    }
  }
  result.psi = psiOf(result.refProportions, result.curProportions, epsilon);
  result.jensenShannon = jensenShannon(result.refProportions, result.curProportions, {
    base: options.base ?? 2,
  });
  return result;
}

// One walk over both sketches' retained values in order: between consecutive pooled values both
// estimated CDFs are constant, so the sup and the integral are exact for the estimated CDFs.
function cdfDistances(ref: QuantileSketch, cur: QuantileSketch): { ks: number; wasserstein: number } {
  const { values: a, cum: ca } = ref.sortedView();
  const { values: b, cum: cb } = cur.sortedView();
  const na = ref.count;
  const nb = cur.count;
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  let ks = 0;
  let w = 0;
  let prev = Number.NaN;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    // Skipping equal CDFs also avoids 0 · Infinity on an unbounded first interval.
    if (fa !== fb) w += Math.abs(fa - fb) * (v - prev);
    while (i < a.length && a[i]! <= v) i++;
    while (j < b.length && b[j]! <= v) j++;
    fa = i === 0 ? 0 : ca[i - 1]! / na;
    fb = j === 0 ? 0 : cb[j - 1]! / nb;
    ks = Math.max(ks, Math.abs(fa - fb));
    prev = v;
  }
  return { ks, wasserstein: w };
}

function binEdges(sketch: QuantileSketch, bins: number): number[] {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = sketch.quantile(k / bins);
    if (Number.isFinite(e) && (edges.length === 0 || e > edges[edges.length - 1]!)) edges.push(e);
  }
  return edges;
}

// Mass of each left-closed bin, [e_i-1, e_i), from the fraction strictly below each edge.
function binProportions(sketch: QuantileSketch | null, edges: number[], share: number): number[] {
  if (!sketch) return new Array<number>(edges.length + 1).fill(0);
  const below = [0, ...edges.map((e) => sketch.rank(e, false)), 1];
  return edges.map((_, i) => (below[i + 1]! - below[i]!) * share).concat((1 - below[edges.length]!) * share);
}

// As psi: exact zeros become epsilon, the rest are not renormalized.
function psiOf(p: number[], q: number[], epsilon: number): number {
  let value = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! || epsilon;
    const b = q[i]! || epsilon;
    value += (b - a) * Math.log(b / a);
  }
  return value;
}
