import { describe, expect, it } from 'vitest';
import { loadFixture } from '../../fixtures/load.js';
import { confusionMatrix } from './confusion-matrix.js';

type L = string | number;
const fx = loadFixture<{
  classification: { name: string; truth: L[]; pred: L[]; confusion: { labels: L[]; matrix: number[][] } }[];
  confusionExplicit: { truth: number[]; pred: number[]; labels: number[]; matrix: number[][] };
}>('metrics.json');

describe('confusionMatrix against sklearn.metrics.confusion_matrix', () => {
  for (const c of fx.classification) {
    it(c.name, () => expect(confusionMatrix(c.truth, c.pred)).toEqual(c.confusion));
  }
  it('explicit labels, in their order, ignoring unlisted labels', () => {
    const e = fx.confusionExplicit;
    expect(confusionMatrix(e.truth, e.pred, { labels: e.labels })).toEqual({
      labels: e.labels,
      matrix: e.matrix,
    });
  });
});

describe('confusionMatrix degenerate inputs', () => {
  it('rejects labels absent from truth, duplicates, empty label lists and mixed types', () => {
    expect(() => confusionMatrix([1, 2], [1, 2], { labels: [3] })).toThrow(/truth/);
    expect(() => confusionMatrix([1, 2], [1, 2], { labels: [1, 1] })).toThrow(/duplicates/);
    expect(() => confusionMatrix([1, 2], [1, 2], { labels: [] })).toThrow(RangeError);
    expect(() => confusionMatrix([1, 2], [1, 2], { labels: ['1'] })).toThrow(TypeError);
    expect(() => confusionMatrix([], [])).toThrow(RangeError);
  });
});
