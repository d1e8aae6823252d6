import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { type Span, type SpanAgreement, spanF1 } from './span-f1.js';

const fx = loadFixture<{
  spans: { name: string; items: { a: Span[]; b: Span[] }[]; exact: SpanAgreement; overlap: SpanAgreement }[];
}>('observed-agreement.json');

describe('spanF1 against scikit-learn (exact) and the definition of Hripcsak & Rothschild (overlap)', () => {
  for (const c of fx.spans) {
    for (const match of ['exact', 'overlap'] as const) {
      it(`${c.name} (${match})`, () => {
        const got = spanF1(c.items, match);
        for (const k of ['precision', 'recall', 'f1'] as const) {
          expectClose(got[k], c[match][k], 1e-12, 1e-15, k);
        }
      });
    }
  }
});

describe('spanF1 worked by hand', () => {
  // a marks PER 0-5 and ORG 10-14; b marks PER 0-5, ORG 11-14 and LOC 20-25.
  const a: Span[] = [
    { start: 0, end: 5, label: 'PER' },
    { start: 10, end: 14, label: 'ORG' },
  ];
  const b: Span[] = [
    { start: 0, end: 5, label: 'PER' },
    { start: 11, end: 14, label: 'ORG' },
    { start: 20, end: 25, label: 'LOC' },
  ];
  it('exact: one shared span, precision 1/3, recall 1/2, F1 0.4', () => {
    const r = spanF1([{ a, b }], 'exact');
    expectClose(r.precision, 1 / 3, 1e-15);
    expectClose(r.recall, 0.5, 1e-15);
    expectClose(r.f1, 0.4, 1e-15);
  });
  it('overlap: the shifted ORG counts, precision 2/3, recall 1, F1 0.8', () => {
    const r = spanF1([{ a, b }], 'overlap');
    expectClose(r.precision, 2 / 3, 1e-15);
    expectClose(r.recall, 1, 1e-15);
    expectClose(r.f1, 0.8, 1e-15);
  });
  it('is symmetric in F1, and touching spans do not overlap', () => {
    expectClose(spanF1([{ a: b, b: a }], 'exact').f1, 0.4, 1e-15);
    const touch = spanF1(
      [{ a: [{ start: 0, end: 5, label: 'X' }], b: [{ start: 5, end: 9, label: 'X' }] }],
      'overlap',
    );
    expect(touch.f1).toBe(0);
  });
});

describe('spanF1 degenerate inputs', () => {
  it('throws when nobody marked a span, and on malformed spans', () => {
    expect(() => spanF1([{ a: [], b: [] }])).toThrow(RangeError);
    expect(() => spanF1([{ a: [{ start: 3, end: 3, label: 'X' }], b: [] }])).toThrow(RangeError);
    expect(() => spanF1([{ a: [{ start: 0.5, end: 3, label: 'X' }], b: [] }])).toThrow(TypeError);
  });
  it('counts a repeated span once', () => {
    const s = { start: 0, end: 2, label: 'X' };
    expect(spanF1([{ a: [s, s], b: [s] }]).f1).toBe(1);
  });
});
