import { describe, expect, it } from 'vitest';
import { loadFixture } from '../../fixtures/load.js';
import { Xoshiro128 } from './prng.js';

const fx = loadFixture<{ prng: { state1234: number[]; seeds: Record<string, number[]> } }>(
  'significance.json',
);

describe('xoshiro128**', () => {
  it('matches the reference algorithm from state {1, 2, 3, 4}', () => {
    const g = new Xoshiro128([1, 2, 3, 4]);
    // 11520, 0, 5927040, 70819200, ... are also the published first outputs for this state.
    expect(Array.from({ length: 8 }, () => g.nextUint32())).toEqual(fx.prng.state1234);
  });
  it('seeds through SplitMix64 as the Python reference does', () => {
    for (const [seed, want] of Object.entries(fx.prng.seeds)) {
      const g = Xoshiro128.fromSeed(Number(seed));
      expect(Array.from({ length: want.length }, () => g.nextUint32())).toEqual(want);
    }
  });
  it('draws unbiased integers in range', () => {
    const g = Xoshiro128.fromSeed(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[g.nextInt(3)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
  });
  it('rejects bad seeds and an all-zero state', () => {
    expect(() => Xoshiro128.fromSeed(-1)).toThrow(RangeError);
    expect(() => Xoshiro128.fromSeed(2 ** 32)).toThrow(RangeError);
    expect(() => Xoshiro128.fromSeed(1.5)).toThrow(RangeError);
    expect(() => new Xoshiro128([0, 0, 0, 0])).toThrow(RangeError);
  });
});
