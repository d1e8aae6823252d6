import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { canonicalJson } from '../../core/canonical-json.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { createEndpoint, eventsOf, manualClock, registerWeather, rowInput } from './serving.test-kit.js';

const KEY = 'a-test-redaction-secret-0123456789';
const hmac = (key: Buffer | string, value: unknown) =>
  `hmac-sha256:${createHmac('sha256', key).update(canonicalJson(value)).digest('hex')}`;

describeEachBackend('cache, review queue and redaction', (backend) => {
  let t: TestPlumb;
  afterEach(() => t.dispose());

  const predict = (rows: Record<string, unknown>[]) =>
    t.call('POST', '/api/v1/endpoints/forecast/predict', { body: { inputs: rows } });

  it('answer a repeated input from the cache until its time to live passes, and log hits as cache', async () => {
    const clock = manualClock();
    t = await createTestPlumb(backend, {}, { clock });
    await registerWeather(t);
    await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'weather@v1', weight: 1 }],
      cacheTtlMs: 60_000,
    });
    const first = (await predict([rowInput(0), rowInput(1)])).json().predictions;
    expect(first.map((p: { arm: string }) => p.arm)).toEqual(['primary', 'primary']);
    clock.advance(59_000);
    // Key order does not matter: the key is the canonical JSON of the row.
    const reversed = Object.fromEntries(Object.entries(rowInput(1)).reverse());
    const second = (await predict([reversed, rowInput(2)])).json().predictions;
    expect(second.map((p: { arm: string }) => p.arm)).toEqual(['cache', 'primary']);
    expect(second[0].output).toEqual(first[1].output);
    expect(second[0].modelVersion).toBe('weather@v1');
    clock.advance(1_000);
    expect((await predict([rowInput(1)])).json().predictions[0].arm).toBe('primary');
    const arms = (await eventsOf(t, 'forecast')).map((e) => e.arm);
    expect(arms.filter((a) => a === 'cache')).toHaveLength(1);
    expect(arms).toHaveLength(5);
  });

  it('queue predictions below the confidence threshold for review, and only those', async () => {
    t = await createTestPlumb(backend);
    await registerWeather(t);
    await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'weather@v1', weight: 1 }],
      reviewThreshold: 0.6,
    });
    const rows = Array.from({ length: 40 }, (_, i) => rowInput(i * 11));
    const predictions = (await predict(rows)).json().predictions as {
      predictionId: string;
      confidence: number;
      review: boolean;
    }[];
    const low = predictions.filter((p) => p.confidence < 0.6);
    expect(low.length).toBeGreaterThan(0);
    expect(low.length).toBeLessThan(predictions.length);
    expect(predictions.filter((p) => p.review)).toEqual(low);
    const queue = (await t.call('GET', '/api/v1/endpoints/forecast/review-queue?limit=500')).json();
    expect(queue.items.map((i: { predictionId: string }) => i.predictionId)).toEqual(
      low.map((p) => p.predictionId),
    );
    expect(queue.items[0].inputs).toEqual(rows[predictions.indexOf(low[0]!)]);
    const page = (await t.call('GET', '/api/v1/endpoints/forecast/review-queue?limit=1')).json();
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor === null).toBe(low.length === 1);
  });

  it('drop or hash fields before logging, with the configured key', async () => {
    t = await createTestPlumb(backend, { PLUMB_REDACTION_KEY: KEY });
    await registerWeather(t);
    await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'weather@v1', weight: 1 }],
      redact: { user_id: 'drop', email: 'hash' },
      reviewThreshold: 1,
    });
    const row = { ...rowInput(0), user_id: 42, email: 'ada@example.com' };
    const response = await predict([row]);
    expect(response.statusCode).toBe(200);
    const [event] = await eventsOf(t, 'forecast');
    expect(event!.inputs).toEqual({ ...rowInput(0), email: hmac(KEY, 'ada@example.com') });
    const [queued] = (await t.call('GET', '/api/v1/endpoints/forecast/review-queue')).json().items;
    expect(queued.inputs).toEqual(event!.inputs);
    expect(JSON.stringify(await eventsOf(t, 'forecast'))).not.toContain('ada@example.com');
  });

  it('generate the hashing key once under PLUMB_HOME when none is configured', async () => {
    t = await createTestPlumb(backend);
    await registerWeather(t);
    await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'weather@v1', weight: 1 }],
      redact: { email: 'hash' },
    });
    const file = join(t.home, 'redaction.key');
    expect(existsSync(file)).toBe(false);
    await predict([{ ...rowInput(0), email: 'ada@example.com' }]);
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    expect(key).toHaveLength(32);
    const [event] = await eventsOf(t, 'forecast');
    expect((event!.inputs as { email: string }).email).toBe(hmac(key, 'ada@example.com'));
  });
});
