import type { AgreementReport, AnnotationLabel, AnnotationStatus, LabelValue } from '@plumb/sdk';
import {
  cohenKappa,
  fleissKappaFromRatings,
  krippendorffAlpha,
  pairwiseAgreement,
  percentAgreement,
  type Span,
  spanF1,
} from '@plumb/stats';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import {
  addDataset,
  addTasks,
  annotators,
  answer,
  createProject,
  label,
  next,
  reviewRows,
} from './annotation.test-kit.js';

const ada = (label: string, start = 21): Span => ({ start, end: start + 3, label });

// Per item, what each of three annotators answers: sentiment, rating, entities.
const SCRIPT: [string, number, Span[]][][] = [
  [
    ['positive', 4, [ada('PER')]],
    ['positive', 5, [ada('PER')]],
    ['positive', 4, [ada('PER')]],
  ],
  [
    ['negative', 2, []],
    ['neutral', 2, [ada('ORG')]],
    ['negative', 1, []],
  ],
  [
    ['neutral', 3, [ada('PER', 20)]],
    ['neutral', 3, [ada('PER')]],
    ['positive', 4, [ada('PER')]],
  ],
  [
    ['positive', 5, []],
    ['negative', 1, []],
    ['neutral', 3, [ada('ORG', 28)]],
  ],
  [
    ['negative', 1, [ada('PER'), ada('ORG', 28)]],
    ['negative', 2, [ada('PER')]],
    ['negative', 1, [ada('PER'), ada('ORG', 28)]],
  ],
];

