import type { Coverage, EndpointPerformance, Monitor, MonitorStatus } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registryKit } from '../registry/registry.test-kit.js';
import { trendWindow } from './monitor-views.service.js';
import {
  accuracyOf,
  HOLDOUT,
  HOUR,
  MONITORED,
  seasonWorld,
  sendTraffic,
  shares,
  TRAINING,
  type TrafficEvent,
  traffic,
  UNSEEN,
} from './monitoring.test-kit.js';

describe('an endpoint’s monitoring status and coverage over REST', () => {
  let t: TestPlumb;
  let monitor: Monitor;
  let events: TrafficEvent[];
  const start = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  const range = `from=${new Date(start).toISOString()}&to=${new Date(start + 3 * HOUR).toISOString()}`;

  beforeAll(async () => {
    t = await createTestPlumb();
    await seasonWorld(t);
    const created = await t.call('POST', '/api/v1/monitors', {
      body: { endpoint: 'weather', features: MONITORED, window: '1h' },
    });
    expect(created.statusCode, created.body).toBe(201);
    monitor = created.json();
    events = traffic(start);
    await sendTraffic(t, events);
    for (const [name, endpoint] of [
      ['slow', 'weather'],
      ['slow-elsewhere', 'other'],
    ]) {
      const rule = await t.call('POST', '/api/v1/alert-rules', {
        body: { name, endpoint, metric: 'latency_p99_ms', threshold: 250 },
      });
      expect(rule.statusCode, rule.body).toBe(201);
    }
    await t.call('POST', '/api/v1/events', {
      body: {
        events: [{ time: events[0]!.time, endpoint: 'other', latencyMs: 900, inputs: { x: 1 } }],
      },
    });
    const evaluated = await t.call('POST', '/api/v1/alerts/evaluate');
    expect(evaluated.statusCode, evaluated.body).toBe(200);
  });
  afterAll(() => t?.dispose());

  it('returns each feature’s verdict, the performance trend and the endpoint’s open alerts', async () => {
    const res = await t.call('GET', `/api/v1/endpoints/weather/monitoring?${range}`);
    expect(res.statusCode, res.body).toBe(200);
    const s: MonitorStatus = res.json();
    expect(s.monitors.map((m) => m.monitorId)).toEqual([monitor.id]);
    const verdicts = Object.fromEntries(s.monitors[0]!.features.map((f) => [f.feature, f]));
    expect(Object.keys(verdicts).sort()).toEqual([...MONITORED].sort());
    expect(verdicts.temp_max!.verdict).toBe('drift');
    expect(verdicts.season!.test).toBe('jensenshannon');

    // The trend of the monitor's hourly windows, as the performance module reports them.
    expect(s.performance.window).toBe('1h');
    const perf: EndpointPerformance = (
      await t.call('GET', `/api/v1/endpoints/weather/performance?${range}&window=1h`)
    ).json();
    expect(s.performance.series).toEqual(perf.series);
    expect(s.performance.series.map((w) => Date.parse(w.windowStart))).toEqual([
      start,
      start + HOUR,
      start + 2 * HOUR,
    ]);
    for (const hour of [0, 1]) {
      const w = s.performance.series[hour]!;
      expect(w.labelled).toBe(events.filter((e) => e.hour === hour).length);
      expect(w.realised.accuracy).toBeCloseTo(accuracyOf(events, hour), 12);
    }
    // Unlabelled yet: realised accuracy is unknown, the estimate is there.
    expect(s.performance.series[2]!.realised.accuracy).toBeNull();
    expect(s.performance.series[2]!.estimated!.accuracy).toBeGreaterThan(0);

    // Only this endpoint's alert, and not once resolved.
    expect(s.alerts.map((a) => [a.ruleName, a.status, a.value])).toEqual([['slow', 'open', 480]]);
    await t.call('POST', `/api/v1/alerts/${s.alerts[0]!.id}/ack`);
    const acked: MonitorStatus = (
      await t.call('GET', `/api/v1/endpoints/weather/monitoring?${range}`)
    ).json();
    expect(acked.alerts.map((a) => a.status)).toEqual(['acknowledged']);
    await t.call('POST', `/api/v1/alerts/${s.alerts[0]!.id}/resolve`);
    const resolved: MonitorStatus = (
      await t.call('GET', `/api/v1/endpoints/weather/monitoring?${range}`)
    ).json();
    expect(resolved.alerts).toEqual([]);

    const backwards = await t.call(
      'GET',
      `/api/v1/endpoints/weather/monitoring?from=${new Date(start).toISOString()}&to=${new Date(start - HOUR).toISOString()}`,
    );
    expect(backwards.statusCode).toBe(400);
  });

  it('keeps a long range’s trend to at most 48 windows', () => {
    expect(trendWindow(HOUR, 24 * HOUR)).toBe(HOUR);
    expect(trendWindow(HOUR, 7 * 24 * HOUR)).toBe(6 * HOUR);
    expect(trendWindow(HOUR, 365 * 24 * HOUR)).toBe(14 * 24 * HOUR);
    expect(trendWindow(24 * HOUR, 30 * 24 * HOUR)).toBe(24 * HOUR);
    expect(Math.ceil((10 * 365 * 24 * HOUR) / trendWindow(HOUR, 10 * 365 * 24 * HOUR))).toBeLessThanOrEqual(
      47,
    );
  });

  it('puts each value’s production share next to its training and evaluation shares', async () => {
    const res = await t.call('GET', `/api/v1/endpoints/weather/coverage?field=season&${range}`);
    expect(res.statusCode, res.body).toBe(200);
    const c: Coverage = res.json();
    expect(c.training).toEqual(['weather@v1']);
    expect(c.evaluation).toEqual(['weather-holdout@v1']);
    expect(c.productionCount).toBe(events.length);
    const production = shares(events, (e) => String(e.inputs.season));
    const training = shares(TRAINING, (r) => r.season);
    const evaluation = shares(HOLDOUT, (r) => r.season);
    const expected = ['summer', UNSEEN, 'winter', 'spring', 'autumn'].map((v) => {
      const p = production.get(v) ?? 0;
      const e = evaluation.get(v) ?? 0;
      return [v, p, training.get(v) ?? 0, e, p - (training.get(v) ?? 0), p - e, v === UNSEEN];
    });
    expected.sort((a, b) => Math.abs(b[4] as number) - Math.abs(a[4] as number));
    const got = c.rows.map((r) => [
      r.value,
      r.productionShare,
      r.trainingShare,
      r.evaluationShare,
      r.gap,
      r.evaluationGap,
      r.unseenInTraining,
    ]);
    expect(got.map((r) => r[0])).toEqual(expected.map((r) => r[0]));
    got.forEach((row, i) => {
      for (let j = 1; j < 6; j++) expect(row[j] as number).toBeCloseTo(expected[i]![j] as number, 12);
      expect(row[6]).toBe(expected[i]![6]);
    });
    // Evaluated on winter and spring only: summer and autumn never were.
    expect(c.rows.find((r) => r.value === 'autumn')!.evaluationShare).toBe(0);
  });

  it('counts a numeric field in the evaluation data too, and refuses an unknown endpoint', async () => {
    const res = await t.call('GET', '/api/v1/endpoints/weather/coverage?field=wind');
    expect(res.statusCode, res.body).toBe(200);
    const c: Coverage = res.json();
    expect(c.evaluation).toEqual(['weather-holdout@v1']);
    expect(c.rows.reduce((a, r) => a + (r.evaluationShare ?? 0), 0)).toBeCloseTo(1, 9);
    expect((await t.call('GET', '/api/v1/endpoints/nowhere/coverage?field=season')).statusCode).toBe(404);
  });

  it('has no evaluation shares for a version no evaluation run has read', async () => {
    const run = (await t.call('GET', '/api/v1/runs?limit=1')).json().items[0];
    await t.plumb.services.registry.registration.register(t.adminCtx, 'weather', {
      artifact: { kind: 'onnx', blobRef: await registryKit.upload(t, registryKit.weatherModel().bytes) },
      description: '',
      runId: run.id,
    });
    const endpoint = await t.call('POST', '/api/v1/endpoints', {
      body: { name: 'weather-next', routes: [{ target: 'weather@v2', weight: 100 }] },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    const c: Coverage = (await t.call('GET', '/api/v1/endpoints/weather-next/coverage?field=season')).json();
    expect(c.training).toEqual(['weather@v1']);
    expect(c.evaluation).toEqual([]);
    expect(c.rows.map((r) => r.value).sort()).toEqual(['autumn', 'spring', 'summer', 'winter']);
    expect(c.rows.every((r) => r.evaluationShare === null && r.evaluationGap === null)).toBe(true);
  });
});
