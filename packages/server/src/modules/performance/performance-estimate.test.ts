import type { EndpointPerformance } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

const DAY = 86_400_000;
const START = Date.parse('2026-04-01T00:00:00.000Z');
const PER_DAY = 1_000;

/** Deterministic uniform numbers (mulberry32), so the population is the same at every run. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// An overconfident model (score = sqrt of the true probability) whose traffic moves towards
// confident cases day by day; the outcome given the score stays the same, which is what CBPE
// assumes, so the calibrated estimate should follow realised accuracy where the raw scores
// would not.
describe('estimated performance against what the labels later show', () => {
  let t: TestPlumb;
  const truth = new Map<string, string>();

  beforeAll(async () => {
    t = await createTestPlumb();
    const rand = uniform(7);
    const events = [];
    for (let day = 0; day < 3; day++) {
      for (let i = 0; i < PER_DAY; i++) {
        const q = rand() ** (1 + 2 * day);
        const score = Math.sqrt(q);
        const id = `prd_d${day}_${i}`;
        truth.set(id, rand() < q ? 'yes' : 'no');
        events.push({
          id,
          time: new Date(START + day * DAY + i * 60_000).toISOString(),
          endpoint: 'churn',
          modelVersion: 'churn@v1',
          label: score >= 0.5 ? 'yes' : 'no',
          score,
        });
      }
    }
    expect((await t.call('POST', '/api/v1/events', { body: { events } })).statusCode).toBe(201);
    // Only the first day is labelled before the estimate is read.
    const reference = [...truth].filter(([id]) => id.startsWith('prd_d0_'));
    const res = await t.call('POST', '/api/v1/feedback', {
      body: { feedback: reference.map(([predictionId, label]) => ({ predictionId, label })) },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(() => t.dispose());

  const read = async () => {
    const res = await t.call(
      'GET',
      `/api/v1/endpoints/churn/performance?window=1d&from=${new Date(START).toISOString()}&to=${new Date(START + 3 * DAY).toISOString()}` +
        `&referenceFrom=${new Date(START).toISOString()}&referenceTo=${new Date(START + DAY).toISOString()}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as EndpointPerformance;
  };

  it('tracks realised accuracy on days whose labels came later', async () => {
    const before = await read();
    expect(before.calibration).toEqual([{ modelVersion: 'churn@v1', labelled: PER_DAY }]);
    const estimated = before.series.map((w) => w.estimated!.accuracy!);

    const later = [...truth].filter(([id]) => !id.startsWith('prd_d0_'));
    const res = await t.call('POST', '/api/v1/feedback', {
      body: { feedback: later.map(([predictionId, label]) => ({ predictionId, label })) },
    });
    expect(res.statusCode).toBe(200);
    const after = await read();
    const realised = after.series.map((w) => w.realised.accuracy!);
    // The estimate did not move with the labels: it was computed from the scores alone.
    expect(after.series.map((w) => w.estimated!.accuracy)).toEqual(estimated);
    // The traffic really changed, and the estimate follows it within sampling error
    // (1,000 predictions a day: one standard error of accuracy is about 0.015).
    expect(realised[2]! - realised[0]!).toBeGreaterThan(0.05);
    for (let day = 0; day < 3; day++) expect(Math.abs(estimated[day]! - realised[day]!)).toBeLessThan(0.045);
  });
});
