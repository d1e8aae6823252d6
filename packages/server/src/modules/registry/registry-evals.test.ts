import { PlumbClient } from '@plumb/sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registryKit } from './registry.test-kit.js';

const suite = (minAccuracy: number) => `
name: weather-gate
datasets: [weather@v1]
label: weather
task: classification
features: [precipitation, temp_max, temp_min, wind]
slices:
  - { name: rain, column: weather, equals: rain }
metrics: [accuracy]
gate:
  thresholds: { accuracy: { min: ${minAccuracy} } }
`;

// The registry as wired in main.ts: gate decisions come from real evaluation runs of a real
// registered ONNX model, executed by the background worker, and promotion obeys them.
describeEachBackend('promotion gated by real evaluations', (backend) => {
  let t: TestPlumb;
  let client: PlumbClient;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    client = new PlumbClient({ url, apiKey: t.adminSecret });
    t.plumb.worker.start();
  });
  afterEach(() => t.dispose());

  async function evaluate(minAccuracy: number) {
    const created = await client.evals.createSuite(suite(minAccuracy));
    const started = await client.evals.run({
      suite: created.suite.ref,
      candidate: 'weather-clf@v1',
      baseline: 'weather-clf@champion',
    });
    const run = await client.evals.waitForRun(started.id, { intervalMs: 50 });
    expect(run.status, run.error ?? '').toBe('succeeded');
    return run;
  }

  it('refuses the champion move after a failed gate and makes it after a passed one', async () => {
    const world = await registryKit.weatherWorld(t);
    await client.models.create({ name: 'weather-clf', riskClass: 'limited', owner: 'forecasting' });
    const version = await client.models.register('weather-clf', {
      artifact: { kind: 'onnx', blobRef: world.blobRef },
      runId: world.runId,
    });

    const strict = await evaluate(0.99);
    expect(strict.decision).toMatchObject({ passed: false });
    const refused = await client.models.promote('weather-clf@v1').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'failed_precondition', details: { rule: 'gate_failed' } });
    expect((refused as Error).message).toContain(strict.decision!.reasons[0]!);

    const fair = await evaluate(0.5);
    expect(fair.decision).toMatchObject({ passed: true, baselineVersionId: null });
    const promoted = await client.models.promote('weather-clf@v1', { reason: 'passes weather-gate@v2' });
    expect(promoted).toMatchObject({ outcome: 'moved', alias: { alias: 'champion', versionId: version.id } });

    const card = await client.models.card('weather-clf@champion');
    expect(card.latestGate).toMatchObject({ id: fair.decision!.id, passed: true, suite: 'weather-gate@v2' });
    expect(card.evaluations.map((e) => e.suite)).toEqual(['weather-gate@v2', 'weather-gate@v1']);
    expect(card.evaluations[0]!.metrics.overall!.accuracy).toBeCloseTo(
      fair.result!.slices[0]!.candidate.accuracy!,
      12,
    );
    const inventory = await client.models.inventory();
    expect(inventory.items[0]).toMatchObject({
      aliases: { champion: 'weather-clf@v1' },
      latestGate: { ref: 'weather-clf@v1', passed: true },
    });
  });
});