describeEachBackend('annotation quality', (backend) => {
  let t: TestPlumb;
  afterEach(() => t.dispose());

  it('reports agreement equal to the statistics core on the same labels, per project and per pair', async () => {
    t = await createTestPlumb(backend);
    await addDataset(t, 'reviews', reviewRows(SCRIPT.length));
    await createProject(t, 'triple', { overlap: 3, adjudicationThreshold: 0 });
    await addTasks(t, 'triple', { source: 'dataset', version: 'reviews@v1' });
    const keys = await annotators(t, 3);
    for (const [k, key] of keys.entries()) {
      for (const row of SCRIPT) {
        const { task } = await next(t, 'triple', key);
        const [sentiment, rating, spans] = row[k]!;
        expect(
          (await label(t, 'triple', key, task!.itemId, answer(sentiment, rating, spans))).statusCode,
        ).toBe(201);
      }
    }
    const labels = (await t.call('GET', '/api/v1/annotation/projects/triple/labels?limit=100')).json()
      .items as AnnotationLabel[];
    expect(labels).toHaveLength(15);
    const report = (
      await t.call('GET', '/api/v1/annotation/projects/triple/agreement')
    ).json() as AgreementReport;

    // The expectation, computed from the labels as the API lists them.
    const coders = [...new Set(labels.map((l) => l.annotator))].sort();
    const items = [...new Set(labels.map((l) => l.itemId))];
    const value = (item: string, coder: string) =>
      labels.find((l) => l.itemId === item && l.annotator === coder)!.value;
    const column = (coder: string, q: string) => items.map((i) => value(i, coder)[q] as string | number);
    const [sentiment, rating, entities] = report.questions;
    const ratings = (q: string) => items.map((i) => coders.map((c) => value(i, c)[q] as string | number));
    expect(sentiment!.level).toBe('nominal');
    expect(sentiment!.percentAgreement).toBeCloseTo(pairwiseAgreement(ratings('sentiment')), 12);
    expect(sentiment!.fleissKappa).toBeCloseTo(fleissKappaFromRatings(ratings('sentiment')), 12);
    expect(sentiment!.krippendorffAlpha).toBeCloseTo(
      krippendorffAlpha(coders.map((c) => column(c, 'sentiment'))),
      12,
    );
    expect(rating!.level).toBe('ordinal');
    expect(rating!.krippendorffAlpha).toBeCloseTo(
      krippendorffAlpha(
        coders.map((c) => column(c, 'rating')),
        { level: 'ordinal' },
      ),
      12,
    );
    expect(sentiment!.pairs).toHaveLength(3);
    for (const pair of sentiment!.pairs) {
      expect(pair.items).toBe(items.length);
      expect(pair.percentAgreement).toBeCloseTo(
        percentAgreement(column(pair.a, 'sentiment'), column(pair.b, 'sentiment')),
        12,
      );
      expect(pair.cohenKappa).toBeCloseTo(
        cohenKappa(column(pair.a, 'sentiment'), column(pair.b, 'sentiment')),
        12,
      );
    }
    for (const pair of rating!.pairs) {
      const weighted = cohenKappa(column(pair.a, 'rating'), column(pair.b, 'rating'), {
        weights: 'linear',
        labels: [1, 2, 3, 4, 5],
      });
      expect(pair.cohenKappa).toBeCloseTo(weighted, 12);
    }
    expect(entities!.level).toBe('span');
    const spanItems = (a: string, b: string) =>
      items.map((i) => ({ a: value(i, a).entities as Span[], b: value(i, b).entities as Span[] }));
    for (const pair of entities!.pairs) {
      expect(pair.spanF1Exact).toBeCloseTo(spanF1(spanItems(pair.a, pair.b), 'exact').f1, 12);
      expect(pair.spanF1Overlap).toBeCloseTo(spanF1(spanItems(pair.a, pair.b), 'overlap').f1, 12);
    }
    expect(report.questions[3]).toMatchObject({ question: 'note', level: 'none', percentAgreement: null });

    // An annotator reads neither labels nor agreement.
    expect(
      (await t.call('GET', '/api/v1/annotation/projects/triple/labels', { key: keys[0]! })).statusCode,
    ).toBe(403);
    expect(
      (await t.call('GET', '/api/v1/annotation/projects/triple/status', { key: keys[0]! })).statusCode,
    ).toBe(403);
  });

  it('mixes gold items in at the rate, looking like tasks, and scores accuracy with its trend', async () => {
    t = await createTestPlumb(backend);
    await addDataset(t, 'reviews', reviewRows(48));
    await createProject(t, 'gold', { overlap: 1, goldRate: 0.25 });
    await addTasks(t, 'gold', { source: 'dataset', version: 'reviews@v1' });
    const gold = Array.from({ length: 30 }, (_, i) => ({
      data: { id: 1000 + i, text: `Review number ${1000 + i} from Ada at Acme`, lang: 'en' },
      answer: answer(i % 2 === 0 ? 'positive' : 'negative'),
    }));
    const addGold = await t.call('POST', '/api/v1/annotation/projects/gold/gold', { body: { items: gold } });
    expect(addGold.json()).toEqual({ added: 30, alreadyPresent: 0 });
    const [key] = await annotators(t, 1);
    const shapes = new Set<string>();
    let goldSeen = 0;
    let correct = 0;
    for (;;) {
      const { task } = await next(t, 'gold', key!);
      if (!task) break;
      shapes.add(
        `${Object.keys(task).join(',')}|${task.itemId.replace(/[0-9a-f]/g, 'x')}|${task.calibration}`,
      );
      const id = task.data.id as number;
      // Gold answers alternate: the annotator gets the even ones right and misses the odd ones.
      const right = id >= 1000 && (id - 1000) % 2 === 0;
      if (id >= 1000) goldSeen += 1;
      if (right) correct += 1;
      expect(
        (await label(t, 'gold', key!, task.itemId, answer(right ? 'positive' : 'neutral'))).statusCode,
      ).toBe(201);
    }
    // Gold and ordinary items come in the same shape; the id alone gives nothing away.
    expect(shapes.size).toBe(1);
    const kinds = await t.plumb.db.kysely
      .selectFrom('annotation_assignments')
      .select('kind')
      .orderBy('id')
      .execute();
    expect(kinds.filter((k) => k.kind === 'task')).toHaveLength(48);
    let g = 0;
    for (const [n, k] of kinds.entries()) {
      if (k.kind === 'gold') g += 1;
      expect(Math.abs(g - 0.25 * (n + 1))).toBeLessThanOrEqual(2);
    }
    expect(g).toBe(goldSeen);
    const status = (
      await t.call('GET', '/api/v1/annotation/projects/gold/status')
    ).json() as AnnotationStatus;
    const me = status.annotators[0]!;
    expect(me.goldLabelled).toBe(goldSeen);
    expect(me.goldAccuracy).toBeCloseTo(correct / goldSeen, 12);
    expect(me.goldTrend.reduce((s, w) => s + w.labels, 0)).toBe(goldSeen);
    expect(me.goldTrend[0]!.labels).toBe(10);
    expect(status.items.total).toBe(48);
  }, 120_000);

  it('runs a calibration session of gold items first, and shows and records its score', async () => {
    t = await createTestPlumb(backend);
    await addDataset(t, 'reviews', reviewRows(4));
    await createProject(t, 'calibrated', { overlap: 2, calibrationItems: 3 });
    await addTasks(t, 'calibrated', { source: 'dataset', version: 'reviews@v1' });
    const gold = ['positive', 'negative', 'neutral', 'positive'].map((s, i) => ({
      data: { id: 100 + i, text: `Calibration review ${i} from Ada`, lang: 'en' },
      answer: answer(s),
    }));
    await t.call('POST', '/api/v1/annotation/projects/calibrated/gold', { body: { items: gold } });
    const [key] = await annotators(t, 1);
    const given: LabelValue[] = [];
    let last: unknown;
    for (let i = 0; i < 3; i++) {
      const n = await next(t, 'calibrated', key!);
      expect(n.task!.calibration).toBe(true);
      expect(n.calibration).toMatchObject({ required: 3, labelled: i, score: null });
      const truth = gold.find((g) => g.data.id === n.task!.data.id)!.answer;
      // Two right, one wrong.
      const value = i === 1 ? answer(truth.sentiment === 'neutral' ? 'positive' : 'neutral') : truth;
      given.push(value);
      last = (await label(t, 'calibrated', key!, n.task!.itemId, value)).json();
    }
    expect((last as { calibration: { score: number; completedAt: string } }).calibration.score).toBeCloseTo(
      2 / 3,
      12,
    );
    const after = await next(t, 'calibrated', key!);
    expect(after.task!.calibration).toBe(false);
    expect(after.task!.data.id).toBeLessThan(100);
    const mine = (
      await t.call('GET', '/api/v1/annotation/projects/calibrated/calibration', { key: key! })
    ).json();
    expect(mine).toMatchObject({ required: 3, labelled: 3, correct: 2 });
    const status = (
      await t.call('GET', '/api/v1/annotation/projects/calibrated/status')
    ).json() as AnnotationStatus;
    expect(status.annotators[0]!.calibration!.score).toBeCloseTo(2 / 3, 12);
    // Calibration answers are not part of gold accuracy on mixed-in items.
    expect(status.annotators[0]!.goldLabelled).toBe(0);
    const audit = (await t.call('GET', '/api/v1/audit?limit=100')).json().items as {
      action: string;
      change: string;
    }[];
    expect(audit.map((r) => r.action)).toContain('annotation.calibration.complete');
  });
});
