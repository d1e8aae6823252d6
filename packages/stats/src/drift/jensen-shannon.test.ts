import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { jensenShannon } from './jensen-shannon.js';

const fx = loadFixture<{
  jensenShannon: { name: string; p: number[]; q: number[]; base: number; value: number }[];
}>('drift.json');

describe('jensenShannon against scipy.spatial.distance.jensenshannon', () => {
  for (const c of fx.jensenShannon) {
    it(c.name, () => expectClose(jensenShannon(c.p, c.q, { base: c.base }), c.value, 1e-9, 1e-15, c.name));
  }
});

describe('jensenShannon degenerate inputs', () => {
  it('is 0 for identical and 1 (base 2) for disjoint distributions', () => {
    expect(jensenShannon([1, 1], [2, 2])).toBe(0);
    expectClose(jensenShannon([1, 0], [0, 1]), 1, 1e-15);
  });
  it('rejects mismatched lengths, empty, negative, zero-sum, non-finite inputs and bad bases', () => {
    expect(() => jensenShannon([1], [1, 2])).toThrow(/length/);
    expect(() => jensenShannon([], [])).toThrow(RangeError);
    expect(() => jensenShannon([-1, 2], [1, 2])).toThrow(/>= 0/);
    expect(() => jensenShannon([0, 0], [1, 2])).toThrow(/positive sum/);
    expect(() => jensenShannon([Number.NaN, 1], [1, 2])).toThrow(RangeError);
    expect(() => jensenShannon([Infinity, 1], [1, 2])).toThrow(RangeError);
    expect(() => jensenShannon([1], [1], { base: 1 })).toThrow(/base/);
  });
});
