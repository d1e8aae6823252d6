import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture } from '../../fixtures/load.js';
import { type Average, precisionRecallF1 } from './precision-recall-f1.js';

type L = string | number;
interface Prf {
  precision: number;
  recall: number;
  f1: number;
}
const fx = loadFixture<{
  classification: {
    name: string;
    truth: L[];
    pred: L[];
    positiveLabel: L | null;
    prf: Record<Average, Prf>;
  }[];
}>('metrics.json');

describe('precisionRecallF1 against sklearn precision_recall_fscore_support (zero_division=0)', () => {
  for (const c of fx.classification) {
    for (const [average, want] of Object.entries(c.prf)) {
      it(`${c.name} (${average})`, () => {
        const got = precisionRecallF1(c.truth, c.pred, {
          average: average as Average,
          ...(c.positiveLabel === null ? {} : { positiveLabel: c.positiveLabel }),
        });
        expectClose(got.precision, want.precision, 1e-12, 0, 'precision');
        expectClose(got.recall, want.recall, 1e-12, 0, 'recall');
        expectClose(got.f1, want.f1, 1e-12, 0, 'f1');
      });
    }
  }
});

describe('precisionRecallF1 degenerate inputs', () => {
  it('refuses binary averaging of more than two classes', () => {
    expect(() => precisionRecallF1([0, 1, 2], [0, 1, 2])).toThrow(/classes/);
  });
  it('needs positiveLabel for string labels and a valid one otherwise', () => {
    expect(() => precisionRecallF1(['a', 'b'], ['a', 'b'])).toThrow(/positiveLabel/);
    expect(() => precisionRecallF1([0, 1], [0, 1], { positiveLabel: 2 })).toThrow(/not one of/);
    expect(() => precisionRecallF1([0, 1], [0, 1], { positiveLabel: '1' })).toThrow(TypeError);
  });
  it('scores 0 when the positive class never occurs', () => {
    expect(precisionRecallF1([0, 0], [0, 0])).toEqual({ precision: 0, recall: 0, f1: 0 });
  });
  it('rejects an unknown average and empty input', () => {
    expect(() => precisionRecallF1([0], [0], { average: 'samples' as Average })).toThrow(RangeError);
    expect(() => precisionRecallF1([], [])).toThrow(RangeError);
  });
});
