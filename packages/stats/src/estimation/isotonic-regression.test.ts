import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { IsotonicRegression } from './isotonic-regression.js';

interface Case {
  name: string;
  x: number[];
  y: number[];
  weights: number[] | null;
  queries: number[];
  predictions: number[];
  fitted: number[];
}
const fx = loadFixture<{ isotonic: Case[] }>('estimation.json');

describe('IsotonicRegression against sklearn.isotonic.IsotonicRegression(out_of_bounds="clip")', () => {
  for (const c of fx.isotonic) {
    it(c.name, () => {
      const model = IsotonicRegression.fit(c.x, c.y, c.weights ?? undefined);
      c.queries.forEach((q, i) => {
        expectClose(model.predict(q), c.predictions[i]!, 1e-12, 1e-14, `${c.name} @ ${q}`);
      });
      c.x.forEach((q, i) => {
        expectClose(model.predict(q), c.fitted[i]!, 1e-12, 1e-14, `${c.name} fitted @ ${q}`);
      });
    });
  }
});

describe('IsotonicRegression inputs', () => {
  it('is non-decreasing in its fitted values', () => {
    const model = IsotonicRegression.fit([1, 2, 3, 4, 5], [5, 1, 4, 2, 3]);
    for (let i = 1; i < model.ys.length; i++) expect(model.ys[i]!).toBeGreaterThanOrEqual(model.ys[i - 1]!);
  });
  it('leaves out points of weight 0 and rejects bad input', () => {
    expect(IsotonicRegression.fit([1, 2, 3], [0, 9, 1], [1, 0, 1]).predict(2)).toBe(0.5);
    expect(() => IsotonicRegression.fit([], [])).toThrow(/at least one/);
    expect(() => IsotonicRegression.fit([1, 2], [1])).toThrow(/length/);
    expect(() => IsotonicRegression.fit([1, Number.NaN], [1, 2])).toThrow(/finite/);
    expect(() => IsotonicRegression.fit([1, 2], [1, 2], [1, -1])).toThrow(/>= 0/);
  });
});
