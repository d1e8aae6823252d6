import { PlumbClient, PlumbError } from '@plumb/sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

// The typed client against a listening server, as an application serving its own models uses it.
describeEachBackend('inference log through the SDK', (backend) => {
  let t: TestPlumb;
  let service: PlumbClient;
  let viewer: PlumbClient;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    service = new PlumbClient({ url, apiKey: await t.keyFor('service') });
    viewer = new PlumbClient({ url, apiKey: await t.keyFor('viewer') });
  });
  afterEach(() => t.dispose());

  it('records, attaches feedback and lists back with filters', async () => {
    const { ids } = await service.events.record({
      events: [
        {
          endpoint: 'churn',
          modelVersion: 'churn@v1',
          outputs: { p: 0.9 },
          confidence: 0.9,
          tags: { tenant: 'a' },
        },
        {
          endpoint: 'churn',
          modelVersion: 'churn@v2',
          arm: 'canary',
          outputs: { p: 0.2 },
          tags: { tenant: 'b' },
        },
      ],
    });
    expect(ids).toHaveLength(2);
    expect(
      await service.events.feedback({ feedback: [{ predictionId: ids[0]!, label: 'churned' }] }),
    ).toEqual({
      recorded: 1,
      unknown: [],
    });
    const canary = await viewer.events.list({ endpoint: 'churn', arm: 'canary' });
    expect(canary.items.map((e) => e.id)).toEqual([ids[1]]);
    const tenantA = await viewer.events.list({ tag: 'tenant:a' });
    expect(tenantA.items).toMatchObject([
      { id: ids[0], confidence: 0.9, feedback: { label: 'churned', value: null } },
    ]);
  });

  it('refuses NaN before sending, since JSON would turn it into null, which means unknown', async () => {
    const error = await service.events
      .record({ events: [{ outputs: 1 }, { outputs: 2, costUsd: Number.NaN }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlumbError);
    expect((error as PlumbError).code).toBe('invalid_argument');
    expect((error as PlumbError).message).toContain('events.1.costUsd');
    expect((await viewer.events.list()).items).toEqual([]);
  });
});
