import { readFileSync } from 'node:fs';
import { QuantileSketch, wasserstein, Xoshiro128 } from '@plumb/stats';
import { describe, expect, it } from 'vitest';
import { type Cdf, cdfOfSorted, SKETCH_RANK_ERROR } from './current-data.js';
import { cdfDistances, wassersteinBounds } from './drift-tests.js';

function sketchCdf(values: number[], seed: number): Cdf {
  const q = new QuantileSketch({ seed });
  for (const v of values) q.update(v);
  const { values: v, cum } = q.sortedView();
  expect(q.retained).toBeLessThan(values.length);
  return { values: v, cum, n: q.count, error: SKETCH_RANK_ERROR, min: q.min, max: q.max };
}

/**
 * Both rank errors over the pooled exact range: the statistics core's bound. (Over the range of
 * the retained values, as the profiles used it before, it can be too small: compaction may drop
 * the extremes, and the error reaches out to them.)
 */
function pooledBound(a: Cdf, b: Cdf): number {
  return (a.error + b.error) * (Math.max(a.max, b.max) - Math.min(a.min, b.min));
}

const rng = new Xoshiro128([11, 22, 33, 44]);
const u = () => rng.nextUint32() / 4294967296;
const normal = () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
const draw = (n: number, f: () => number) => Array.from({ length: n }, f);

// Exact W1 from @plumb/stats' wasserstein (checked against scipy.stats.wasserstein_distance in
// its own tests) on the raw values; the bound comes from the sketches of the same values.
const CASES: [string, () => number[], () => number[]][] = [
  ['same normal', () => draw(30_000, normal), () => draw(20_000, normal)],
  ['shifted by 0.1 σ', () => draw(30_000, normal), () => draw(20_000, () => normal() + 0.1)],
  ['scaled by 1.12', () => draw(30_000, normal), () => draw(40_000, () => 1.12 * normal())],
  ['disjoint ranges', () => draw(20_000, () => u() * 10), () => draw(20_000, () => 20 + u() * 10)],
  [
    'heavy tails',
    () => draw(30_000, () => normal() / (u() + 0.01)),
    () => draw(30_000, () => normal() / (u() + 0.02)),
  ],
  [
    'ties (12 values)',
    () => draw(30_000, () => Math.floor(u() * 12)),
    () => draw(30_000, () => Math.floor(u() ** 1.3 * 12)),
  ],
  ['one side exact', () => draw(500, normal), () => draw(30_000, () => normal() + 0.05)],
];

describe('the Wasserstein bound of two sketches', () => {
  for (const [name, makeRef, makeCur] of CASES) {
    it(`${name}: holds the exact W1 and is no looser than the pooled-range bound`, () => {
      const ref = makeRef();
      const cur = makeCur();
      const exact = wasserstein(ref, cur);
      const a = ref.length > 1_000 ? sketchCdf(ref, 1) : cdfOfSorted(Float64Array.from(ref).sort());
      const b = sketchCdf(cur, 2);
      const { w, low, high } = wassersteinBounds(a, b);
      expect(w).toBeCloseTo(cdfDistances(a, b).wasserstein, 9);
      expect(low).toBeLessThanOrEqual(exact);
      expect(high).toBeGreaterThanOrEqual(exact);
      const pooled = pooledBound(a, b);
      expect(high - w).toBeLessThanOrEqual(pooled * (1 + 1e-12));
      expect(w - low).toBeLessThanOrEqual(pooled * (1 + 1e-12));
    });
  }

  it('is much tighter where the two ranges are apart or the CDFs agree', () => {
    const a = sketchCdf(
      draw(20_000, () => u() * 10),
      1,
    );
    const b = sketchCdf(
      draw(20_000, () => 20 + u() * 10),
      2,
    );
    const { w, low, high } = wassersteinBounds(a, b);
    // No error between 10 and 20, where both CDFs are exact (1 and 0): half the pooled bound.
    expect(high - low).toBeLessThan(0.7 * 2 * pooledBound(a, b));
    expect(w).toBeGreaterThan(low);
  });

  it('is exact where both sides hold every value', () => {
    const a = cdfOfSorted(Float64Array.from([1, 2, 2, 5]).sort());
    const b = cdfOfSorted(Float64Array.from([0, 3, 4]).sort());
    expect(wassersteinBounds(a, b)).toEqual({
      w: wasserstein([1, 2, 2, 5], [0, 3, 4]),
      low: wasserstein([1, 2, 2, 5], [0, 3, 4]),
      high: wasserstein([1, 2, 2, 5], [0, 3, 4]),
    });
  });
});

// The scipy goldens' Wasserstein cases, their sketches at the default size: the exact value is
// in the interval, which is narrower than the pooled one.
const goldens = JSON.parse(
  readFileSync(new URL('../../../fixtures/monitoring/drift-goldens.json', import.meta.url), 'utf8'),
) as { cases: { name: string; test: string; ref: number[]; cur: number[]; expected: number }[] };

describe('the Wasserstein bound on the scipy goldens', () => {
  for (const c of goldens.cases.filter((g) => g.test === 'wasserstein')) {
    it(`${c.name}: scipy's ${c.expected.toPrecision(4)} within it`, () => {
      const mean = c.ref.reduce((s, x) => s + x, 0) / c.ref.length;
      const std = Math.sqrt(c.ref.reduce((s, x) => s + (x - mean) ** 2, 0) / c.ref.length);
      const a = sketchCdf(c.ref, 1);
      const b = sketchCdf(c.cur, 2);
      const { low, high } = wassersteinBounds(a, b);
      expect(low / std).toBeLessThanOrEqual(c.expected * (1 + 1e-9));
      expect(high / std).toBeGreaterThanOrEqual(c.expected * (1 - 1e-9));
      expect(high - low).toBeLessThan(2 * pooledBound(a, b));
    });
  }
});
