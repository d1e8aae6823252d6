import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

describeEachBackend('upstream price table', (backend) => {
  let t: TestPlumb;

  beforeAll(async () => {
    t = await createTestPlumb(backend);
  });
  afterAll(() => t.dispose());

  const set = (body: unknown, key?: string) =>
    t.call('POST', '/api/v1/prices', { body, ...(key ? { key } : {}) });

  it('costs usage at the price in effect at the time, null before the first price', async () => {
    await set({ upstreamModel: 'gpt-small', inputPer1m: 0.15, outputPer1m: 0.6, from: '2026-01-01' });
    await set({
      upstreamModel: 'gpt-small',
      inputPer1m: 0.3,
      outputPer1m: 1.2,
      from: '2026-03-01T12:00:00+02:00',
    });
    const prices = t.plumb.services.prices;
    const project = t.adminCtx.principal.projectId;
    const usage = { promptTokens: 1_000, completionTokens: 500 };
    const at = (iso: string) => prices.cost(project, 'gpt-small', new Date(iso), usage);
    expect(await at('2025-12-31T23:59:59.999Z')).toBeNull();
    // 1,000 × 0.15 / 1M + 500 × 0.60 / 1M
    expect(await at('2026-01-01T00:00:00.000Z')).toBeCloseTo(0.00045, 15);
    expect(await at('2026-03-01T09:59:59.999Z')).toBeCloseTo(0.00045, 15);
    // 1,000 × 0.30 / 1M + 500 × 1.20 / 1M, from 10:00 UTC (12:00 at +02:00)
    expect(await at('2026-03-01T10:00:00.000Z')).toBeCloseTo(0.0009, 15);
    expect(await prices.cost(project, 'gpt-small', new Date('2026-06-01'), null)).toBeNull();
    expect(await prices.cost(project, 'other-model', new Date('2026-06-01'), usage)).toBeNull();
  });

  it('replaces the price of the same model and date, lists by model and date, paged', async () => {
    const first = await set({ upstreamModel: 'b-model', inputPer1m: 1, outputPer1m: 2, from: '2026-02-01' });
    expect(first.statusCode).toBe(201);
    const again = await set({
      upstreamModel: 'b-model',
      inputPer1m: 1.5,
      outputPer1m: 2.5,
      from: '2026-02-01',
    });
    expect(again.json()).toMatchObject({
      id: first.json().id,
      inputPer1m: 1.5,
      from: '2026-02-01T00:00:00.000Z',
    });
    await set({ upstreamModel: 'a-model', inputPer1m: 0, outputPer1m: 0, from: '2026-01-15' });

    const page1 = await t.call('GET', '/api/v1/prices?limit=2');
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items.map((p: { upstreamModel: string; from: string }) => p.upstreamModel)).toEqual([
      'a-model',
      'b-model',
    ]);
    const page2 = await t.call('GET', `/api/v1/prices?limit=2&cursor=${page1.json().nextCursor}`);
    expect(
      page2.json().items.map((p: { upstreamModel: string; from: string }) => [p.upstreamModel, p.from]),
    ).toEqual([
      ['gpt-small', '2026-01-01T00:00:00.000Z'],
      ['gpt-small', '2026-03-01T10:00:00.000Z'],
    ]);
    expect(page2.json().nextCursor).toBeNull();
    const one = await t.call('GET', '/api/v1/prices?upstreamModel=b-model');
    expect(one.json().items).toHaveLength(1);

    const audit = await t.call('GET', '/api/v1/audit?limit=200');
    const actions = audit.json().items.filter((r: { action: string }) => r.action === 'price.set');
    expect(actions.length).toBeGreaterThanOrEqual(4);
  });

  it('refuses bad prices and dates, naming the field', async () => {
    const negative = await set({ upstreamModel: 'x', inputPer1m: -1, outputPer1m: 0, from: '2026-01-01' });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().error).toMatchObject({ code: 'invalid_argument' });
    expect(negative.json().error.message).toContain('inputPer1m');
    const badDate = await set({ upstreamModel: 'x', inputPer1m: 1, outputPer1m: 1, from: '2026-13-45' });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json().error.message).toContain('from');
    const noZone = await set({
      upstreamModel: 'x',
      inputPer1m: 1,
      outputPer1m: 1,
      from: '2026-01-01T10:00:00',
    });
    expect(noZone.statusCode).toBe(400);
  });

  it('lets readers list prices and only maintainers set them', async () => {
    const viewer = await t.keyFor('viewer');
    expect((await t.call('GET', '/api/v1/prices', { key: viewer })).statusCode).toBe(200);
    const body = { upstreamModel: 'x', inputPer1m: 1, outputPer1m: 1, from: '2026-01-01' };
    expect((await set(body, viewer)).statusCode).toBe(403);
    expect((await set(body, await t.keyFor('service'))).statusCode).toBe(403);
    expect((await set(body, await t.keyFor('maintainer'))).statusCode).toBe(201);
  });
});
