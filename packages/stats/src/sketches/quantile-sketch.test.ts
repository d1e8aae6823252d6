import { describe, expect, it } from 'vitest';
import { SketchFormatError } from './bytes.js';
import { QuantileSketch } from './quantile-sketch.js';
import { countBelow, INPUTS, seededRandom, sortedCopy, worstRankError } from './test-support.js';

const BOUND = 0.01;

function sketchOf(values: ArrayLike<number>, options = {}): QuantileSketch {
  const sketch = new QuantileSketch(options);
  for (let i = 0; i < values.length; i++) sketch.update(values[i]!);
  return sketch;
}

describe('QuantileSketch accuracy', () => {
  for (const [name, make] of Object.entries(INPUTS)) {
    it(`keeps rank error within 1% on ${name} input`, () => {
      const data = make(200_000, seededRandom(name.length));
      const sketch = sketchOf(data);
      const sorted = sortedCopy(data);
      expect(worstRankError(sketch, sorted)).toBeLessThanOrEqual(BOUND);
      expect(sketch.count).toBe(data.length);
      expect(sketch.min).toBe(sorted[0]);
      expect(sketch.max).toBe(sorted.at(-1));
      expect(sketch.retained).toBeLessThan(1300);
    });
  }

  it('keeps rank error within 1% on 10^6 random values, over several seeds of data', () => {
    for (const seed of [1, 2]) {
      const data = INPUTS.random!(1_000_000, seededRandom(seed));
      expect(worstRankError(sketchOf(data), sortedCopy(data))).toBeLessThanOrEqual(BOUND);
    }
  });

  it('keeps rank error within 1% after merging 100 sketches, whatever the split', () => {
    const rand = seededRandom(7);
    const data = INPUTS.random!(300_000, rand);
    const sorted = sortedCopy(data);
    const splits: Record<string, Float64Array[]> = {
      interleaved: Array.from({ length: 100 }, (_, p) => data.filter((_, i) => i % 100 === p)),
      contiguousSorted: Array.from({ length: 100 }, (_, p) => sorted.slice(p * 3000, (p + 1) * 3000)),
      uneven: (() => {
        const cuts = [0, ...Array.from({ length: 99 }, () => Math.floor(rand() ** 3 * data.length))];
        cuts.sort((a, b) => a - b);
        return cuts.map((c, i) => data.slice(c, cuts[i + 1] ?? data.length));
      })(),
    };
    for (const [name, parts] of Object.entries(splits)) {
      const sketches = parts.map((p) => sketchOf(p));
      const linear = new QuantileSketch();
      for (const s of sketches) linear.merge(s);
      const tree = sketches.map((s) => QuantileSketch.deserialize(s.serialize()));
      while (tree.length > 1) tree.push(tree.shift()!.merge(tree.shift()!));
      for (const merged of [linear, tree[0]!]) {
        expect(merged.count, name).toBe(data.length);
        expect(merged.min, name).toBe(sorted[0]);
        expect(merged.max, name).toBe(sorted.at(-1));
        expect(worstRankError(merged, sorted), name).toBeLessThanOrEqual(BOUND);
      }
    }
  });
});

describe('QuantileSketch merge', () => {
  const rand = seededRandom(11);
  const parts = [60_000, 20_000, 1, 0, 45_000].map((n) => INPUTS.random!(n, rand));

  it('is commutative byte for byte', () => {
    const [a, b] = [sketchOf(parts[0]!), sketchOf(parts[1]!)];
    const ab = QuantileSketch.deserialize(a.serialize()).merge(b);
    const ba = QuantileSketch.deserialize(b.serialize()).merge(a);
    expect(ab.serialize()).toEqual(ba.serialize());
  });

  it('is associative and order-independent within the bound, exactly for count, min and max', () => {
    const all = sortedCopy(parts.flatMap((p) => [...p]));
    const results = [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 0, 4, 1, 3],
    ].map((order) => order.reduce((acc, i) => acc.merge(sketchOf(parts[i]!)), new QuantileSketch()));
    const nested = sketchOf(parts[0]!).merge(
      sketchOf(parts[1]!).merge(sketchOf(parts[2]!).merge(sketchOf(parts[3]!).merge(sketchOf(parts[4]!)))),
    );
    for (const s of [...results, nested]) {
      expect(s.count).toBe(all.length);
      expect(s.min).toBe(all[0]);
      expect(s.max).toBe(all.at(-1));
      expect(worstRankError(s, all)).toBeLessThanOrEqual(BOUND);
    }
  });

  it('leaves the argument unchanged and can merge a sketch into itself', () => {
    const a = sketchOf(parts[0]!);
    const b = sketchOf(parts[1]!);
    const before = b.serialize();
    a.merge(b);
    expect(b.serialize()).toEqual(before);
    const doubled = sketchOf(parts[1]!);
    doubled.merge(doubled);
    expect(doubled.count).toBe(2 * parts[1]!.length);
    expect(worstRankError(doubled, sortedCopy(parts[1]!))).toBeLessThanOrEqual(BOUND);
  });

  it('merges sketches of different k at the smaller k', () => {
    const a = sketchOf(parts[0]!, { k: 400 });
    const b = sketchOf(parts[1]!, { k: 100 });
    expect(a.merge(b).k).toBe(100);
  });
});

