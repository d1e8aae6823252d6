import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { setAlias } from '../evals/evals.test-kit.js';
import {
  createEndpoint,
  eventsOf,
  MODELS,
  manualClock,
  registerWeather,
  rowFeatures,
  rowInput,
} from './serving.test-kit.js';

describeEachBackend('endpoints', (backend) => {
  let t: TestPlumb;
  let versions: Awaited<ReturnType<typeof registerWeather>>;
  let clock: ReturnType<typeof manualClock>;

  beforeEach(async () => {
    clock = manualClock();
    t = await createTestPlumb(backend, {}, { clock });
    versions = await registerWeather(t);
  });
  afterEach(() => t.dispose());

  it('are created, shown, listed, changed and deleted, each change audited', async () => {
    const created = await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'weather@champion', weight: 1 }],
    });
    expect(created).toMatchObject({
      name: 'forecast',
      timeoutMs: 5000,
      cacheTtlMs: 0,
      reviewThreshold: null,
      shadows: [],
    });
    expect((await t.call('GET', '/api/v1/endpoints/forecast')).json().routes).toEqual([
      { target: 'weather@champion', weight: 1 },
    ]);
    const updated = await t.call('PATCH', '/api/v1/endpoints/forecast', {
      body: {
        routes: [
          { target: 'weather@champion', weight: 90 },
          { target: 'weather@challenger', weight: 10 },
        ],
        timeoutMs: 200,
      },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ timeoutMs: 200, routes: [{ weight: 90 }, { weight: 10 }] });
    expect(
      (await t.call('GET', '/api/v1/endpoints')).json().items.map((e: { name: string }) => e.name),
    ).toEqual(['forecast']);
    expect(
      (
        await t.call('POST', '/api/v1/endpoints', {
          body: { name: 'forecast', routes: [{ target: 'weather@v1', weight: 1 }] },
        })
      ).json().error.code,
    ).toBe('already_exists');
    expect((await t.call('DELETE', '/api/v1/endpoints/forecast')).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/endpoints/forecast')).statusCode).toBe(404);

    const audit = (await t.call('GET', '/api/v1/audit?limit=100')).json().items as {
      action: string;
      resource: string;
    }[];
    expect(
      audit
        .filter((a) => a.resource === 'endpoint:forecast')
        .map((a) => a.action)
        .sort(),
    ).toEqual(['endpoint.create', 'endpoint.delete', 'endpoint.update']);
  });

  it('refuse versions that do not resolve and versions of unacceptable-risk models', async () => {
    const missing = await t.call('POST', '/api/v1/endpoints', {
      body: { name: 'x', routes: [{ target: 'weather@v9', weight: 1 }] },
    });
    expect(missing.statusCode).toBe(412);
    expect(missing.json().error.message).toContain('weather@v9');
    const badBody = await t.call('POST', '/api/v1/endpoints', { body: { name: 'x', routes: [] } });
    expect(badBody.json().error).toMatchObject({ code: 'invalid_argument' });
    expect(badBody.json().error.message).toContain('routes');

    await createEndpoint(t, { name: 'forecast', routes: [{ target: 'weather@v1', weight: 1 }] });
    await t.plumb.services.registry.models.update(t.adminCtx, 'weather', { riskClass: 'unacceptable' });
    const predict = await t.call('POST', '/api/v1/endpoints/forecast/predict', {
      body: { inputs: [rowInput(0)] },
    });
    expect(predict.statusCode).toBe(412);
    expect(predict.json().error.message).toContain('unacceptable');
    const change = await t.call('PATCH', '/api/v1/endpoints/forecast', { body: { shadows: ['weather@v2'] } });
    expect(change.statusCode).toBe(412);
    expect(change.json().error.details.rule).toBe('unacceptable_risk');
    expect(await eventsOf(t, 'forecast')).toEqual([]);
  });

  it('predict named features with the model, log each row before answering, and follow alias moves', async () => {
    await createEndpoint(t, { name: 'forecast', routes: [{ target: 'weather@champion', weight: 1 }] });
    const service = await t.keyFor('service');
    const rows = [0, 1, 2, 50, 300];
    const response = await t.call('POST', '/api/v1/endpoints/forecast/predict', {
      key: service,
      body: { inputs: rows.map((i) => ({ ...rowInput(i), note: 'ignored' })), tags: { app: 'test' } },
    });
    expect(response.statusCode).toBe(200);
    const { predictions } = response.json();
    expect(predictions).toHaveLength(rows.length);
    rows.forEach((i, k) => {
      const p = predictions[k];
      const expected = MODELS.baseline.predictProbabilities(rowFeatures(i));
      expect(p.modelVersion).toBe('weather@v1');
      expect(p.arm).toBe('primary');
      expect(p.label).toBe(MODELS.baseline.predict(rowFeatures(i)));
      for (const [j, c] of MODELS.baseline.classes.entries()) {
        expect(p.output.probabilities[c]).toBeCloseTo(expected[j]!, 5);
      }
      expect(p.confidence).toBeCloseTo(Math.max(...expected), 5);
    });
    const events = await eventsOf(t, 'forecast');
    expect(events.map((e) => e.id).sort()).toEqual(
      predictions.map((p: { predictionId: string }) => p.predictionId).sort(),
    );
    expect(
      events.every(
        (e) => e.arm === 'primary' && e.modelVersionId === versions.v1.id && e.tags.app === 'test',
      ),
    ).toBe(true);

    await setAlias(t, versions.v2, 'champion');
    const moved = await t.call('POST', '/api/v1/endpoints/forecast/predict', {
      key: service,
      body: { inputs: [rowInput(0)] },
    });
    expect(moved.json().predictions[0].modelVersion).toBe('weather@v2');
  });

  it('name what is wrong with an input row', async () => {
    await createEndpoint(t, { name: 'forecast', routes: [{ target: 'weather@v1', weight: 1 }] });
    const { wind: _, ...noWind } = rowInput(0);
    const missing = await t.call('POST', '/api/v1/endpoints/forecast/predict', {
      body: { inputs: [rowInput(1), noWind] },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toBe(
      'inputs[1] has no feature wind (the model takes precipitation, temp_max, temp_min, wind)',
    );
    const text = await t.call('POST', '/api/v1/endpoints/forecast/predict', {
      body: { inputs: [{ ...rowInput(0), wind: 'high' }] },
    });
    expect(text.json().error.message).toContain('inputs[0].wind must be a finite number');
    const unknown = await t.call('POST', '/api/v1/endpoints/nowhere/predict', {
      body: { inputs: [rowInput(0)] },
    });
    expect(unknown.statusCode).toBe(404);
  });
});
