import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { kolmogorovSf } from './kolmogorov.js';
import { ks2samp } from './ks.js';
import { smirnovSf } from './smirnov.js';

interface KsFixture {
  cases: {
    name: string;
    ref: number[];
    cur: number[];
    results: Partial<Record<'auto' | 'exact' | 'asymp', { statistic: number; pValue: number }>>;
  }[];
  kstwoSf: [number, number, number][];
  smirnovSf: [number, number, number][];
}

const fx = loadFixture<KsFixture>('ks.json');

describe('ks2samp against scipy.stats.ks_2samp', () => {
  for (const c of fx.cases) {
    for (const [method, want] of Object.entries(c.results)) {
      it(`${c.name} (${method})`, () => {
        const got = ks2samp(c.ref, c.cur, { method: method as 'auto' | 'exact' | 'asymp' });
        expectClose(got.statistic, want.statistic, 1e-12, 0, 'statistic');
        expectClose(got.pValue, want.pValue, 1e-9, 0, 'pValue');
      });
    }
  }
});

describe('Kolmogorov distribution against scipy', () => {
  it('kstwo.sf over every branch of kolmogn', () => {
    for (const [n, x, want] of fx.kstwoSf) expectClose(kolmogorovSf(n, x), want, 1e-9, 0, `n=${n} x=${x}`);
  });
  it('special.smirnov', () => {
    for (const [n, x, want] of fx.smirnovSf) expectClose(smirnovSf(n, x), want, 1e-9, 0, `n=${n} x=${x}`);
  });
});

describe('ks2samp degenerate inputs', () => {
  it('rejects empty samples and NaN', () => {
    expect(() => ks2samp([], [1])).toThrow(RangeError);
    expect(() => ks2samp([1], [])).toThrow(RangeError);
    expect(() => ks2samp([1, Number.NaN], [1])).toThrow(/NaN/);
  });
  it('rejects the asymptotic method when n1 = n2 = 1', () => {
    expect(() => ks2samp([1], [2], { method: 'asymp' })).toThrow(RangeError);
  });
  it('rejects an unknown method and non-numbers', () => {
    expect(() => ks2samp([1], [2], { method: 'nope' as 'auto' })).toThrow(RangeError);
    expect(() => ks2samp(['a' as unknown as number], [2])).toThrow(TypeError);
  });
  it('accepts typed arrays', () => {
    const r = ks2samp(new Float64Array([1, 2, 3]), new Float64Array([4, 5, 6]));
    expect(r.statistic).toBe(1);
    expect(r.method).toBe('exact');
  });
});
