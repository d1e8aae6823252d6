import { afterEach, beforeEach, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import { EndpointsRepo } from './endpoints.repo.js';
import { createEndpoint, registerWeather, rowInput } from './serving.test-kit.js';
import { ShadowRunner } from './shadow-runner.js';
import { VersionRunner } from './version-runner.js';

describeEachBackend('shadow copies beyond the queue', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
    await registerWeather(t);
  });
  afterEach(() => t.dispose());

  it('are dropped and counted per shadow, never waited for', async () => {
    await createEndpoint(t, {
      name: 'forecast',
      routes: [{ target: 'weather@v1', weight: 1 }],
      shadows: ['weather@v2'],
    });
    const endpoint = await t.plumb.services.endpoints.record(t.adminCtx.principal.projectId, 'forecast');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const repo = new EndpointsRepo(t.plumb.db);
    const shadows = new ShadowRunner({
      repo,
      runner: new VersionRunner(undefined as never),
      events: () => t.plumb.services.events,
      // Holds the first copy until the gate opens, then fails it: no model needs to run here.
      servable: async (): Promise<ModelVersionInfo> => {
        await gate;
        throw new PlumbError('unavailable', 'held, then refused');
      },
      capacity: 1,
      concurrency: 1,
    });
    const job = {
      endpoint,
      input: { kind: 'named' as const, rows: [rowInput(0)] },
      logged: [rowInput(0)],
      primary: [
        { answer: { tensors: [], output: null, label: 'sun', score: null, confidence: 0.9 }, latencyMs: 1 },
      ],
    };
    shadows.offer(job);
    await new Promise((resolve) => setImmediate(resolve));
    shadows.offer(job);
    shadows.offer(job);
    shadows.offer(job);
    open();
    await shadows.drain();
    expect(await shadows.report(endpoint)).toEqual([
      {
        shadow: 'weather@v2',
        compared: 0,
        failed: 2,
        dropped: 2,
        labelAgreement: null,
        meanAbsScoreDiff: null,
        meanLatencyDiffMs: null,
      },
    ]);
  });
});
