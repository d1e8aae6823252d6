import { describe, expect, it } from 'vitest';
import { jensenShannon, ks2samp, psi, wasserstein } from '../drift/index.js';
import { ColumnProfile, type ColumnValue } from './column-profile.js';
import { profileDrift } from './profile-drift.js';
import type { QuantileSketch } from './quantile-sketch.js';
import { countBelow, INPUTS, seededRandom, sortedCopy } from './test-support.js';

function profileOf(values: ArrayLike<ColumnValue>): ColumnProfile {
  const p = new ColumnProfile();
  for (let i = 0; i < values.length; i++) p.update(values[i]);
  return p;
}

/**
 * The sketch's actual CDF error against its data: ε = sup_x |F̂(x) - F(x)| (both step functions jump
 * only at data values, so the sup is over those) and ∫|F̂ - F| dx.
 */
function cdfError(sketch: QuantileSketch, sorted: Float64Array) {
  const n = sorted.length;
  let sup = 0;
  let integral = 0;
  for (let i = 0; i < n; ) {
    const x = sorted[i]!;
    const j = countBelow(sorted, x);
    const gap = Math.abs(sketch.rank(x) - j / n);
    sup = Math.max(sup, gap);
    if (j < n) integral += gap * (sorted[j]! - x);
    i = j;
  }
  return { sup, integral };
}

const r = seededRandom(42);
const N = 100_000;
const normal = () => INPUTS.normal!(N, r);
const SCENARIOS: Record<string, [Float64Array, Float64Array]> = {
  same: [normal(), normal()],
  smallShift: [normal(), normal().map((x) => x + 0.1)],
  largeShift: [normal(), normal().map((x) => x + 0.5)],
  wider: [normal(), normal().map((x) => 1e6 + (x - 1e6) * 1.5)],
  heavyTail: [INPUTS.heavyTail!(N, r), INPUTS.heavyTail!(N, r).map((x) => x + 0.3)],
  duplicates: [INPUTS.duplicates!(N, r), INPUTS.duplicates!(N, r).map((x) => (x === 3 ? 4 : x))],
  paretoUnequalSizes: [INPUTS.pareto!(N, r), INPUTS.pareto!(N / 4, r).map((x) => x * 1.1)],
  sortedInput: [INPUTS.sorted!(N, r), INPUTS.reversed!(N, r).map((x) => x ** 1.2)],
};

