import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { brierScore } from './brier-score.js';

type L = string | number;
const fx = loadFixture<{
  brier: { name: string; truth: L[]; probs: number[]; positiveLabel: L | null; value: number }[];
}>('metrics.json');

describe('brierScore against sklearn.metrics.brier_score_loss', () => {
  for (const c of fx.brier) {
    it(c.name, () => {
      const opts = c.positiveLabel === null ? {} : { positiveLabel: c.positiveLabel };
      expectClose(brierScore(c.truth, c.probs, opts), c.value, 1e-12);
    });
  }
});

describe('brierScore degenerate inputs', () => {
  it('rejects non-binary truth, string labels without positiveLabel, bad probabilities', () => {
    expect(() => brierScore([0, 1, 2], [0.1, 0.2, 0.3])).toThrow(/binary/);
    expect(() => brierScore(['a', 'b'], [0.1, 0.2])).toThrow(/positiveLabel/);
    expect(() => brierScore([0, 1], [0.1, 1.2])).toThrow(/probability/);
    expect(() => brierScore([0, 1], [0.1])).toThrow(/length/);
    expect(() => brierScore([], [])).toThrow(RangeError);
  });
});
