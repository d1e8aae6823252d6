import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { accuracy } from '../metrics/accuracy.js';
import { precisionRecallF1 } from '../metrics/precision-recall-f1.js';
import { pairedBootstrap } from './paired-bootstrap.js';

interface Case {
  name: string;
  metric: 'accuracy' | 'macroF1';
  truth: number[];
  predA: number[];
  predB: number[];
  iterations: number;
  seed: number;
  confidence: number;
  delta: number;
  low: number;
  high: number;
}
const fx = loadFixture<{ pairedBootstrap: Case[] }>('significance.json');
const metrics = {
  accuracy,
  macroF1: (t: number[], p: number[]) => precisionRecallF1(t, p, { average: 'macro' }).f1,
};

describe('pairedBootstrap against the same resamples scored by scikit-learn, numpy quantiles', () => {
  for (const c of fx.pairedBootstrap) {
    it(c.name, () => {
      const r = pairedBootstrap(metrics[c.metric], c.truth, c.predA, c.predB, {
        iterations: c.iterations,
        seed: c.seed,
        confidence: c.confidence,
      });
      expect(r.seed).toBe(c.seed);
      expectClose(r.delta, c.delta, 1e-12, 1e-15, 'delta');
      expectClose(r.low, c.low, 1e-12, 1e-15, 'low');
      expectClose(r.high, c.high, 1e-12, 1e-15, 'high');
    });
  }
});

describe('pairedBootstrap behaviour', () => {
  const truth = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1];
  const a = [1, 0, 0, 1, 0, 0, 0, 1, 1, 0];
  const b = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1];
  it('is reproducible from the returned seed', () => {
    const first = pairedBootstrap(accuracy, truth, a, b, { iterations: 50 });
    expect(pairedBootstrap(accuracy, truth, a, b, { iterations: 50, seed: first.seed })).toEqual(first);
  });
  it('delta is metric(B) - metric(A)', () => {
    const r = pairedBootstrap(accuracy, truth, a, b, { iterations: 10, seed: 1 });
    expectClose(r.delta, accuracy(truth, b) - accuracy(truth, a), 1e-15);
    expect(r.delta).toBeGreaterThan(0);
    expect(r.low).toBeLessThanOrEqual(r.high);
  });
  it('rejects bad options, lengths and NaN metrics', () => {
    expect(() => pairedBootstrap(accuracy, truth, a, b.slice(1))).toThrow(/length/);
    expect(() => pairedBootstrap(accuracy, [], [], [])).toThrow(/no items/);
    expect(() => pairedBootstrap(accuracy, truth, a, b, { iterations: 0 })).toThrow(/iterations/);
    expect(() => pairedBootstrap(accuracy, truth, a, b, { confidence: 1 })).toThrow(/confidence/);
    expect(() => pairedBootstrap(accuracy, truth, a, b, { seed: -3 })).toThrow(/seed/);
    expect(() => pairedBootstrap(() => Number.NaN, truth, a, b, { seed: 1 })).toThrow(/NaN/);
  });
});