describe('profileDrift on numeric columns, against the exact statistics', () => {
  for (const [name, [ref, cur]] of Object.entries(SCENARIOS)) {
    it(`stays within the stated error on ${name}`, () => {
      const rp = profileOf(ref);
      const cp = profileOf(cur);
      const d = profileDrift(rp, cp);
      const rs = sortedCopy(ref);
      const cs = sortedCopy(cur);
      const er = cdfError(rp.quantileSketch!, rs);
      const ec = cdfError(cp.quantileSketch!, cs);
      expect(er.sup + ec.sup).toBeLessThanOrEqual(0.02);

      const ks = ks2samp(ref, cur, { method: 'asymp' }).statistic;
      expect(Math.abs(d.ks! - ks)).toBeLessThanOrEqual(er.sup + ec.sup + 1e-12);

      const w = wasserstein(ref, cur);
      const range = Math.max(rs.at(-1)!, cs.at(-1)!) - Math.min(rs[0]!, cs[0]!);
      expect(Math.abs(d.wasserstein! - w)).toBeLessThanOrEqual((er.integral + ec.integral) * (1 + 1e-9));
      expect(er.integral + ec.integral).toBeLessThanOrEqual((er.sup + ec.sup) * range);

      // Same bins as the estimate: each proportion within 2ε, PSI and JS close.
      const same = psi(ref, cur, { edges: d.edges });
      same.refCounts.forEach((c, i) => {
        expect(Math.abs(d.refProportions[i]! - c / ref.length)).toBeLessThanOrEqual(2 * er.sup + 1e-12);
        expect(Math.abs(d.curProportions[i]! - same.curCounts[i]! / cur.length)).toBeLessThanOrEqual(
          2 * ec.sup + 1e-12,
        );
      });
      expect(Math.abs(d.psi! - same.value)).toBeLessThanOrEqual(0.001 + 0.05 * same.value);
      const js = jensenShannon(same.refCounts, same.curCounts);
      const tv = (p: number[], counts: number[], n: number) =>
        p.reduce((s, v, i) => s + Math.abs(v - counts[i]! / n), 0) / 2;
      const jsBound =
        Math.sqrt(tv(d.refProportions, same.refCounts, ref.length)) +
        Math.sqrt(tv(d.curProportions, same.curCounts, cur.length));
      expect(Math.abs(d.jensenShannon! - js)).toBeLessThanOrEqual(jsBound);
      expect(Math.abs(d.jensenShannon! - js)).toBeLessThanOrEqual(0.01 + 0.05 * js);

      // Exact reference-quantile bins (numpy interpolation): close in practice, no strict bound.
      const exact = psi(ref, cur);
      expect(Math.abs(d.psi! - exact.value)).toBeLessThanOrEqual(0.002 + 0.1 * exact.value);
      const exactJs = jensenShannon(exact.refCounts, exact.curCounts);
      expect(Math.abs(d.jensenShannon! - exactJs)).toBeLessThanOrEqual(0.01 + 0.1 * exactJs);
    });
  }

  it('estimates a real shift within a few percent, and keeps the bounds after merging 100 windows', () => {
    const [ref, cur] = SCENARIOS.largeShift!;
    const windows = (values: Float64Array) =>
      Array.from({ length: 100 }, (_, w) => profileOf(values.subarray(w * 1000, (w + 1) * 1000))).reduce(
        (acc, p) => acc.merge(p),
        new ColumnProfile(),
      );
    const rp = windows(ref);
    const cp = windows(cur);
    const d = profileDrift(rp, cp);
    const er = cdfError(rp.quantileSketch!, sortedCopy(ref));
    const ec = cdfError(cp.quantileSketch!, sortedCopy(cur));
    const ks = ks2samp(ref, cur, { method: 'asymp' }).statistic;
    expect(Math.abs(d.ks! - ks)).toBeLessThanOrEqual(er.sup + ec.sup + 1e-12);
    const w = wasserstein(ref, cur);
    expect(Math.abs(d.wasserstein! - w)).toBeLessThanOrEqual(er.integral + ec.integral + 1e-12);
    expect(Math.abs(d.wasserstein! - w) / w).toBeLessThan(0.03);
    const exact = psi(ref, cur);
    expect(Math.abs(d.psi! - exact.value) / exact.value).toBeLessThan(0.1);
  });

  it('is zero for identical profiles and symmetric for KS and Wasserstein', () => {
    const [ref, cur] = SCENARIOS.smallShift!;
    const a = profileOf(ref);
    const b = profileOf(cur);
    expect(profileDrift(a, a)).toMatchObject({ ks: 0, psi: 0, jensenShannon: 0, wasserstein: 0 });
    const ab = profileDrift(a, b);
    const ba = profileDrift(b, a);
    expect(ba.ks).toBe(ab.ks);
    expect(ba.wasserstein).toBeCloseTo(ab.wasserstein!, 12);
  });
});

