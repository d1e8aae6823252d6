import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { andersonKSample } from './anderson.js';

interface Case {
  name: string;
  samples: number[][];
  statistic: number;
  criticalValues: number[];
  significanceLevel: number;
}
const fx = loadFixture<{ anderson: Case[] }>('drift.json');

describe('andersonKSample against scipy.stats.anderson_ksamp (midrank)', () => {
  for (const c of fx.anderson) {
    it(c.name, () => {
      const r = andersonKSample(c.samples);
      expectClose(r.statistic, c.statistic, 1e-9, 1e-12, 'statistic');
      for (const [i, v] of r.criticalValues.entries())
        expectClose(v, c.criticalValues[i]!, 1e-12, 0, `critical ${i}`);
      // The interpolated level goes through a least-squares fit (numpy uses an SVD, here a
      // Householder QR); both are backward stable on this 7x3 system, agreeing to ~1e-13.
      expectClose(r.significanceLevel, c.significanceLevel, 1e-9, 0, 'significanceLevel');
    });
  }
});

describe('andersonKSample degenerate inputs', () => {
  it('needs two samples, four observations, two distinct values and no empty sample', () => {
    expect(() => andersonKSample([[1, 2, 3]])).toThrow(/two samples/);
    expect(() => andersonKSample([[1], [2, 3]])).toThrow(/4 observations/);
    expect(() =>
      andersonKSample([
        [1, 1],
        [1, 1],
      ]),
    ).toThrow(/distinct/);
    expect(() => andersonKSample([[], [1, 2, 3, 4]])).toThrow(RangeError);
    expect(() =>
      andersonKSample([
        [1, Number.NaN],
        [2, 3],
      ]),
    ).toThrow(/NaN/);
  });
  it('clips the significance level to [0.001, 0.25]', () => {
    const same = andersonKSample([
      [1, 2, 3, 4, 5, 6],
      [1, 2, 3, 4, 5, 6],
    ]);
    expect(same.significanceLevel).toBe(0.25);
    const apart = andersonKSample([
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    ]);
    expect(apart.significanceLevel).toBe(0.001);
  });
});
