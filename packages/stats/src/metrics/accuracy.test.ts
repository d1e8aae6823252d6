import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { accuracy } from './accuracy.js';

type L = string | number;
const fx = loadFixture<{ classification: { name: string; truth: L[]; pred: L[]; accuracy: number }[] }>(
  'metrics.json',
);

describe('accuracy against sklearn.metrics.accuracy_score', () => {
  for (const c of fx.classification) {
    it(c.name, () => expectClose(accuracy(c.truth, c.pred), c.accuracy, 1e-12));
  }
});

describe('accuracy degenerate inputs', () => {
  it('rejects empty, mismatched, NaN and mixed-type labels', () => {
    expect(() => accuracy([], [])).toThrow(RangeError);
    expect(() => accuracy([1, 2], [1])).toThrow(/length/);
    expect(() => accuracy([Number.NaN], [1])).toThrow(/NaN/);
    expect(() => accuracy([1], [Infinity])).toThrow(/finite/);
    expect(() => accuracy([1, 'a'], [1, 'a'])).toThrow(TypeError);
    expect(() => accuracy([true as unknown as number], [1])).toThrow(TypeError);
  });
});
