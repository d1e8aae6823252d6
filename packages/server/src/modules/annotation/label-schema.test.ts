import { describe, expect, it } from 'vitest';
import { itemAgreement, majority } from './agreement.js';
import { SCHEMA_YAML } from './annotation.test-kit.js';
import { wantsGold } from './gold-mixing.js';
import { checkLabel, matchesGold, parseLabelSchema } from './label-schema.js';

const schema = parseLabelSchema(SCHEMA_YAML);
const data = { text: 'Ada works at Acme' };

describe('label schemas', () => {
  it('report every problem with its place and line', () => {
    const bad = `questions:
  - name: mood
    type: single_choice
    choices: [up, down]
    shortcuts: { sideways: s }
  - name: mood
    type: scale
    min: 5
    max: 1
`;
    expect(() => parseLabelSchema(bad)).toThrow(
      /questions\.0\.shortcuts\.sideways: sideways is not a choice \(line 5\).*questions\.1\.name: mood appears twice \(line 6\).*questions\.1\.max: a scale needs min < max/,
    );
    expect(() => parseLabelSchema('questions: []')).toThrow(/questions/);
    expect(() => parseLabelSchema('questions:\n  - { name: x, type: rating }')).toThrow(/line 2/);
  });

  it('check labels and keep them in one canonical form', () => {
    const value = checkLabel(
      schema,
      {
        sentiment: 'positive',
        rating: 5,
        entities: [
          { start: 13, end: 17, label: 'ORG' },
          { start: 0, end: 3, label: 'PER' },
          { start: 0, end: 3, label: 'PER' },
        ],
      },
      data,
    );
    expect(value).toEqual({
      sentiment: 'positive',
      rating: 5,
      entities: [
        { start: 0, end: 3, label: 'PER' },
        { start: 13, end: 17, label: 'ORG' },
      ],
      note: '',
    });
    expect(() =>
      checkLabel(
        schema,
        { sentiment: 'great', rating: 6, entities: [{ start: 10, end: 40, label: 'PER' }], extra: 1 },
        data,
      ),
    ).toThrow(
      /extra: not a question.*sentiment: one of positive, negative, neutral.*rating: an integer from 1 to 5.*entities: span 10-40 is not within the 17 characters of text/,
    );
  });

  it('compare with gold answers on every question but free text', () => {
    const gold = checkLabel(schema, { sentiment: 'negative', rating: 2, entities: [], note: 'a' }, data);
    expect(matchesGold(schema, { ...gold, note: 'something else' }, gold)).toBe(true);
    expect(matchesGold(schema, { ...gold, rating: 3 }, gold)).toBe(false);
  });
});

describe('item agreement and majorities', () => {
  const v = (sentiment: string, rating = 3, entities: unknown[] = []) => ({
    sentiment,
    rating,
    entities,
    note: '',
  });
  it('take the share of agreeing pairs, the lowest over the questions compared', () => {
    // Two of three agree on sentiment: 1 agreeing pair of 3.
    expect(itemAgreement(schema, [v('positive'), v('positive'), v('negative')])).toBeCloseTo(1 / 3, 12);
    // Sentiment all agree; ratings 3, 3, 4 agree in 1 pair of 3.
    expect(itemAgreement(schema, [v('positive'), v('positive', 3), v('positive', 4)])).toBeCloseTo(1 / 3, 12);
    expect(itemAgreement(schema, [v('positive')])).toBeNull();
    // Spans: one annotator marked one span, the other two nothing: F1 0, 0 and 1 (both empty).
    const span = [{ start: 0, end: 3, label: 'PER' }];
    expect(itemAgreement(schema, [v('positive', 3, span), v('positive'), v('positive')])).toBeCloseTo(
      1 / 3,
      12,
    );
  });
  it('need a unique first place, and keep spans most annotators marked', () => {
    const span = { start: 0, end: 3, label: 'PER' };
    const other = { start: 4, end: 9, label: 'PER' };
    const m = majority(schema, [
      v('positive', 3, [span]),
      v('positive', 4, [span, other]),
      v('negative', 4, []),
    ]);
    expect(m.value).toMatchObject({ sentiment: 'positive', rating: 4, entities: [span] });
    expect(m.share).toBeCloseTo(2 / 3, 12);
    expect(majority(schema, [v('positive'), v('negative')]).share).toBe(0);
  });
});

describe('gold mixing', () => {
  it('stays within one and a half items of the rate, whatever the draws', () => {
    for (const draw of [() => 0, () => 0.999, () => 0.5]) {
      let gold = 0;
      for (let served = 0; served < 200; served++) {
        if (wantsGold(gold, served, 0.2, draw())) gold += 1;
        expect(Math.abs(gold - 0.2 * (served + 1))).toBeLessThanOrEqual(1.5);
      }
    }
    expect(wantsGold(0, 10, 0, 0)).toBe(false);
  });
});
