import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { binomCdfHalf, chi2Sf, gammaQ, logGamma } from './distributions.js';

const fx = loadFixture<{
  special: {
    chi2Sf: [number, number, number][];
    gammaQ: [number, number, number][];
    logGamma: [number, number][];
    binomCdfHalf: [number, number, number][];
  };
}>('drift.json');

describe('special functions against scipy', () => {
  it('chi2.sf', () => {
    for (const [x, k, want] of fx.special.chi2Sf) expectClose(chi2Sf(x, k), want, 1e-9, 0, `x=${x} k=${k}`);
  });
  it('gammaincc', () => {
    for (const [a, x, want] of fx.special.gammaQ) expectClose(gammaQ(a, x), want, 1e-9, 0, `a=${a} x=${x}`);
  });
  it('gammaln', () => {
    for (const [a, want] of fx.special.logGamma) expectClose(logGamma(a), want, 1e-13, 1e-14, `a=${a}`);
  });
  it('binom.cdf(k, n, 0.5)', () => {
    for (const [k, n, want] of fx.special.binomCdfHalf) {
      expectClose(binomCdfHalf(k, n), want, 1e-9, 0, `k=${k} n=${n}`);
    }
  });
});

describe('special functions outside their domain', () => {
  it('returns NaN or the limit', () => {
    expect(chi2Sf(0, 3)).toBe(1);
    expect(chi2Sf(-1, 3)).toBe(1);
    expect(chi2Sf(1, 0)).toBeNaN();
    expect(gammaQ(-1, 1)).toBeNaN();
    expect(gammaQ(2, Infinity)).toBe(0);
    expect(logGamma(0)).toBeNaN();
    expect(binomCdfHalf(-1, 5)).toBe(0);
    expect(binomCdfHalf(5, 5)).toBe(1);
    expect(binomCdfHalf(1, 2.5)).toBeNaN();
  });
});
