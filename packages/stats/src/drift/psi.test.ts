import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { psi } from './psi.js';

interface Case {
  name: string;
  ref: number[];
  cur: number[];
  bins: number;
  edges: number[];
  refCounts: number[];
  curCounts: number[];
  value: number;
}
const fx = loadFixture<{ psi: Case[] }>('drift.json');

describe('psi against its definition evaluated in numpy', () => {
  for (const c of fx.psi) {
    it(c.name, () => {
      const r = psi(c.ref, c.cur, { bins: c.bins });
      expect(r.edges).toEqual(c.edges);
      expect(r.refCounts).toEqual(c.refCounts);
      expect(r.curCounts).toEqual(c.curCounts);
      expectClose(r.value, c.value, 1e-9, 1e-15, 'psi');
      const again = psi(c.ref, c.cur, { edges: c.edges });
      expectClose(again.value, c.value, 1e-9, 1e-15, 'psi with explicit edges');
    });
  }
});

describe('psi edge cases', () => {
  it('is 0 for identical samples', () => expect(psi([1, 2, 3, 4], [1, 2, 3, 4]).value).toBe(0));
  it('replaces an empty bin by epsilon', () => {
    // p = (1, eps) vs q = (eps, 1) over edges [0.5]
    const r = psi([0], [1], { edges: [0.5], epsilon: 0.01 });
    expectClose(r.value, 2 * (1 - 0.01) * Math.log(1 / 0.01), 1e-12);
  });
  it('rejects empty samples, bad epsilon and bad edges', () => {
    expect(() => psi([], [1])).toThrow(RangeError);
    expect(() => psi([1], [])).toThrow(RangeError);
    expect(() => psi([1], [1], { epsilon: 0 })).toThrow(RangeError);
    expect(() => psi([1], [1], { edges: [2, 1] })).toThrow(/increasing/);
    expect(() => psi([1], [Number.NaN])).toThrow(/NaN/);
  });
});
