import { describe, expect, it } from 'vitest';
import { loadFixture } from '../../fixtures/load.js';
import { histogram, quantileBins } from './bins.js';

interface Case {
  name: string;
  ref: number[];
  cur: number[];
  bins: number;
  edges: number[];
  refCounts: number[];
  curCounts: number[];
}
const fx = loadFixture<{ psi: Case[] }>('drift.json');

describe('quantileBins and histogram against numpy.quantile and searchsorted', () => {
  for (const c of fx.psi) {
    it(c.name, () => {
      // Same interpolation formula as numpy, so the edges agree to the last bit.
      expect(quantileBins(c.ref, { bins: c.bins })).toEqual(c.edges);
      expect(histogram(c.ref, c.edges)).toEqual(c.refCounts);
      expect(histogram(c.cur, c.edges)).toEqual(c.curCounts);
    });
  }
});

describe('bins degenerate inputs', () => {
  it('a constant reference gives one edge; no edges give one bin', () => {
    expect(quantileBins([5, 5, 5])).toEqual([5]);
    expect(quantileBins([5, 5, 5], { bins: 1 })).toEqual([]);
    expect(histogram([1, 5, 9], [])).toEqual([3]);
  });
  it('bins are closed on the left and open at both ends', () => {
    expect(histogram([-Infinity, 0, 1, 1.5, 2, Infinity], [1, 2])).toEqual([2, 2, 2]);
  });
  it('rejects bad edges, bins and values', () => {
    expect(() => histogram([1], [2, 1])).toThrow(/increasing/);
    expect(() => histogram([1], [1, 1])).toThrow(/increasing/);
    expect(() => histogram([1], [Number.NaN])).toThrow(/finite/);
    expect(() => histogram([Number.NaN], [1])).toThrow(/NaN/);
    expect(() => quantileBins([1, 2], { bins: 0 })).toThrow(RangeError);
    expect(() => quantileBins([1, 2], { bins: 2.5 })).toThrow(RangeError);
    expect(() => quantileBins([])).toThrow(RangeError);
    expect(() => quantileBins([1, Infinity])).toThrow(/finite/);
  });
  it('counts nothing for no values', () => expect(histogram([], [0])).toEqual([0, 0]));
});
