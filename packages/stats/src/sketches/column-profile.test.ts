import { describe, expect, it } from 'vitest';
import { SketchFormatError } from './bytes.js';
import { ColumnProfile, type ColumnValue } from './column-profile.js';
import { INPUTS, quantileRankError, seededRandom, sortedCopy } from './test-support.js';

function profileOf(values: Iterable<ColumnValue>, options = {}): ColumnProfile {
  const p = new ColumnProfile(options);
  for (const v of values) p.update(v);
  return p;
}

/** Two-pass mean and sample variance: the textbook reference, exact enough at these sizes. */
function exactMoments(values: ArrayLike<number>) {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i]! - mean) ** 2;
  return { mean, variance: ss / (values.length - 1) };
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('ColumnProfile numeric column', () => {
  // A large offset with a small spread: naive sums of squares lose every digit here.
  const data = INPUTS.normal!(100_000, seededRandom(1));

  it('tracks counts, exact min/max, stable moments and quantiles within the rank bound', () => {
    const p = profileOf(data);
    const exact = exactMoments(data);
    const sorted = sortedCopy(data);
    expect(p.kind).toBe('numeric');
    expect(p.count).toBe(data.length);
    expect(relDiff(p.mean, exact.mean)).toBeLessThan(1e-12);
    expect(relDiff(p.sampleVariance, exact.variance)).toBeLessThan(1e-9);
    expect(p.min).toBe(sorted[0]);
    expect(p.max).toBe(sorted.at(-1));
    const summary = p.toJSON();
    expect(summary.std).toBeCloseTo(Math.sqrt(exact.variance), 9);
    for (const [key, q] of Object.entries({ p01: 0.01, p50: 0.5, p99: 0.99 })) {
      const value = summary.quantiles![key as 'p01'] as number;
      expect(quantileRankError(sorted, q, value)).toBeLessThanOrEqual(0.01);
    }
    expect(Math.abs(summary.distinct - data.length) / data.length).toBeLessThan(0.02);
    expect(summary.topItems).toEqual([]);
  });

  it('merges 100 windows with moments within 1e-9 of one pass, in any order', () => {
    const windows = Array.from({ length: 100 }, (_, w) => profileOf(data.subarray(w * 1000, (w + 1) * 1000)));
    const exact = exactMoments(data);
    const forward = windows.reduce((acc, w) => acc.merge(w), new ColumnProfile());
    const backward = [...windows].reverse().reduce((acc, w) => acc.merge(w), new ColumnProfile());
    const tree = windows.map((w) => ColumnProfile.deserialize(w.serialize()));
    while (tree.length > 1) tree.push(tree.shift()!.merge(tree.shift()!));
    for (const m of [forward, backward, tree[0]!]) {
      expect(m.count).toBe(data.length);
      expect(m.finiteCount).toBe(data.length);
      expect(relDiff(m.mean, exact.mean)).toBeLessThan(1e-9);
      expect(relDiff(m.sampleVariance, exact.variance)).toBeLessThan(1e-9);
      expect(m.min).toBe(forward.min);
      expect(m.max).toBe(forward.max);
    }
  });

  it('merges commutatively byte for byte', () => {
    const a = profileOf(data.subarray(0, 30_000));
    const b = profileOf([...data.subarray(30_000, 40_000), null, 'x']);
    const ab = ColumnProfile.deserialize(a.serialize()).merge(b);
    const ba = ColumnProfile.deserialize(b.serialize()).merge(a);
    expect(ab.serialize()).toEqual(ba.serialize());
  });
});

