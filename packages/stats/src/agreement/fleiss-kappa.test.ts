import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { fleissKappa, fleissKappaFromRatings } from './fleiss-kappa.js';

type L = string | number;
const fx = loadFixture<{ fleiss: { name: string; ratings?: L[][]; table: number[][]; value: number }[] }>(
  'agreement.json',
);

describe('fleissKappa against statsmodels fleiss_kappa / aggregate_raters', () => {
  for (const c of fx.fleiss) {
    it(c.name, () => {
      expectClose(fleissKappa(c.table), c.value, 1e-12, 1e-15, 'from table');
      if (c.ratings) expectClose(fleissKappaFromRatings(c.ratings), c.value, 1e-12, 1e-15, 'from ratings');
    });
  }
});

describe("fleissKappa worked example (Wikipedia, 'Fleiss' kappa')", () => {
  it('10 subjects, 14 raters, 5 categories gives 0.210', () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    // P̄ = 0.378, P̄e = 0.213 in the article; κ to three decimals.
    expect(fleissKappa(table).toFixed(3)).toBe('0.210');
  });
});

describe('fleissKappa degenerate inputs', () => {
  it('needs equal rating counts per subject, at least two, and more than one category used', () => {
    expect(() =>
      fleissKappa([
        [1, 2],
        [2, 2],
      ]),
    ).toThrow(/same number/);
    expect(() =>
      fleissKappa([
        [1, 0],
        [0, 1],
      ]),
    ).toThrow(/two ratings/);
    expect(() =>
      fleissKappa([
        [3, 0],
        [3, 0],
      ]),
    ).toThrow(/one category/);
    expect(() =>
      fleissKappaFromRatings([
        ['a', 'a'],
        ['a', 'a'],
      ]),
    ).toThrow(/one category/);
    expect(() => fleissKappaFromRatings([['a', 'b'], ['a']])).toThrow(/same number/);
  });
  it('rejects ragged, negative and fractional tables', () => {
    expect(() => fleissKappa([[1, 2], [3]])).toThrow(TypeError);
    expect(() => fleissKappa([])).toThrow(TypeError);
    expect(() =>
      fleissKappa([
        [1, -1],
        [0, 0],
      ]),
    ).toThrow(RangeError);
    expect(() =>
      fleissKappa([
        [1.5, 0.5],
        [1, 1],
      ]),
    ).toThrow(RangeError);
  });
});
