import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { krippendorffAlpha, type MeasurementLevel } from './krippendorff-alpha.js';

const fx = loadFixture<{
  krippendorff: {
    name: string;
    data: (number | null)[][];
    alpha: Partial<Record<MeasurementLevel, number>>;
  }[];
}>('agreement.json');

describe('krippendorffAlpha against the coincidence-matrix formula in numpy', () => {
  for (const c of fx.krippendorff) {
    for (const [level, want] of Object.entries(c.alpha)) {
      it(`${c.name} (${level})`, () => {
        expectClose(krippendorffAlpha(c.data, { level: level as MeasurementLevel }), want, 1e-12, 1e-15);
      });
    }
  }
});

describe("krippendorffAlpha worked example (Krippendorff 2011, 'Computing Krippendorff's Alpha-Reliability')", () => {
  // Section C: four observers, twelve units, missing data; unit 12 has a single value.
  const _ = null;
  const data = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
  ];
  it.each([
    ['nominal', '0.743'],
    ['ordinal', '0.815'],
    ['interval', '0.849'],
    ['ratio', '0.797'],
  ] as const)('%s alpha is %s', (level, want) => {
    expect(krippendorffAlpha(data, { level }).toFixed(3)).toBe(want);
  });
  it('strings work for nominal data', () => {
    const named = data.map((row) => row.map((v) => (v === null ? null : `v${v}`)));
    expect(krippendorffAlpha(named).toFixed(3)).toBe('0.743');
  });
});

describe('krippendorffAlpha degenerate inputs', () => {
  it('throws without pairable units or with a single pairable value', () => {
    expect(() =>
      krippendorffAlpha([
        [1, null],
        [null, 2],
      ]),
    ).toThrow(/two or more/);
    expect(() =>
      krippendorffAlpha([
        [1, 1],
        [1, 1],
      ]),
    ).toThrow(/one distinct/);
  });
  it('rejects ragged data, non-numeric interval data, negative ratio data and non-finite values', () => {
    expect(() => krippendorffAlpha([[1, 2], [1]])).toThrow(TypeError);
    expect(() =>
      krippendorffAlpha(
        [
          ['a', 'b'],
          ['a', 'b'],
        ],
        { level: 'interval' },
      ),
    ).toThrow(TypeError);
    expect(() =>
      krippendorffAlpha(
        [
          [-1, 2],
          [1, 2],
        ],
        { level: 'ratio' },
      ),
    ).toThrow(/negative/);
    expect(() =>
      krippendorffAlpha([
        [Number.NaN, 2],
        [1, 2],
      ]),
    ).toThrow(/finite/);
    expect(() =>
      krippendorffAlpha(
        [
          [1, 2],
          [1, 2],
        ],
        { level: 'bogus' as 'nominal' },
      ),
    ).toThrow(/level/);
  });
});
