import type { EndpointPerformance } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

const H = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(H + minutes * 60_000).toISOString();

// A binary churn model whose score is P(yes), and a regressor; every expected figure below is
// worked out by hand from these rows.
const CHURN = [
  { id: 'prd_c1', label: 'yes', score: 0.9, country: 'DE', latencyMs: 10, costUsd: 0.01, promptTokens: 5 },
  { id: 'prd_c2', label: 'yes', score: 0.7, country: 'DE', latencyMs: 20, costUsd: 0.02, promptTokens: 7 },
  { id: 'prd_c3', label: 'no', score: 0.2, country: 'FR', latencyMs: 30 },
  { id: 'prd_c4', label: 'no', score: 0.4, country: 'FR', latencyMs: 40, error: 'upstream timed out' },
  { id: 'prd_c5', label: 'no', score: 0.1, country: 'FR', latencyMs: 50, arm: 'fallback' },
  { id: 'prd_c6', label: 'yes', score: 0.6, country: 'DE', latencyMs: 60 },
];

describeEachBackend('endpoint performance', (backend) => {
  let t: TestPlumb;
  beforeAll(async () => {
    t = await createTestPlumb(backend);
    const events = [
      ...CHURN.map(({ country, ...e }, i) => ({
        ...e,
        time: at(5 + i),
        endpoint: 'churn',
        modelVersion: 'churn@v1',
        inputs: { country, tenure: 3 },
        tags: { team: country === 'DE' ? 'north' : 'south' },
      })),
      {
        id: 'prd_c7',
        time: at(65),
        endpoint: 'churn',
        modelVersion: 'churn@v1',
        label: 'yes',
        score: 0.8,
        latencyMs: 5,
      },
      // A shadow's copy of a request: never served, so no part of the endpoint's figures.
      {
        id: 'prd_s1',
        time: at(6),
        endpoint: 'churn',
        modelVersion: 'churn@v2',
        arm: 'shadow',
        label: 'yes',
        score: 0.95,
        latencyMs: 500,
        costUsd: 1,
      },
      { id: 'prd_r1', time: at(1), endpoint: 'price', modelVersion: 'price@v1', score: 10, latencyMs: 1 },
      { id: 'prd_r2', time: at(2), endpoint: 'price', modelVersion: 'price@v1', score: 20, latencyMs: 1 },
    ];
    expect((await t.call('POST', '/api/v1/events', { body: { events } })).statusCode).toBe(201);
  });
  afterAll(() => t.dispose());

  const query = async (endpoint: string, params = '') => {
    const res = await t.call(
      'GET',
      `/api/v1/endpoints/${endpoint}/performance?from=${at(0)}&to=${at(120)}${params}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as EndpointPerformance;
  };
  const feedback = async (items: { predictionId: string; label?: string; value?: number }[]) => {
    const res = await t.call('POST', '/api/v1/feedback', { body: { feedback: items } });
    expect(res.statusCode, res.body).toBe(200);
  };

  it('shows traffic and an uncalibrated estimate before any feedback', async () => {
    const perf = await query('churn');
    expect(perf.positiveClass).toBe('yes');
    expect(perf.calibration).toEqual([{ modelVersion: 'churn@v1', labelled: 0 }]);
    expect(perf.series.map((w) => w.windowStart)).toEqual([at(0), at(60)]);
    const [first] = perf.series;
    expect(first!.labelled).toBe(0);
    expect(first!.realised.accuracy).toBeNull();
    const traffic = first!.traffic!;
    expect(traffic.predictions).toBe(6);
    expect(traffic.errorRate).toBeCloseTo(1 / 6, 12);
    expect(traffic.fallbackRate).toBeCloseTo(1 / 6, 12);
    expect(traffic.costUsd).toBeCloseTo(0.03, 12);
    expect(traffic.promptTokens).toBe(12);
    expect(traffic.latencyP99Ms).toBe(60);
    expect([30, 40]).toContain(traffic.latencyP50Ms);
    // Raw probabilities at bin centres: TP = .9005 + .7005 + .6005, TN = .7995 + .5995 + .8995.
    expect(first!.estimated!.accuracy).toBeCloseTo((2.2015 + 2.2985) / 6, 12);
  });

  it('updates the window as feedback arrives, and a later feedback replaces the earlier', async () => {
    await feedback([
      { predictionId: 'prd_c1', label: 'yes' },
      { predictionId: 'prd_c2', label: 'no' },
      { predictionId: 'prd_c3', label: 'no' },
      { predictionId: 'prd_c4', label: 'yes' },
    ]);
    let w = (await query('churn')).series[0]!;
    expect(w.labelled).toBe(4);
    expect(w.realised).toMatchObject({ accuracy: 0.5, precision: 0.5, recall: 0.5, f1: 0.5 });
    // Positives score 0.9 and 0.4, negatives 0.7 and 0.2: three of four pairs ordered.
    expect(w.realised.rocAuc).toBeCloseTo(0.75, 12);
    // One forecast per bin: |0.9 - 1|, |0.7 - 0|, |0.2 - 0|, |0.4 - 1| averaged.
    expect(w.realised.calibrationError).toBeCloseTo(0.4, 12);

    await feedback([{ predictionId: 'prd_c2', label: 'yes' }]);
    const perf = await query('churn');
    w = perf.series[0]!;
    expect(w.realised.accuracy).toBe(0.75);
    expect(w.realised.precision).toBe(1);
    expect(w.realised.recall).toBeCloseTo(2 / 3, 12);
    expect(w.realised.f1).toBeCloseTo(0.8, 12);
    // Calibrated on the four labelled predictions: 0.2 → 0, 0.4 and above → 1, linear between,
    // read at bin centres (0.2005 → 0.0025): TP = 3, FN = 1.0025, TN = 1.9975, FP = 0.
    expect(perf.calibration).toEqual([{ modelVersion: 'churn@v1', labelled: 4 }]);
    expect(w.estimated!.accuracy).toBeCloseTo((3 + 1.9975) / 6, 12);
    expect(w.estimated!.f1).toBeCloseTo(3 / (3 + 0.5 * 1.0025), 12);
    expect(w.estimated!.precision).toBeCloseTo(1, 12);
  });

  it('splits realised metrics by an input field or a tag', async () => {
    const byCountry = await query('churn', '&segment=country');
    expect(byCountry.series.map((w) => [w.segment, w.labelled, w.realised.accuracy])).toEqual([
      ['DE', 2, 1],
      ['FR', 2, 0.5],
    ]);
    expect(byCountry.series.every((w) => w.traffic === null)).toBe(true);
    const byTeam = await query('churn', '&segment=tag:team');
    expect(byTeam.series.map((w) => w.segment)).toEqual(['north', 'south']);
  });

  it('merges hours into longer windows', async () => {
    const perf = await query('churn', '&window=1d');
    expect(perf.series).toHaveLength(1);
    expect(perf.series[0]!.traffic!.predictions).toBe(7);
    expect(perf.series[0]!.windowStart).toBe('2026-03-01T00:00:00.000Z');
  });

  it('measures regressors by MAE and RMSE of the score', async () => {
    await feedback([
      { predictionId: 'prd_r1', value: 12 },
      { predictionId: 'prd_r2', value: 16 },
    ]);
    const w = (await query('price')).series[0]!;
    expect(w.realised.mae).toBe(3);
    expect(w.realised.rmse).toBeCloseTo(Math.sqrt(10), 12);
    expect(w.realised.accuracy).toBeNull();
    expect(w.estimated).toBeNull();
  });

  it('rejects a range past the window limit and windows that are not whole hours', async () => {
    const long = await t.call(
      'GET',
      '/api/v1/endpoints/churn/performance?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(long.statusCode).toBe(400);
    const odd = await t.call('GET', '/api/v1/endpoints/churn/performance?window=90m');
    expect(odd.statusCode).toBe(400);
  });
});

describe('traffic fold', () => {
  let t: TestPlumb;
  beforeAll(async () => {
    t = await createTestPlumb();
  });
  afterAll(() => t.dispose());

  it('counts every event once when two folds run at the same time', async () => {
    const events = Array.from({ length: 1_200 }, (_, i) => ({
      time: at(i % 120),
      endpoint: 'busy',
      modelVersion: 'busy@v1',
      latencyMs: i,
    }));
    expect((await t.call('POST', '/api/v1/events', { body: { events } })).statusCode).toBe(201);
    const { performance } = t.plumb.services;
    const projectId = t.adminCtx.principal.projectId;
    await Promise.all([performance.fold.catchUp(projectId), performance.foldAll()]);
    const rows = await performance.repo.traffic({ projectId, endpoint: 'busy', fromMs: 0, toMs: H * 2 });
    expect(rows.map((r) => r.predictions)).toEqual([600, 600]);
  });
});
