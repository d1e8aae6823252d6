import { describe, expect, it } from 'vitest';
import { SketchFormatError } from './bytes.js';
import { HyperLogLog } from './hyperloglog.js';
import { seededRandom } from './test-support.js';

function hllOf(values: Iterable<string | number | boolean>, precision?: number): HyperLogLog {
  const h = new HyperLogLog(precision === undefined ? {} : { precision });
  for (const v of values) h.update(v);
  return h;
}

function* range(from: number, to: number, map: (i: number) => string | number = (i) => i) {
  for (let i = from; i < to; i++) yield map(i);
}

const relErr = (est: number, n: number) => Math.abs(est - n) / n;

describe('HyperLogLog accuracy', () => {
  it('estimates 10^6 distinct strings and numbers within 2%', () => {
    const strings = hllOf(range(0, 1_000_000, (i) => `user-${i}`));
    expect(relErr(strings.estimate(), 1e6)).toBeLessThanOrEqual(0.02);
    const rand = seededRandom(1);
    const numbers = hllOf(range(0, 1_000_000, (i) => i + rand() * 0.5));
    expect(relErr(numbers.estimate(), 1e6)).toBeLessThanOrEqual(0.02);
    const integers = hllOf(range(0, 1_000_000));
    expect(relErr(integers.estimate(), 1e6)).toBeLessThanOrEqual(0.02);
  });

  it('is within 2% across the small, middle and large ranges', () => {
    // Ertl's estimator has no switch-over points, so the error stays flat from linear counting up.
    for (const n of [10, 100, 1000, 5000, 12_000, 20_000, 50_000, 200_000, 3_000_000]) {
      const est = hllOf(range(0, n, (i) => `k${i}:${n}`)).estimate();
      expect(relErr(est, n), `n=${n}`).toBeLessThanOrEqual(n <= 1000 ? 0.01 : 0.02);
    }
  });

  it('is nearly exact for a handful of values', () => {
    expect(new HyperLogLog().estimate()).toBe(0);
    expect(Math.round(hllOf(['a']).estimate())).toBe(1);
    expect(Math.round(hllOf([1, '1', true, false]).estimate())).toBe(4);
  });

  it('ignores repeats and treats -0 as 0 and every NaN as one value', () => {
    const once = hllOf(range(0, 50_000));
    const many = new HyperLogLog();
    for (let r = 0; r < 5; r++) for (let i = 49_999; i >= 0; i--) many.update(i);
    expect(many.serialize()).toEqual(once.serialize());
    expect(hllOf([0, -0, Number.NaN, 0 / 0]).serialize()).toEqual(hllOf([0, Number.NaN]).serialize());
  });
});

describe('HyperLogLog merge', () => {
  it('is exact: 100 merged parts equal one sketch of the union, in any order', () => {
    const parts = Array.from({ length: 100 }, (_, p) => hllOf(range(p * 10_000, (p + 1) * 10_000 + 500)));
    const whole = hllOf(range(0, 1_000_500));
    const forward = new HyperLogLog();
    for (const p of parts) forward.merge(p);
    const backward = new HyperLogLog();
    for (const p of [...parts].reverse()) backward.merge(p);
    expect(forward.serialize()).toEqual(whole.serialize());
    expect(backward.serialize()).toEqual(whole.serialize());
    expect(relErr(forward.estimate(), 1_000_500)).toBeLessThanOrEqual(0.02);
  });

  it('merges a higher precision down exactly as if built at the lower precision', () => {
    const values = [...range(0, 30_000, (i) => `v${i}`)];
    const direct = hllOf(values, 12);
    const fine = hllOf(values, 14);
    expect(new HyperLogLog({ precision: 12 }).merge(fine).serialize()).toEqual(direct.serialize());
    const coarse = hllOf([], 12);
    expect(hllOf(values, 14).merge(coarse).serialize()).toEqual(direct.serialize());
  });
});

describe('HyperLogLog serialization', () => {
  it('fits 10^6 distinct values in ≤ 16 KiB and small sketches in a few bytes', () => {
    const big = hllOf(range(0, 1_000_000)).serialize();
    expect(big.length).toBe(12_292);
    expect(big.length).toBeLessThanOrEqual(16 * 1024);
    expect(new HyperLogLog().serialize().length).toBe(5);
    expect(hllOf(range(0, 100)).serialize().length).toBeLessThan(400);
  });

  it('round-trips to identical bytes and estimates, dense and sparse', () => {
    for (const n of [0, 1, 100, 2000, 5000, 200_000]) {
      const h = hllOf(range(0, n, (i) => `s${i}`));
      const bytes = h.serialize();
      const copy = HyperLogLog.deserialize(bytes);
      expect(copy.serialize()).toEqual(bytes);
      expect(copy.estimate()).toBe(h.estimate());
    }
  });

  it('rejects unknown versions, bad registers, non-canonical encodings and garbage', () => {
    const dense = hllOf(range(0, 100_000)).serialize();
    const sparse = hllOf(range(0, 100)).serialize();
    expect([dense[0], dense[1], dense[2], dense[3], sparse[3]]).toEqual([1, 2, 14, 0, 1]);
    const bad = (bytes: Uint8Array, mutate: (b: Uint8Array) => void) => () => {
      const b = bytes.slice();
      mutate(b);
      return HyperLogLog.deserialize(b);
    };
    expect(bad(dense, (b) => (b[0] = 0))).toThrow(/unsupported format version 0/);
    expect(bad(dense, (b) => (b[1] = 3))).toThrow(/FrequentItems, not a HyperLogLog/);
    expect(bad(dense, (b) => (b[2] = 30))).toThrow(/precision 30/);
    expect(bad(dense, (b) => (b[3] = 7))).toThrow(/unknown register encoding/);
    expect(bad(dense, (b) => (b[4] = 63))).toThrow(/register exceeds 51/);
    expect(bad(sparse, (b) => (b[b.length - 1] = 0))).toThrow(SketchFormatError);
    expect(() => HyperLogLog.deserialize(dense.subarray(0, 100))).toThrow(/truncated/);
    // A sparse sketch written in the dense form would re-serialize differently.
    const denseOfSparse = Uint8Array.from([...sparse.subarray(0, 3), 0, ...new Uint8Array(12_288)]);
    expect(() => HyperLogLog.deserialize(denseOfSparse)).toThrow(/not canonical/);
    const rand = seededRandom(2);
    for (let i = 0; i < 100; i++) {
      const garbage = Uint8Array.from({ length: 4 + Math.floor(rand() * 40) }, () =>
        Math.floor(rand() * 256),
      );
      garbage.set([1, 2, 14, 1]);
      expect(() => HyperLogLog.deserialize(garbage)).toThrow(SketchFormatError);
    }
  });

  it('validates options and values', () => {
    expect(() => new HyperLogLog({ precision: 3 })).toThrow(RangeError);
    expect(() => new HyperLogLog({ precision: 19 })).toThrow(RangeError);
    expect(() => new HyperLogLog().update({} as unknown as string)).toThrow(TypeError);
  });
});
