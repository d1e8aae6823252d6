import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { rocAuc } from './roc-auc.js';

type L = string | number;
const fx = loadFixture<{ rocAuc: { name: string; truth: L[]; scores: number[]; value: number }[] }>(
  'metrics.json',
);

describe('rocAuc against sklearn.metrics.roc_auc_score', () => {
  for (const c of fx.rocAuc) {
    it(c.name, () => expectClose(rocAuc(c.truth, c.scores), c.value, 1e-12));
  }
});

describe('rocAuc degenerate inputs', () => {
  it('needs both classes in truth', () => {
    expect(() => rocAuc([1, 1], [0.2, 0.3])).toThrow(/two classes/);
    expect(() => rocAuc([0, 1, 2], [0.2, 0.3, 0.4])).toThrow(/two classes/);
  });
  it('rejects NaN scores and mismatched lengths', () => {
    expect(() => rocAuc([0, 1], [0.2, Number.NaN])).toThrow(/NaN/);
    expect(() => rocAuc([0, 1], [0.2])).toThrow(/length/);
  });
  it('ranks infinite scores as extremes', () => {
    expect(rocAuc([0, 1, 0, 1], [-Infinity, Infinity, 0, Infinity])).toBe(1);
  });
});
