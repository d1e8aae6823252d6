import { readFileSync } from 'node:fs';
import type { Coverage, DriftReport, DriftSeries, Monitor, MonitorStatus } from '@plumb/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { createUngatedModel } from '../evals/evals.test-kit.js';
import { FEATURES, registryKit } from '../registry/registry.test-kit.js';

// Seattle weather: the training data of the served version is the reference by default, and
// predictions through the real endpoint are its traffic.
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

const DAY = 86_400_000;

describeEachBackend('monitors over an endpoint', (backend) => {
  let t: TestPlumb;
  let monitor: Monitor;

  beforeAll(async () => {
    t = await createTestPlumb(backend);
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
    // The summer rows only: warmer than the whole years the model was trained on.
    const summer = rows.filter((_, i) => i % 365 >= 160 && i % 365 < 250);
    for (let i = 0; i < summer.length; i += 500) {
      const res = await t.call('POST', '/api/v1/endpoints/weather/predict', {
        body: { inputs: summer.slice(i, i + 500) },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
  });
  afterAll(() => t?.dispose());

  it('take the training data of the served version as the reference, with Evidently’s tests', async () => {
    const res = await t.call('POST', '/api/v1/monitors', {
      body: { endpoint: 'weather', features: FEATURES, window: '1d' },
    });
    expect(res.statusCode, res.body).toBe(201);
    monitor = res.json();
    expect(monitor.reference).toBe('weather@v1');
    expect(monitor.windowMs).toBe(DAY);
    // 1,461 reference rows: Wasserstein for every numeric column with more than 5 values.
    expect(monitor.features.map((f) => [f.feature, f.test, f.threshold])).toEqual(
      FEATURES.map((f) => [f, 'wasserstein', 0.1]),
    );
    const overridden = await t.call('POST', '/api/v1/monitors', {
      body: {
        endpoint: 'weather',
        features: ['wind', 'temp_max'],
        overrides: { wind: { test: 'psi', threshold: 0.2 }, temp_max: { test: 'ks' } },
      },
    });
    expect(overridden.statusCode, overridden.body).toBe(201);
    expect(
      overridden
        .json()
        .features.map((f: Monitor['features'][number]) => [f.feature, f.test, f.threshold, f.chosen]),
    ).toEqual([
      ['wind', 'psi', 0.2, false],
      ['temp_max', 'ks', 0.05, false],
    ]);
    const list = await t.call('GET', '/api/v1/monitors?endpoint=weather');
    expect(list.json().items).toHaveLength(2);
  });

  it('refuse what they cannot monitor and roles that may not', async () => {
    const unknown = await t.call('POST', '/api/v1/monitors', {
      body: { endpoint: 'weather', features: ['humidity'] },
    });
    expect(unknown.statusCode).toBe(400);
    const categorical = await t.call('POST', '/api/v1/monitors', {
      body: { endpoint: 'weather', features: ['weather'], overrides: { weather: { test: 'ks' } } },
    });
    expect(categorical.statusCode).toBe(400);
    const noEndpoint = await t.call('POST', '/api/v1/monitors', { body: { endpoint: 'nowhere' } });
    expect(noEndpoint.statusCode).toBe(404);
    const viewer = await t.keyFor('viewer');
    expect(
      (await t.call('POST', '/api/v1/monitors', { key: viewer, body: { endpoint: 'weather' } })).statusCode,
    ).toBe(403);
    expect((await t.call('GET', `/api/v1/monitors/${monitor.id}`, { key: viewer })).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/monitors/mon_missing')).statusCode).toBe(404);
  });

  it('answer drift of the predictions from the profiles written at ingest', async () => {
    await t.plumb.services.profileWriter.flush();
    const now = new Date(Date.now() + DAY).toISOString();
    const res = await t.call(
      'GET',
      `/api/v1/monitors/${monitor.id}/drift?from=2020-01-01T00:00:00Z&to=${now}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const report: DriftReport = res.json();
    expect(report.features.map((f) => f.feature)).toEqual(FEATURES);
    const byFeature = Object.fromEntries(report.features.map((f) => [f.feature, f]));
    // Summer days are far warmer than whole years: the mean alone puts W over the threshold.
    expect(byFeature.temp_max!.verdict).toBe('drift');
    expect(byFeature.temp_min!.verdict).toBe('drift');
    for (const f of report.features) {
      expect(f.count).toBe(rows.filter((_, i) => i % 365 >= 160 && i % 365 < 250).length);
      expect(f.low!).toBeLessThanOrEqual(f.statistic!);
      expect(f.high!).toBeGreaterThanOrEqual(f.statistic!);
    }
    expect(report.datasetDrifted).toBe(report.shareDrifted >= 0.5);
    const exact = await t.call(
      'GET',
      `/api/v1/monitors/${monitor.id}/drift?from=2020-01-01T00:00:00Z&to=${now}&mode=exact`,
    );
    expect(
      exact.json().features.every((f: DriftReport['features'][number]) => f.exact && f.count <= 64),
    ).toBe(true);
  });

  it('give per-window signals, bucketed series, status with skew and coverage', async () => {
    const projectId = t.adminCtx.principal.projectId;
    const from = Date.now() - 2 * DAY;
    const to = Date.now() + DAY;
    // Predictions were made now: today's window is open, so no closed window holds them yet.
    expect(await t.plumb.services.monitors.windowSignals(projectId, monitor.id, from, to)).toEqual([]);
    const listed = await t.plumb.services.monitors.listMonitors(projectId);
    expect(listed.map((m) => [m.endpoint, m.windowMs])).toContainEqual(['weather', DAY]);

    const series = await t.call(
      'GET',
      `/api/v1/monitors/${monitor.id}/series?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&buckets=2`,
    );
    expect(series.statusCode, series.body).toBe(200);
    expect((series.json() as DriftSeries).bucketMs).toBe(2 * DAY);

    const status = await t.call('GET', '/api/v1/endpoints/weather/monitoring');
    expect(status.statusCode, status.body).toBe(200);
    const s: MonitorStatus = status.json();
    expect(s.monitors).toHaveLength(2);
    const skew = s.monitors.find((m) => m.monitorId === monitor.id)!.skew;
    expect(skew.map((v) => v.modelVersion)).toEqual(['weather@v1']);
    expect(skew[0]!.skewed).toEqual(expect.arrayContaining(['temp_max', 'temp_min']));

    const coverage = await t.call('GET', '/api/v1/endpoints/weather/coverage?field=wind');
    expect(coverage.statusCode, coverage.body).toBe(200);
    const c: Coverage = coverage.json();
    expect(c.training).toEqual(['weather@v1']);
    const gaps = c.rows.map((r) => Math.abs(r.gap));
    expect(gaps).toEqual([...gaps].sort((a, b) => b - a));
    expect(c.rows.reduce((a, r) => a + r.trainingShare, 0)).toBeCloseTo(1, 9);
  });

  it('record creation and deletion in the audit chain', async () => {
    const created = await t.call('POST', '/api/v1/monitors', {
      body: { endpoint: 'weather', features: ['wind'] },
    });
    const id = created.json().id;
    expect((await t.call('DELETE', `/api/v1/monitors/${id}`)).statusCode).toBe(200);
    const audit = await t.call('GET', '/api/v1/audit?limit=200');
    const actions = audit.json().items.filter((r: { resource: string }) => r.resource === `monitor:${id}`);
    expect(actions.map((r: { action: string }) => r.action).sort()).toEqual([
      'monitor.create',
      'monitor.delete',
    ]);
  });
});
