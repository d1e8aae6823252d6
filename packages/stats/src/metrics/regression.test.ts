import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { mae, r2, rmse } from './regression.js';

const fx = loadFixture<{
  regression: { name: string; truth: number[]; pred: number[]; mae: number; rmse: number; r2: number }[];
}>('metrics.json');

describe('regression metrics against scikit-learn', () => {
  for (const c of fx.regression) {
    it(c.name, () => {
      expectClose(mae(c.truth, c.pred), c.mae, 1e-12, 0, 'mae');
      expectClose(rmse(c.truth, c.pred), c.rmse, 1e-12, 0, 'rmse');
      expectClose(r2(c.truth, c.pred), c.r2, 1e-12, 0, 'r2');
    });
  }
});

describe('regression metrics degenerate inputs', () => {
  it('rejects empty, mismatched and non-finite inputs', () => {
    expect(() => mae([], [])).toThrow(RangeError);
    expect(() => rmse([1, 2], [1])).toThrow(/length/);
    expect(() => mae([Number.NaN], [1])).toThrow(/finite/);
    expect(() => rmse([Infinity], [1])).toThrow(/finite/);
  });
  it('r2 needs two values; a constant truth gives 1 (perfect) or 0', () => {
    expect(() => r2([1], [1])).toThrow(/at least 2/);
    expect(r2([2, 2], [2, 2])).toBe(1);
    expect(r2([2, 2], [2, 3])).toBe(0);
  });
});
