import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { cohenKappa } from './cohen-kappa.js';

type L = string | number;
const fx = loadFixture<{
  cohenKappa: {
    name: string;
    a: L[];
    b: L[];
    labels: L[] | null;
    none: number;
    linear: number;
    quadratic: number;
  }[];
}>('agreement.json');

describe('cohenKappa against sklearn.metrics.cohen_kappa_score', () => {
  for (const c of fx.cohenKappa) {
    for (const weights of ['none', 'linear', 'quadratic'] as const) {
      it(`${c.name} (${weights})`, () => {
        const got = cohenKappa(c.a, c.b, {
          ...(weights === 'none' ? {} : { weights }),
          ...(c.labels ? { labels: c.labels } : {}),
        });
        expectClose(got, c[weights], 1e-12, 1e-15);
      });
    }
  }
});

describe("cohenKappa worked example (Wikipedia, 'Cohen's kappa')", () => {
  it('50 items: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no gives 0.4', () => {
    const a = [...Array(25).fill('Yes'), ...Array(25).fill('No')];
    const b = [
      ...Array(20).fill('Yes'),
      ...Array(5).fill('No'),
      ...Array(10).fill('Yes'),
      ...Array(15).fill('No'),
    ];
    expectClose(cohenKappa(a, b), 0.4, 1e-14);
  });
});

describe('cohenKappa degenerate inputs', () => {
  it('throws when both raters use a single category', () => {
    expect(() => cohenKappa([1, 1], [1, 1])).toThrow(/undefined/);
  });
  it('rejects mismatched, empty and mixed inputs and unknown weights', () => {
    expect(() => cohenKappa([1], [1, 2])).toThrow(/length/);
    expect(() => cohenKappa([], [])).toThrow(RangeError);
    expect(() => cohenKappa([1, 'a'], [1, 'a'])).toThrow(TypeError);
    expect(() => cohenKappa([1, 2], [1, 2], { weights: 'cubic' as 'linear' })).toThrow(/weights/);
  });
});
