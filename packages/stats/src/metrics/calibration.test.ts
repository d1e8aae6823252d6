import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { expectedCalibrationError } from './calibration.js';

const fx = loadFixture<{
  ece: { name: string; probs: number[]; labels: number[]; bins: number; value: number }[];
}>('metrics.json');

describe('expectedCalibrationError against its definition evaluated in numpy', () => {
  for (const c of fx.ece) {
    it(c.name, () =>
      expectClose(expectedCalibrationError(c.probs, c.labels, { bins: c.bins }), c.value, 1e-12),
    );
  }
});

describe('expectedCalibrationError edge cases', () => {
  it('is 0 for perfectly calibrated bins and accepts booleans', () => {
    expect(expectedCalibrationError([0, 1], [false, true])).toBe(0);
    expectClose(expectedCalibrationError([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0]), 0, 0, 1e-17);
  });
  it('rejects bad probabilities, labels, bins and lengths', () => {
    expect(() => expectedCalibrationError([1.1], [1])).toThrow(/probability/);
    expect(() => expectedCalibrationError([0.5], [2])).toThrow(/labels/);
    expect(() => expectedCalibrationError([0.5], [1], { bins: 0 })).toThrow(/bins/);
    expect(() => expectedCalibrationError([0.5], [])).toThrow(/length/);
    expect(() => expectedCalibrationError([], [])).toThrow(RangeError);
  });
});
