import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { prometheusValue } from './openai-upstream.test-kit.js';
import {
  createEndpoint,
  MODELS,
  registerUpstream,
  registerWeather,
  rowFeatures,
  rowInput,
  startUpstream,
} from './serving.test-kit.js';

// /metrics counts the prediction path per endpoint and version, from what it logs.

describeEachBackend('serving metrics of predictions', (backend) => {
  let t: TestPlumb;
  let failing: Awaited<ReturnType<typeof startUpstream>>;

  beforeAll(async () => {
    t = await createTestPlumb(backend);
    await registerWeather(t);
    failing = await startUpstream('fail');
    await registerUpstream(t, 'broken', failing.url);
  });
  afterAll(async () => {
    await t.dispose();
    await failing.close();
  });

  const predict = (name: string, rows: number[]) =>
    t.call('POST', `/api/v1/endpoints/${name}/predict`, { body: { inputs: rows.map(rowInput) } });

  async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
    const text = (await t.call('GET', '/metrics', { key: null })).body;
    return prometheusValue(text, name, { project: t.adminCtx.principal.projectId, ...labels });
  }

  it('counts answers by arm, cache hits and latency per endpoint and version', async () => {
    await createEndpoint(t, {
      name: 'cached',
      routes: [{ target: 'weather@champion', weight: 1 }],
      cacheTtlMs: 60_000,
    });
    expect((await predict('cached', [1, 2])).statusCode).toBe(200);
    expect((await predict('cached', [1, 2, 3])).statusCode).toBe(200);
    // Rows 1 and 2 come from the cache the second time; row 3 and the first two are the model's.
    expect(
      await metric('plumb_serving_answers_total', {
        endpoint: 'cached',
        version: 'weather@v1',
        arm: 'primary',
      }),
    ).toBe(3);
    expect(
      await metric('plumb_serving_answers_total', {
        endpoint: 'cached',
        version: 'weather@v1',
        arm: 'cache',
      }),
    ).toBe(2);
    expect(
      await metric('plumb_serving_cache_hits_total', { endpoint: 'cached', version: 'weather@v1' }),
    ).toBe(2);
    expect(
      await metric('plumb_serving_latency_seconds_count', { endpoint: 'cached', version: 'weather@v1' }),
    ).toBe(5);
  });

  it("shows each shadow's label disagreement with the primary", async () => {
    await createEndpoint(t, {
      name: 'shadowed',
      routes: [{ target: 'weather@v1', weight: 1 }],
      shadows: ['weather@v2'],
    });
    const rows = Array.from({ length: 60 }, (_, i) => i * 7);
    expect((await predict('shadowed', rows)).statusCode).toBe(200);
    await t.plumb.services.shadows.drain();
    const differ = rows.filter(
      (i) => MODELS.baseline.predict(rowFeatures(i)) !== MODELS.candidate.predict(rowFeatures(i)),
    ).length;
    expect(differ).toBeGreaterThan(0);
    const labels = { endpoint: 'shadowed', shadow: 'weather@v2' };
    expect(await metric('plumb_serving_shadow_compared', labels)).toBe(60);
    expect(await metric('plumb_serving_shadow_label_disagreement', labels)).toBeCloseTo(differ / 60, 12);
    expect(
      await metric('plumb_serving_shadow_answers_total', { endpoint: 'shadowed', version: 'weather@v2' }),
    ).toBe(60);
  });

  it('counts the failed version as an error and the answering fallback', async () => {
    await createEndpoint(t, {
      name: 'backed-up',
      routes: [{ target: 'broken@v1', weight: 1 }],
      fallback: { versions: ['weather@v2'] },
      features: ['precipitation', 'temp_max', 'temp_min', 'wind'],
    });
    expect((await predict('backed-up', [0, 1])).statusCode).toBe(200);
    expect((await predict('backed-up', [2])).statusCode).toBe(200);
    // One failed run per request, whatever its rows.
    expect(await metric('plumb_serving_errors_total', { endpoint: 'backed-up', version: 'broken@v1' })).toBe(
      2,
    );
    expect(
      await metric('plumb_serving_fallbacks_total', { endpoint: 'backed-up', version: 'weather@v2' }),
    ).toBe(3);
    expect(
      await metric('plumb_serving_answers_total', {
        endpoint: 'backed-up',
        version: 'weather@v2',
        arm: 'fallback',
      }),
    ).toBe(3);
  });
});
