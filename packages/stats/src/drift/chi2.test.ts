import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { chi2Contingency } from './chi2.js';

interface Res {
  statistic: number;
  pValue: number;
  dof: number;
}
const fx = loadFixture<{
  chi2Contingency: { name: string; table: number[][]; plain: Res; corrected: Res }[];
}>('drift.json');

describe('chi2Contingency against scipy.stats.chi2_contingency (zero rows/columns dropped)', () => {
  for (const c of fx.chi2Contingency) {
    for (const correction of [false, true]) {
      it(`${c.name}${correction ? ' (Yates)' : ''}`, () => {
        const want = correction ? c.corrected : c.plain;
        const got = chi2Contingency(c.table, { correction });
        expect(got.dof).toBe(want.dof);
        expectClose(got.statistic, want.statistic, 1e-9, 1e-12, 'statistic');
        expectClose(got.pValue, want.pValue, 1e-9, 0, 'pValue');
      });
    }
  }
});

describe('chi2Contingency degenerate inputs', () => {
  it('defaults to no Yates correction', () => {
    expect(
      chi2Contingency([
        [10, 20],
        [30, 25],
      ]).statistic,
    ).toBe(
      chi2Contingency(
        [
          [10, 20],
          [30, 25],
        ],
        { correction: false },
      ).statistic,
    );
  });
  it('rejects ragged, empty, negative, non-finite and all-zero tables', () => {
    expect(() => chi2Contingency([[1, 2], [3]])).toThrow(TypeError);
    expect(() => chi2Contingency([])).toThrow(TypeError);
    expect(() =>
      chi2Contingency([
        [1, -2],
        [3, 4],
      ]),
    ).toThrow(RangeError);
    expect(() =>
      chi2Contingency([
        [1, Number.NaN],
        [3, 4],
      ]),
    ).toThrow(RangeError);
    expect(() =>
      chi2Contingency([
        [1, Infinity],
        [3, 4],
      ]),
    ).toThrow(RangeError);
    expect(() =>
      chi2Contingency([
        [0, 0],
        [0, 0],
      ]),
    ).toThrow(/no observations/);
  });
});
