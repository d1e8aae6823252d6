import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { mcnemar } from './mcnemar.js';

interface Res {
  statistic: number;
  pValue: number;
}
const fx = loadFixture<{ mcnemar: ({ table: number[][] } & Record<string, Res>)[] }>('significance.json');

const variants = {
  exactCorrected: { exact: true, correction: true },
  exact: { exact: true, correction: false },
  chi2Corrected: { exact: false, correction: true },
  chi2: { exact: false, correction: false },
} as const;

describe('mcnemar against statsmodels.stats.contingency_tables.mcnemar', () => {
  for (const c of fx.mcnemar) {
    for (const [key, opts] of Object.entries(variants)) {
      const want = c[key];
      if (!want) continue;
      it(`${JSON.stringify(c.table)} ${key}`, () => {
        const got = mcnemar(c.table, opts);
        expectClose(got.statistic, want.statistic, 1e-12, 0, 'statistic');
        expectClose(got.pValue, want.pValue, 1e-9, 0, 'pValue');
      });
    }
  }
});

describe('mcnemar degenerate inputs', () => {
  it('defaults to the exact test', () => {
    expect(
      mcnemar([
        [10, 5],
        [3, 12],
      ]),
    ).toEqual(
      mcnemar(
        [
          [10, 5],
          [3, 12],
        ],
        { exact: true },
      ),
    );
  });
  it('throws for the chi-square version without discordant pairs', () => {
    expect(
      mcnemar([
        [3, 0],
        [0, 4],
      ]),
    ).toEqual({ statistic: 0, pValue: 1 });
    expect(() =>
      mcnemar(
        [
          [3, 0],
          [0, 4],
        ],
        { exact: false },
      ),
    ).toThrow(/discordant/);
  });
  it('rejects non-2x2 tables and non-integer or negative counts', () => {
    expect(() =>
      mcnemar([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ).toThrow(TypeError);
    expect(() => mcnemar([[1, 2]])).toThrow(TypeError);
    expect(() =>
      mcnemar([
        [1, 2.5],
        [3, 4],
      ]),
    ).toThrow(RangeError);
    expect(() =>
      mcnemar([
        [1, -2],
        [3, 4],
      ]),
    ).toThrow(RangeError);
    expect(() =>
      mcnemar([
        [1, Number.NaN],
        [3, 4],
      ]),
    ).toThrow(RangeError);
  });
});
