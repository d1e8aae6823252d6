import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { logLoss } from './log-loss.js';

type L = string | number;
const fx = loadFixture<{
  logLoss: {
    name: string;
    truth: L[];
    probs: number[] | number[][];
    labels?: L[];
    eps?: number;
    value: number;
  }[];
}>('metrics.json');

describe('logLoss against sklearn.metrics.log_loss (scikit-learn 1.2)', () => {
  for (const c of fx.logLoss) {
    it(c.name, () => {
      const got = logLoss(c.truth, c.probs, {
        ...(c.labels ? { labels: c.labels } : {}),
        ...(c.eps === undefined ? {} : { eps: c.eps }),
      });
      expectClose(got, c.value, 1e-12);
    });
  }
});

describe('logLoss degenerate inputs', () => {
  it('needs two classes unless labels are given', () => {
    expect(() => logLoss([1, 1], [0.5, 0.5])).toThrow(/two classes/);
    expectClose(logLoss([1, 1], [0.5, 0.5], { labels: [0, 1] }), Math.LN2, 1e-15);
  });
  it('rejects probabilities outside [0, 1], NaN, wrong widths and unknown truth labels', () => {
    expect(() => logLoss([0, 1], [0.5, 1.5])).toThrow(/probability/);
    expect(() => logLoss([0, 1], [0.5, Number.NaN])).toThrow(/probability/);
    expect(() => logLoss([0, 1, 2], [0.5, 0.5, 0.5])).toThrow(/row/);
    expect(() => logLoss([0, 1], [[0.5, 0.5], [0.5]])).toThrow(/entries/);
    expect(() => logLoss([0, 3], [0.5, 0.5], { labels: [0, 1] })).toThrow(/not one of/);
    expect(() => logLoss([], [])).toThrow(RangeError);
  });
});
