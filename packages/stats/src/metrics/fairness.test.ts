import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { demographicParityDifference, equalizedOddsDifference } from './fairness.js';

type L = string | number;
const fx = loadFixture<{
  fairness: {
    name: string;
    truth: L[];
    pred: L[];
    group: L[];
    demographicParity: number;
    equalizedOdds: number;
  }[];
}>('metrics.json');

describe("fairness gaps against fairlearn's definitions evaluated in numpy", () => {
  for (const c of fx.fairness) {
    it(c.name, () => {
      expectClose(demographicParityDifference(c.pred, c.group), c.demographicParity, 1e-12, 0, 'dp');
      expectClose(equalizedOddsDifference(c.truth, c.pred, c.group), c.equalizedOdds, 1e-12, 0, 'eo');
    });
  }
});

describe('fairness worked examples and degenerate inputs', () => {
  it('selection rates 2/3 and 1/3 differ by 1/3', () => {
    expectClose(
      demographicParityDifference([1, 1, 0, 1, 0, 0], ['a', 'a', 'a', 'b', 'b', 'b']),
      1 / 3,
      1e-15,
    );
  });
  it('takes the larger of the TPR and FPR gaps', () => {
    // group a: TPR 1, FPR 0; group b: TPR 1/2, FPR 1
    const truth = [1, 0, 1, 1, 0];
    const pred = [1, 0, 1, 0, 1];
    expect(equalizedOddsDifference(truth, pred, ['a', 'a', 'b', 'b', 'b'])).toBe(1);
  });
  it('uses positiveLabel for string labels', () => {
    expect(equalizedOddsDifference(['y', 'n'], ['y', 'y'], [1, 2], { positiveLabel: 'y' })).toBe(1);
    expect(() => equalizedOddsDifference(['y', 'n'], ['y', 'y'], [1, 2])).toThrow(/positiveLabel/);
  });
  it('rejects non-binary labels, mismatched groups and empty input', () => {
    expect(() => equalizedOddsDifference([0, 1, 2], [0, 1, 2], [1, 1, 1])).toThrow(/binary/);
    expect(() => demographicParityDifference([0, 1], [1])).toThrow(/group/);
    expect(() => demographicParityDifference([], [])).toThrow(RangeError);
    expect(() => equalizedOddsDifference([0], [0, 1], [1, 1])).toThrow(/length/);
  });
});
