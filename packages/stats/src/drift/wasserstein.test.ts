import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { wasserstein } from './wasserstein.js';

const fx = loadFixture<{ wasserstein: { name: string; u: number[]; v: number[]; value: number }[] }>(
  'drift.json',
);

describe('wasserstein against scipy.stats.wasserstein_distance', () => {
  for (const c of fx.wasserstein) {
    it(c.name, () => {
      expectClose(wasserstein(c.u, c.v), c.value, 1e-9, 1e-15, c.name);
      expectClose(wasserstein(c.v, c.u), c.value, 1e-9, 1e-15, `${c.name} (swapped)`);
    });
  }
});

describe('wasserstein degenerate inputs', () => {
  it('is 0 for one equal value', () => expect(wasserstein([4], [4])).toBe(0));
  it('rejects empty, NaN and infinite values', () => {
    expect(() => wasserstein([], [1])).toThrow(RangeError);
    expect(() => wasserstein([1], [Number.NaN])).toThrow(/NaN/);
    expect(() => wasserstein([1], [Infinity])).toThrow(/finite/);
  });
});
