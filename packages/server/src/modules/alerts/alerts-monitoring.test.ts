import { readFileSync } from 'node:fs';
import type { AlertEvaluation } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { createUngatedModel } from '../evals/evals.test-kit.js';
import { FEATURES, registryKit } from '../registry/registry.test-kit.js';

const HOUR = 3_600_000;
const [, ...lines] = readFileSync(
  new URL('../../../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n');
// Summer days against the whole years the model was trained on: the temperatures drift.
const summer = lines
  .map((l) => l.split(','))
  .filter((_, i) => i % 365 >= 160 && i % 365 < 250)
  .map((c) => ({
    precipitation: Number(c[1]),
    temp_max: Number(c[2]),
    temp_min: Number(c[3]),
    wind: Number(c[4]),
  }));

// Drift rules over the real monitoring module: predictions through an endpoint, profiles at
// ingest, the monitor's closed windows read by the alerts' evaluation.
describe('alerts on drift from a monitor', () => {
  let t: TestPlumb;
  let now = Date.parse('2026-06-10T10:30:00.000Z');

  beforeAll(async () => {
    t = await createTestPlumb('sqlite', {}, { clock: { now: () => new Date(now) } });
    const world = await registryKit.weatherWorld(t);
    await createUngatedModel(t, 'weather');
    await t.plumb.services.registry.registration.register(t.adminCtx, 'weather', {
      artifact: { kind: 'onnx', blobRef: world.blobRef },
      description: '',
      runId: world.runId,
    });
    const endpoint = await t.call('POST', '/api/v1/endpoints', {
      body: { name: 'weather', routes: [{ target: 'weather@v1', weight: 100 }] },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    const res = await t.call('POST', '/api/v1/endpoints/weather/predict', { body: { inputs: summer } });
    expect(res.statusCode, res.body).toBe(200);
    const monitor = await t.call('POST', '/api/v1/monitors', {
      body: { endpoint: 'weather', features: FEATURES, window: '1h' },
    });
    expect(monitor.statusCode, monitor.body).toBe(201);
    await t.plumb.services.profileWriter.flush();
  });
  afterAll(() => t?.dispose());

  it("opens on the share of drifted features and on one feature's verdict once the window closed", async () => {
    for (const body of [
      { name: 'weather-drift', endpoint: 'weather', metric: 'share_drifted' },
      { name: 'temp-max-drift', endpoint: 'weather', metric: 'feature_drift', feature: 'temp_max' },
      { name: 'wind-drift', endpoint: 'weather', metric: 'feature_drift', feature: 'wind', threshold: 10 },
    ]) {
      const res = await t.call('POST', '/api/v1/alert-rules', { body });
      expect(res.statusCode, res.body).toBe(201);
    }
    const evaluate = async () => (await t.call('POST', '/api/v1/alerts/evaluate')).json() as AlertEvaluation;
    // The predictions' hour is still open.
    expect((await evaluate()).opened).toEqual([]);
    now += 2 * HOUR;
    const result = await evaluate();
    expect(result.skipped).toEqual([]);
    expect(result.opened.map((a) => [a.ruleName, a.subject, a.runStart]).sort()).toEqual([
      ['temp-max-drift', 'temp_max', '2026-06-10T10:00:00.000Z'],
      ['weather-drift', null, '2026-06-10T10:00:00.000Z'],
    ]);
    const share = result.opened.find((a) => a.ruleName === 'weather-drift')!;
    expect(share.value).toBeGreaterThanOrEqual(0.5);
  });
});
