import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { estimateBinaryPerformance, fitCalibrator } from './cbpe.js';

interface Window {
  scores: number[];
  predictions: number[];
  calibrated: number[];
  estimate: Record<'tp' | 'fp' | 'fn' | 'tn' | 'accuracy' | 'precision' | 'recall' | 'f1', number>;
  realisedAccuracy: number;
}
const fx = loadFixture<{
  cbpe: { name: string; referenceScores: number[]; referenceTruth: number[]; windows: Window[] }[];
}>('estimation.json');

describe('CBPE against a NannyML-style reference computation (sklearn isotonic + numpy)', () => {
  for (const c of fx.cbpe) {
    it(c.name, () => {
      const calibrator = fitCalibrator(c.referenceScores, c.referenceTruth);
      for (const [k, w] of c.windows.entries()) {
        const p = calibrator.predictMany(w.scores);
        w.calibrated.forEach((v, i) => {
          expectClose(p[i]!, v, 1e-12, 1e-14, `window ${k} p[${i}]`);
        });
        const got = estimateBinaryPerformance(p, w.predictions);
        for (const key of Object.keys(w.estimate) as (keyof Window['estimate'])[]) {
          expectClose(got[key], w.estimate[key], 1e-12, 1e-12, `window ${k} ${key}`);
        }
        // The estimate is meant to track what the labels later show; with 150 predictions per
        // window the two stay within a few standard errors.
        expect(Math.abs(got.accuracy - w.realisedAccuracy)).toBeLessThan(0.12);
      }
    });
  }
});

describe('estimateBinaryPerformance', () => {
  it('weights predictions as repeated ones', () => {
    const a = estimateBinaryPerformance([0.9, 0.2], [1, 0], [3, 2]);
    const b = estimateBinaryPerformance([0.9, 0.9, 0.9, 0.2, 0.2], [1, 1, 1, 0, 0]);
    expect(a.accuracy).toBeCloseTo(b.accuracy, 14);
    expect(a.f1).toBeCloseTo(b.f1, 14);
  });
  it('rejects bad input', () => {
    expect(() => estimateBinaryPerformance([], [])).toThrow(/at least one/);
    expect(() => estimateBinaryPerformance([1.2], [1])).toThrow(/\[0, 1\]/);
    expect(() => fitCalibrator([0.1], [2])).toThrow(/0\/1/);
  });
});