describe('QuantileSketch serialization', () => {
  const data = INPUTS.heavyTail!(50_000, seededRandom(3));

  it('round-trips to identical bytes and answers, and keeps evolving identically', () => {
    const sketch = sketchOf(data);
    const bytes = sketch.serialize();
    const copy = QuantileSketch.deserialize(bytes);
    expect(copy.serialize()).toEqual(bytes);
    const qs = Array.from({ length: 101 }, (_, i) => i / 100);
    expect(copy.quantiles(qs)).toEqual(sketch.quantiles(qs));
    expect(copy.cdf([-10, 0, 10])).toEqual(sketch.cdf([-10, 0, 10]));
    for (const v of INPUTS.random!(20_000, seededRandom(4))) {
      sketch.update(v);
      copy.update(v);
    }
    expect(copy.serialize()).toEqual(sketch.serialize());
  });

  it('is deterministic: the same stream gives the same bytes', () => {
    expect(sketchOf(data).serialize()).toEqual(sketchOf(data).serialize());
    expect(sketchOf(data, { seed: 9 }).serialize()).not.toEqual(sketchOf(data).serialize());
  });

  it('starts with the format version and type tag', () => {
    const bytes = sketchOf([1, 2, 3]).serialize();
    expect([bytes[0], bytes[1]]).toEqual([1, 1]);
  });

  it('rejects other versions, other sketches, truncation, trailing bytes and inconsistent content', () => {
    const bytes = sketchOf(data).serialize();
    const bad = (mutate: (b: Uint8Array) => Uint8Array) => () =>
      QuantileSketch.deserialize(mutate(bytes.slice()));
    const setByte = (i: number, v: number) => (b: Uint8Array) => {
      b[i] = v;
      return b;
    };
    expect(bad(setByte(0, 2))).toThrow(/unsupported format version 2/);
    expect(bad(setByte(1, 2))).toThrow(/HyperLogLog, not a QuantileSketch/);
    expect(bad(setByte(1, 99))).toThrow(/unknown type tag 99/);
    expect(bad((b) => b.subarray(0, b.length - 3))).toThrow(SketchFormatError);
    expect(bad((b) => Uint8Array.from([...b, 0]))).toThrow(/trailing/);
    // Swap two values of the last level: out of order.
    expect(
      bad((b) => {
        const tail = b.length - 16;
        const x = b.slice(tail, tail + 8);
        b.copyWithin(tail, tail + 8, tail + 16);
        b.set(x, tail + 8);
        return b;
      }),
    ).toThrow(SketchFormatError);
    expect(() => QuantileSketch.deserialize(new Uint8Array(0))).toThrow(/too short/);
    const rand = seededRandom(5);
    for (let i = 0; i < 200; i++) {
      const garbage = Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () =>
        Math.floor(rand() * 256),
      );
      garbage[0] = 1;
      garbage[1] = 1;
      expect(() => QuantileSketch.deserialize(garbage)).toThrow(SketchFormatError);
    }
  });
});

describe('QuantileSketch degenerate input', () => {
  it('answers NaN when empty', () => {
    const s = new QuantileSketch();
    expect(s.count).toBe(0);
    expect(s.quantile(0.5)).toBeNaN();
    expect(s.rank(1)).toBeNaN();
    expect(s.min).toBeNaN();
    expect(s.cdf([1, 2])).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(QuantileSketch.deserialize(s.serialize()).serialize()).toEqual(s.serialize());
  });

  it('answers exactly for one value and for all-equal values', () => {
    for (const n of [1, 100_000]) {
      const s = sketchOf(new Float64Array(n).fill(3.5));
      for (const q of [0, 0.01, 0.5, 1]) expect(s.quantile(q)).toBe(3.5);
      expect(s.rank(3.5)).toBe(1);
      expect(s.rank(3.5, false)).toBe(0);
      expect(s.rank(3.4)).toBe(0);
    }
  });

  it('rejects NaN values and queries, and bad q', () => {
    const s = sketchOf([1, 2]);
    expect(() => s.update(Number.NaN)).toThrow(RangeError);
    expect(s.count).toBe(2);
    expect(() => s.rank(Number.NaN)).toThrow(RangeError);
    expect(() => s.quantile(1.5)).toThrow(RangeError);
    expect(() => s.quantile(Number.NaN)).toThrow(RangeError);
    expect(() => s.cdf([2, 1])).toThrow(RangeError);
    expect(() => s.update('1' as unknown as number)).toThrow(TypeError);
  });

  it('orders ±Infinity at the ends and stores -0 as 0', () => {
    const values = [Number.NEGATIVE_INFINITY, -0, 1, 2, Number.POSITIVE_INFINITY];
    const s = sketchOf(values);
    expect(s.min).toBe(Number.NEGATIVE_INFINITY);
    expect(s.max).toBe(Number.POSITIVE_INFINITY);
    expect(s.quantile(0.2)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(s.quantile(0.4), 0)).toBe(true);
    expect(s.quantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(s.rank(1e308)).toBe(0.8);
    expect(s.cdf([0, 1.5])).toEqual([0.4, 0.6, 1]);
  });

  it('answers exactly while nothing has been compacted', () => {
    const data = INPUTS.random!(399, seededRandom(8));
    const s = sketchOf(data);
    const sorted = sortedCopy(data);
    for (const x of sorted) expect(s.rank(x)).toBe(countBelow(sorted, x) / 399);
  });

  it('validates options', () => {
    expect(() => new QuantileSketch({ k: 4 })).toThrow(RangeError);
    expect(() => new QuantileSketch({ k: 100.5 })).toThrow(RangeError);
    expect(() => new QuantileSketch({ seed: -1 })).toThrow(RangeError);
  });
});
