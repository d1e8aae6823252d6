import { PlumbClient, PlumbError } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

// Performance and alerts through the typed client against a listening server.
describe('performance and alerts through the SDK', () => {
  let t: TestPlumb;
  let maintainer: PlumbClient;
  let viewer: PlumbClient;
  const hourAgo = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

  beforeAll(async () => {
    t = await createTestPlumb();
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    maintainer = new PlumbClient({ url, apiKey: await t.keyFor('maintainer') });
    viewer = new PlumbClient({ url, apiKey: await t.keyFor('viewer') });
  });
  afterAll(() => t.dispose());

  it('alerts on realised accuracy once feedback shows it, and is acknowledged and resolved', async () => {
    const { ids } = await maintainer.events.record({
      events: ['yes', 'yes', 'no', 'no'].map((label, i) => ({
        time: new Date(hourAgo + i * 60_000).toISOString(),
        endpoint: 'churn',
        modelVersion: 'churn@v1',
        label,
        score: label === 'yes' ? 0.8 : 0.3,
      })),
    });
    const rule = await maintainer.alerts.createRule({
      name: 'accuracy',
      endpoint: 'churn',
      metric: 'accuracy',
      threshold: 0.9,
    });
    expect(rule.operator).toBe('lt');
    // No feedback yet: nothing to judge.
    expect((await maintainer.alerts.evaluate()).opened).toEqual([]);

    await maintainer.events.feedback({
      feedback: ids.map((predictionId, i) => ({
        predictionId,
        label: i === 0 ? 'no' : ['yes', 'yes', 'no', 'no'][i]!,
      })),
    });
    const perf = await viewer.performance.endpoint('churn', {
      from: new Date(hourAgo).toISOString(),
      to: new Date(hourAgo + 3_600_000).toISOString(),
    });
    expect(perf.series[0]!.realised.accuracy).toBe(0.75);
    expect(perf.series[0]!.estimated).not.toBeNull();

    // The window closed before its labels came: it is judged again once they are in.
    const { opened } = await maintainer.alerts.evaluate();
    expect(opened.map((a) => [a.ruleName, a.value])).toEqual([['accuracy', 0.75]]);
    const id = opened[0]!.id;
    expect((await maintainer.alerts.acknowledge(id)).status).toBe('acknowledged');
    expect((await maintainer.alerts.resolve(id)).resolution).toBe('manual');
    expect((await viewer.alerts.list({ status: 'resolved' })).items.map((a) => a.id)).toEqual([id]);
    expect((await viewer.alerts.get(id)).deliveries).toEqual([]);
    expect((await viewer.alerts.listRules()).items.map((r) => r.name)).toEqual(['accuracy']);
    await maintainer.alerts.deleteRule('accuracy');
    expect((await viewer.alerts.listRules()).items).toEqual([]);

    const denied = await viewer.alerts.evaluate().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(PlumbError);
    expect((denied as PlumbError).code).toBe('permission_denied');
  });
});