describe('ColumnProfile missing and special values', () => {
  it('counts null, undefined and NaN as missing, and keeps ±Infinity out of the moments', () => {
    const p = profileOf([
      1,
      2,
      null,
      undefined,
      Number.NaN,
      3,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    const s = p.toJSON();
    expect(s).toMatchObject({
      kind: 'numeric',
      count: 8,
      nulls: 3,
      nullFraction: 3 / 8,
      nan: 1,
      infinite: 2,
    });
    expect(s).toMatchObject({
      numericCount: 5,
      mean: 2,
      std: 1,
      min: '-Infinity',
      max: 'Infinity',
      distinct: 5,
    });
    expect(s.quantiles!.p01).toBe('-Infinity');
    expect(s.quantiles!.p50).toBe(2);
    expect(JSON.parse(JSON.stringify(s)).max).toBe('Infinity');
  });

  it('summarizes an empty and an all-null column without inventing numbers', () => {
    expect(new ColumnProfile().toJSON()).toEqual({
      kind: 'empty',
      count: 0,
      nulls: 0,
      nullFraction: null,
      nan: 0,
      infinite: 0,
      numericCount: 0,
      categoricalCount: 0,
      distinct: 0,
      mean: null,
      std: null,
      min: null,
      max: null,
      quantiles: null,
      topItems: [],
    });
    const nulls = profileOf([null, null, undefined]).toJSON();
    expect(nulls).toMatchObject({ kind: 'empty', count: 3, nulls: 3, nullFraction: 1, mean: null });
  });

  it('gives one value a zero-width summary and no standard deviation', () => {
    const s = profileOf([7]).toJSON();
    expect(s).toMatchObject({ mean: 7, std: null, min: 7, max: 7, distinct: 1 });
    expect(Object.values(s.quantiles!)).toEqual(new Array(9).fill(7));
  });

  it('rejects values it cannot profile without counting them', () => {
    const p = new ColumnProfile();
    expect(() => p.update({} as unknown as string)).toThrow(TypeError);
    expect(() => p.update(10n as unknown as number)).toThrow(TypeError);
    expect(p.count).toBe(0);
  });
});

describe('ColumnProfile categorical and mixed columns', () => {
  it('keeps top items and a distinct count for strings and booleans', () => {
    const values: ColumnValue[] = [];
    for (let i = 0; i < 10_000; i++)
      values.push(i % 10 === 0 ? null : i % 3 === 0 ? 'red' : i % 3 === 1 ? 'blue' : true);
    const s = profileOf(values).toJSON();
    expect(s).toMatchObject({ kind: 'categorical', count: 10_000, nulls: 1000, distinct: 3, mean: null });
    const exact = new Map<ColumnValue, number>();
    for (const v of values) if (v !== null) exact.set(v, (exact.get(v) ?? 0) + 1);
    expect(new Map(s.topItems.map((t) => [t.value, t.estimate]))).toEqual(exact);
    expect(s.topItems.map((t) => t.estimate)).toEqual([...exact.values()].sort((a, b) => b - a));
  });

  it('keeps numbers and strings side by side in a mixed column', () => {
    const s = profileOf([1, 2, 3, 'n/a', 'n/a', '1', true]).toJSON();
    expect(s).toMatchObject({ kind: 'mixed', numericCount: 3, categoricalCount: 4, mean: 2, min: 1, max: 3 });
    expect(s.distinct).toBe(6);
    expect(s.topItems[0]).toEqual({ value: 'n/a', estimate: 2, lowerBound: 2, upperBound: 2 });
  });

  it('truncates long strings for top items but not for the distinct count', () => {
    const long = 'x'.repeat(300);
    const p = profileOf([`${long}a`, `${long}b`, `${'y'.repeat(9)}😀`], { maxItemLength: 10 });
    const s = p.toJSON();
    expect(s.topItems.map((t) => t.value)).toEqual(['xxxxxxxxxx…', 'yyyyyyyyy…']);
    expect(s.distinct).toBe(3);
  });
});

describe('ColumnProfile serialization', () => {
  const rand = seededRandom(4);
  const mixed: ColumnValue[] = Array.from({ length: 20_000 }, (_, i) =>
    i % 7 === 0 ? null : i % 5 === 0 ? `cat-${i % 40}` : rand() * 100,
  );

  it('round-trips to identical bytes and summaries, and keeps evolving identically', () => {
    for (const p of [new ColumnProfile(), profileOf(mixed), profileOf([null])]) {
      const bytes = p.serialize();
      const copy = ColumnProfile.deserialize(bytes);
      expect(copy.serialize()).toEqual(bytes);
      expect(copy.toJSON()).toEqual(p.toJSON());
      for (const v of [5, 'cat-1', null, true]) {
        p.update(v);
        copy.update(v);
      }
      expect(copy.serialize()).toEqual(p.serialize());
    }
  });

  it('rejects unknown versions, inconsistent counts and garbage', () => {
    const bytes = profileOf([1, 'a', null]).serialize();
    expect([bytes[0], bytes[1]]).toEqual([1, 4]);
    const version = bytes.slice();
    version[0] = 3;
    expect(() => ColumnProfile.deserialize(version)).toThrow(/unsupported format version 3/);
    const options = profileOf([]).serialize();
    // count, after quantileK (2 bytes), seed (4), precision (1), capacity (2), maxItemLength (2).
    const counts = options.slice();
    counts[13] = 5;
    expect(() => ColumnProfile.deserialize(counts)).toThrow(/counts disagree/);
    expect(() => ColumnProfile.deserialize(bytes.subarray(0, bytes.length - 2))).toThrow(SketchFormatError);
    const rand2 = seededRandom(5);
    for (let i = 0; i < 200; i++) {
      const garbage = Uint8Array.from({ length: 2 + Math.floor(rand2() * 60) }, () =>
        Math.floor(rand2() * 256),
      );
      garbage.set([1, 4]);
      expect(() => ColumnProfile.deserialize(garbage)).toThrow(SketchFormatError);
    }
  });
});