describe('profileDrift on categorical and mixed columns', () => {
  const colors = ['red', 'green', 'blue', 'black', true, false];
  const draw = (weights: number[], n: number, rand: () => number): ColumnValue[] =>
    Array.from({ length: n }, () => {
      let u = rand() * weights.reduce((a, b) => a + b, 0);
      for (let i = 0; i < weights.length; i++) {
        u -= weights[i]!;
        if (u < 0) return colors[i];
      }
      return colors.at(-1);
    });

  it('matches psi and jensenShannon exactly while every category is tracked', () => {
    const rand = seededRandom(5);
    const ref = draw([30, 20, 20, 10, 15, 5], 50_000, rand);
    const cur = [...draw([20, 25, 20, 5, 20, 10], 30_000, rand), null, null];
    const d = profileDrift(profileOf(ref), profileOf(cur));
    expect(d).toMatchObject({ ks: null, wasserstein: null, edges: [] });
    expect(new Set(d.categories)).toEqual(new Set(colors));
    // The same buckets as numbers: category i is code i, one bin per code.
    const code = (vs: ColumnValue[]) => vs.filter((v) => v !== null).map((v) => d.categories.indexOf(v!));
    const edges = d.categories.slice(1).map((_, i) => i + 0.5);
    const exact = psi(code(ref), code(cur), { edges });
    expect(d.psi).toBeCloseTo(exact.value, 12);
    expect(d.jensenShannon).toBeCloseTo(jensenShannon(exact.refCounts, exact.curCounts), 12);
    expect(d.refProportions.at(-1)).toBe(0);
  });

  it('keeps each proportion within maximumError / count on a long tail, with an "other" bucket', () => {
    const rand = seededRandom(6);
    const tail = (n: number, s: number) =>
      Array.from({ length: n }, () => `c${Math.floor((1 / (1 - rand())) ** s)}`) as ColumnValue[];
    const ref = tail(100_000, 1.2);
    const cur = tail(100_000, 1.3);
    const rp = profileOf(ref);
    const cp = profileOf(cur);
    const d = profileDrift(rp, cp);
    const count = (vs: ColumnValue[], item: unknown) => vs.filter((v) => v === item).length;
    d.categories.forEach((item, i) => {
      const errR = rp.frequentItems!.maximumError / ref.length;
      expect(Math.abs(d.refProportions[i]! - count(ref, item) / ref.length)).toBeLessThanOrEqual(
        errR + 1e-12,
      );
      const errC = cp.frequentItems!.maximumError / cur.length;
      expect(Math.abs(d.curProportions[i]! - count(cur, item) / cur.length)).toBeLessThanOrEqual(
        errC + 1e-12,
      );
    });
    expect(d.refProportions.at(-1)).toBeGreaterThan(0);
    expect(d.psi).toBeGreaterThan(0);
  });

  it('shows strings appearing in a numeric column as drift', () => {
    const rand = seededRandom(7);
    const ref = Array.from({ length: 20_000 }, rand);
    const cur: ColumnValue[] = Array.from({ length: 20_000 }, (_, i) => (i % 10 === 0 ? 'N/A' : rand()));
    const clean = profileDrift(profileOf(ref), profileOf(Array.from({ length: 20_000 }, rand)));
    const d = profileDrift(profileOf(ref), profileOf(cur));
    expect(d.categories).toEqual(['N/A']);
    expect(d.refProportions.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    expect(d.curProportions.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    expect(d.curProportions.at(-2)).toBeCloseTo(0.1, 12);
    expect(d.psi!).toBeGreaterThan(0.5);
    expect(clean.psi!).toBeLessThan(0.01);
    expect(d.ks).not.toBeNull();
  });
});

describe('profileDrift degenerate input', () => {
  it('returns nulls when a side has no values', () => {
    const empty = profileOf([null, Number.NaN]);
    const d = profileDrift(empty, profileOf([1, 2, 3]));
    expect(d).toEqual({
      ks: null,
      psi: null,
      jensenShannon: null,
      wasserstein: null,
      edges: [],
      categories: [],
      refProportions: [],
      curProportions: [],
    });
  });

  it('bins a constant reference into two bins, as quantileBins does', () => {
    const d = profileDrift(profileOf(new Float64Array(1000).fill(5)), profileOf([4, 5, 6, 7]));
    expect(d.edges).toEqual([5]);
    expect(d.refProportions).toEqual([0, 1]);
    expect(d.curProportions).toEqual([0.25, 0.75]);
    expect(d.ks).toBe(ks2samp(new Float64Array(1000).fill(5), [4, 5, 6, 7]).statistic);
    expect(d.psi).toBeCloseTo(psi(new Float64Array(1000).fill(5), [4, 5, 6, 7]).value, 12);
  });

  it('reports infinite Wasserstein when infinite values differ, and KS as ks2samp does', () => {
    const ref = [1, 2, 3, Number.POSITIVE_INFINITY];
    const cur = [1, 2, 3, 4];
    const d = profileDrift(profileOf(ref), profileOf(cur));
    expect(d.wasserstein).toBe(Number.POSITIVE_INFINITY);
    expect(d.ks).toBe(ks2samp(ref, cur).statistic);
    expect(profileDrift(profileOf(ref), profileOf(ref)).wasserstein).toBe(0);
  });

  it('validates options', () => {
    const p = profileOf([1]);
    expect(() => profileDrift(p, p, { bins: 0 })).toThrow(RangeError);
    expect(() => profileDrift(p, p, { epsilon: 0 })).toThrow(RangeError);
    expect(() => profileDrift(p, p, { topItems: -1 })).toThrow(RangeError);
  });
});
