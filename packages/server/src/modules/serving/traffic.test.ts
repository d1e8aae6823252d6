import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { chooseRoute, routePoint } from './route-choice.js';
import { createEndpoint, registerWeather, rowInput } from './serving.test-kit.js';

describe('traffic splits', () => {
  let t: TestPlumb;

  beforeAll(async () => {
    t = await createTestPlumb();
    await registerWeather(t);
    await createEndpoint(t, {
      name: 'forecast',
      routes: [
        { target: 'weather@champion', weight: 90 },
        { target: 'weather@challenger', weight: 10 },
      ],
    });
  });
  afterAll(() => t.dispose());

  async function predictMany(n: number, key: (i: number) => string | undefined) {
    const versions: string[] = [];
    // 50 at a time: the inference log commits them in shared transactions.
    for (let start = 0; start < n; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, n - start) }, (_, j) => {
          const routeKey = key(start + j);
          return t.plumb.services.predictions.predict(t.adminCtx, 'forecast', {
            input: { kind: 'named', rows: [rowInput((start + j) % 100)] },
            routeKey,
          });
        }),
      );
      for (const r of batch) versions.push(r.predictions[0]!.modelVersion!);
    }
    return versions;
  }

  it('send each route its share, within 4.5 binomial standard deviations', async () => {
    const n = 1200;
    const versions = await predictMany(n, () => undefined);
    const challenger = versions.filter((v) => v === 'weather@v2').length;
    const p = 0.1;
    const bound = 4.5 * Math.sqrt(n * p * (1 - p));
    expect(Math.abs(challenger - n * p)).toBeLessThanOrEqual(bound);
    expect(versions.filter((v) => v === 'weather@v1').length).toBe(n - challenger);
  });

  it('keep a caller with a route key on one route, and spread keys by their share', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `customer-${i}`);
    const first = await predictMany(keys.length, (i) => keys[i]);
    const again = await predictMany(keys.length, (i) => keys[i]);
    expect(again).toEqual(first);
    const p = 0.1;
    const bound = 4.5 * Math.sqrt(keys.length * p * (1 - p));
    expect(Math.abs(first.filter((v) => v === 'weather@v2').length - keys.length * p)).toBeLessThanOrEqual(
      bound,
    );

    // The header works like the body field.
    const header = await t.call('POST', '/api/v1/endpoints/forecast/predict', {
      headers: { 'x-plumb-route-key': keys[7]! },
      body: { inputs: [rowInput(0)] },
    });
    expect(header.json().predictions[0].modelVersion).toBe(first[7]);
  });

  it('hash a key to the same point on every replica: sha256 of endpoint, NUL, key', () => {
    const digest = createHash('sha256').update('forecast\0customer-7').digest();
    const expected = Number(digest.readBigUInt64BE(0) >> 12n) / 2 ** 52;
    expect(routePoint('forecast', 'customer-7')).toBe(expected);
    const routes = [
      { target: 'a@v1', weight: 90 },
      { target: 'a@v2', weight: 10 },
    ];
    expect(chooseRoute(routes, 0.899).target).toBe('a@v1');
    expect(chooseRoute(routes, 0.9).target).toBe('a@v2');
    expect(chooseRoute(routes, 0.9)).toMatchObject({ arm: 'canary' });
    expect(chooseRoute(routes, 0)).toMatchObject({ arm: 'primary' });
  });
});
