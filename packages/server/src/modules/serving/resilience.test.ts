import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import {
  createEndpoint,
  eventsOf,
  MODELS,
  registerUpstream,
  registerWeather,
  rowFeatures,
  rowInput,
  startUpstream,
} from './serving.test-kit.js';

type Upstream = Awaited<ReturnType<typeof startUpstream>>;

describeEachBackend('fallbacks and shadows', (backend) => {
  let t: TestPlumb;
  let failing: Upstream;
  let holding: Upstream;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    await registerWeather(t);
    failing = await startUpstream('fail');
    holding = await startUpstream('hold');
    await registerUpstream(t, 'broken', failing.url);
    await registerUpstream(t, 'stuck', holding.url);
  });
  afterEach(async () => {
    holding.release();
    await t.plumb.services.shadows.drain();
    await t.dispose();
    await failing.close();
    await holding.close();
  });

  const predict = (name: string, rows: number[]) =>
    t.call('POST', `/api/v1/endpoints/${name}/predict`, { body: { inputs: rows.map(rowInput) } });

  it('answer from the next version when the first fails, and record what failed', async () => {
    await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'broken@v1', weight: 1 }],
      fallback: { versions: ['weather@v2'] },
      features: ['precipitation', 'temp_max', 'temp_min', 'wind'],
    });
    const response = await predict('forecast', [0, 1]);
    expect(response.statusCode).toBe(200);
    const predictions = response.json().predictions;
    expect(predictions.map((p: { arm: string; modelVersion: string }) => [p.arm, p.modelVersion])).toEqual([
      ['fallback', 'weather@v2'],
      ['fallback', 'weather@v2'],
    ]);
    expect(predictions[0].label).toBe(MODELS.candidate.predict(rowFeatures(0)));
    expect(failing.received).toBe(1);
    const events = await eventsOf(t, 'forecast');
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e.arm).toBe('fallback');
      expect(e.error).toMatch(/^broken@v1: the upstream answered 500/);
    }
  });

  it('answer from the fallback when the first version times out, then the default when all fail', async () => {
    await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'stuck@v1', weight: 1 }],
      fallback: { versions: ['weather@v1'] },
      timeoutMs: 50,
      features: ['precipitation', 'temp_max', 'temp_min', 'wind'],
    });
    const timed = await predict('forecast', [5]);
    expect(timed.json().predictions[0]).toMatchObject({ arm: 'fallback', modelVersion: 'weather@v1' });
    expect((await eventsOf(t, 'forecast'))[0]!.error).toBe('stuck@v1 timed out after 50 ms');

    await t.call('PATCH', '/api/v1/endpoints/forecast', {
      body: { fallback: { versions: ['broken@v1'], defaultResponse: { label: 'unknown' } } },
    });
    const fixed = await predict('forecast', [5]);
    expect(fixed.statusCode).toBe(200);
    expect(fixed.json().predictions[0]).toMatchObject({
      arm: 'fallback',
      modelVersion: null,
      output: { label: 'unknown' },
    });
    const last = (await eventsOf(t, 'forecast'))[0]!;
    expect(last.error).toContain('stuck@v1 timed out after 50 ms');
    expect(last.error).toContain('broken@v1: the upstream answered 500');

    await t.call('PATCH', '/api/v1/endpoints/forecast', { body: { fallback: { versions: ['broken@v1'] } } });
    const failed = await predict('forecast', [5]);
    expect(failed.statusCode).toBe(503);
    expect(failed.json().error.message).toContain('could not answer');
  });

  it('give shadows a copy after the response: a failing or stuck shadow changes and delays nothing', async () => {
    await createEndpoint(t, { name: 'plain', routes: [{ target: 'weather@v1', weight: 1 }] });
    await createEndpoint(t, {
      name: 'shadowed',
      routes: [{ target: 'weather@v1', weight: 1 }],
      shadows: ['broken@v1', 'stuck@v1'],
      features: ['precipitation', 'temp_max', 'temp_min', 'wind'],
    });
    const rows = [0, 10, 20];
    const plain = (await predict('plain', rows)).json().predictions;
    // The stuck shadow holds its copy until released: had it been on the request path, this
    // response would never come.
    const shadowed = await predict('shadowed', rows);
    expect(shadowed.statusCode).toBe(200);
    const strip = (ps: Record<string, unknown>[]) => ps.map(({ predictionId: _, ...p }) => p);
    expect(strip(shadowed.json().predictions)).toEqual(strip(plain));
    await holding.waitFor(1);
    holding.release();
    await t.plumb.services.shadows.drain();

    const report = (await t.call('GET', '/api/v1/endpoints/shadowed/shadows')).json();
    expect(report.shadows).toEqual([
      expect.objectContaining({ shadow: 'broken@v1', compared: 0, failed: 3 }),
      expect.objectContaining({ shadow: 'stuck@v1', compared: 0, failed: 3 }),
    ]);
    const shadowEvents = await eventsOf(t, 'shadowed', 'shadow');
    expect(shadowEvents).toHaveLength(6);
    expect(shadowEvents.every((e) => e.error !== null && e.outputs === null)).toBe(true);
  });

  it('report each shadow’s label agreement with the primary and its latency difference', async () => {
    await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'weather@v1', weight: 1 }],
      shadows: ['weather@v2', 'weather@champion'],
    });
    const rows = Array.from({ length: 60 }, (_, i) => i * 7);
    for (let i = 0; i < rows.length; i += 20) {
      const response = await predict('forecast', rows.slice(i, i + 20));
      expect(response.json().predictions.every((p: { arm: string }) => p.arm === 'primary')).toBe(true);
    }
    await t.plumb.services.shadows.drain();
    const agreeing = rows.filter(
      (i) => MODELS.baseline.predict(rowFeatures(i)) === MODELS.candidate.predict(rowFeatures(i)),
    ).length;
    const { shadows } = (await t.call('GET', '/api/v1/endpoints/forecast/shadows')).json();
    expect(shadows[0]).toMatchObject({ shadow: 'weather@v2', compared: 60, failed: 0, dropped: 0 });
    expect(shadows[0].labelAgreement).toBeCloseTo(agreeing / 60, 10);
    expect(shadows[1]).toMatchObject({ shadow: 'weather@champion', compared: 60, labelAgreement: 1 });
    expect(typeof shadows[0].meanLatencyDiffMs).toBe('number');
    const logged = await eventsOf(t, 'forecast', 'shadow');
    expect(logged).toHaveLength(120);
    expect(new Set(logged.map((e) => e.modelVersion))).toEqual(new Set(['weather@v2', 'weather@v1']));
  });
});
