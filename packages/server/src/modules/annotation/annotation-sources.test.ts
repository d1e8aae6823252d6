import { readFileSync } from 'node:fs';
import type { Coverage } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { createUngatedModel } from '../evals/evals.test-kit.js';
import { FEATURES, registryKit } from '../registry/registry.test-kit.js';
import { createProject } from './annotation.test-kit.js';

const [, ...lines] = readFileSync(
  new URL('../../../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n');
const rows = lines.map((l) => {
  const c = l.split(',');
  return { precipitation: Number(c[1]), temp_max: Number(c[2]), temp_min: Number(c[3]), wind: Number(c[4]) };
});

const WEATHER_SCHEMA = `
questions:
  - name: weather
    type: single_choice
    choices: [rain, sun, drizzle, snow, fog]
`;

// Tasks from production: an endpoint's low-confidence predictions, and predictions whose inputs
// fall where the training data was thin (the monitoring module's coverage report).
describe('annotation tasks from production', () => {
  let t: TestPlumb;
  let predictions: { predictionId: string; confidence: number }[] = [];

  beforeAll(async () => {
    t = await createTestPlumb('sqlite', { PLUMB_MONITORING_FLUSH_MS: '100' });
    const world = await registryKit.weatherWorld(t);
    await createUngatedModel(t, 'weather');
    await t.plumb.services.registry.registration.register(t.adminCtx, 'weather', {
      artifact: { kind: 'onnx', blobRef: world.blobRef },
      description: '',
      runId: world.runId,
    });
    const endpoint = await t.call('POST', '/api/v1/endpoints', {
      body: { name: 'weather', routes: [{ target: 'weather@v1', weight: 100 }], reviewThreshold: 0.6 },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    const monitor = await t.call('POST', '/api/v1/monitors', {
      body: { endpoint: 'weather', features: FEATURES, window: '1d' },
    });
    expect(monitor.statusCode, monitor.body).toBe(201);
    // Summer days only, so production leans on values the whole years hold less of.
    const summer = rows.filter((_, i) => i % 365 >= 160 && i % 365 < 250).slice(0, 300);
    const res = await t.call('POST', '/api/v1/endpoints/weather/predict', { body: { inputs: summer } });
    expect(res.statusCode, res.body).toBe(200);
    predictions = res.json().predictions;
  });
  afterAll(() => t?.dispose());

  it("takes an endpoint's review queue, each prediction once", async () => {
    await createProject(t, 'review-queue', { overlap: 1 }, WEATHER_SCHEMA);
    const low = predictions.filter((p) => p.confidence < 0.6);
    expect(low.length).toBeGreaterThan(0);
    const body = { source: 'review_queue', endpoint: 'weather' };
    const added = await t.call('POST', '/api/v1/annotation/projects/review-queue/tasks', { body });
    expect(added.json()).toEqual({ added: low.length, alreadyPresent: 0 });
    const again = await t.call('POST', '/api/v1/annotation/projects/review-queue/tasks', { body });
    expect(again.json()).toEqual({ added: 0, alreadyPresent: low.length });
  });

  it('takes the predictions in coverage gaps, from the monitoring report', async () => {
    let coverage: Coverage | undefined;
    for (let i = 0; i < 100 && !coverage?.productionCount; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      coverage = (await t.call('GET', '/api/v1/endpoints/weather/coverage?field=wind')).json();
    }
    expect(coverage!.productionCount).toBe(300);
    const minGap = 0.002;
    const gaps = new Set(
      coverage!.rows.filter((r) => r.unseenInTraining || r.gap >= minGap).map((r) => String(r.value)),
    );
    expect(gaps.size).toBeGreaterThan(0);
    await createProject(t, 'coverage', { overlap: 1 }, WEATHER_SCHEMA);
    const added = await t.call('POST', '/api/v1/annotation/projects/coverage/tasks', {
      body: { source: 'coverage', endpoint: 'weather', field: 'wind', minGap },
    });
    expect(added.statusCode, added.body).toBe(200);
    const inGap = (await t.call('GET', '/api/v1/events?endpoint=weather&limit=500'))
      .json()
      .items.filter((e: { inputs: { wind: number } }) => gaps.has(String(e.inputs.wind)));
    expect(added.json()).toEqual({ added: inGap.length, alreadyPresent: 0 });
    const [key] = [await t.keyFor('annotator')];
    const next = (await t.call('GET', '/api/v1/annotation/projects/coverage/next', { key })).json();
    expect(gaps.has(String(next.task.data.wind))).toBe(true);
  });
});
