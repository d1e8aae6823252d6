import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { pairwiseAgreement, percentAgreement } from './percent-agreement.js';

type L = string | number;
const fx = loadFixture<{
  percent: { name: string; a: L[]; b: L[]; agreement: number }[];
  pBar: { name: string; ratings: L[][]; agreement: number }[];
}>('observed-agreement.json');

describe('percentAgreement against sklearn.metrics.accuracy_score', () => {
  for (const c of fx.percent) {
    it(c.name, () => expectClose(percentAgreement(c.a, c.b), c.agreement, 1e-12, 1e-15));
  }
});

describe("percentAgreement worked example (Wikipedia, 'Cohen's kappa')", () => {
  it('20 yes/yes and 15 no/no of 50 items is 0.7', () => {
    const a = [...Array(25).fill('Yes'), ...Array(25).fill('No')];
    const b = [
      ...Array(20).fill('Yes'),
      ...Array(5).fill('No'),
      ...Array(10).fill('Yes'),
      ...Array(15).fill('No'),
    ];
    expectClose(percentAgreement(a, b), 0.7, 1e-14);
  });
});

describe("pairwiseAgreement against Fleiss' P-bar in numpy", () => {
  for (const c of fx.pBar) {
    it(c.name, () => expectClose(pairwiseAgreement(c.ratings), c.agreement, 1e-12, 1e-15));
  }
});

describe("pairwiseAgreement worked example (Wikipedia, 'Fleiss' kappa')", () => {
  // Ten subjects, fourteen raters, five categories: P-bar is 0.378.
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
  const ratings = table.map((row) => row.flatMap((n, category) => Array<number>(n).fill(category + 1)));
  it('P-bar is 0.378', () => expect(pairwiseAgreement(ratings).toFixed(3)).toBe('0.378'));
});

describe('observed agreement degenerate inputs', () => {
  it('leaves out subjects with one rating and throws when none has two', () => {
    expect(pairwiseAgreement([['a'], ['a', 'a'], ['a', 'b']])).toBe(0.5);
    expect(() => pairwiseAgreement([['a'], []])).toThrow(RangeError);
  });
  it('rejects mismatched or empty pairs', () => {
    expect(() => percentAgreement([1], [1, 2])).toThrow(/length/);
    expect(() => percentAgreement([], [])).toThrow(RangeError);
  });
});
