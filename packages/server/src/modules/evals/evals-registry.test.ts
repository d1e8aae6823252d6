import { readFileSync } from 'node:fs';
import type { EvalRun } from '@plumb/sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { trainWeatherModels, WEATHER_CSV } from './evals.test-kit.js';

const MODELS = trainWeatherModels();

const suite = (name: string, gate: string) => `
name: ${name}
datasets: [seattle@v1]
label: weather
task: classification
positive_label: rain
features:
  features: [precipitation, temp_max, temp_min, wind]
slices:
  - { name: rain, column: weather, equals: rain }
  - { name: warm, where: "temp_max > 20" }
metrics: [accuracy, f1]
gate:
${gate}
`;
const LENIENT = suite(
  'lenient',
  '  thresholds: { accuracy: { min: 0.7 } }\n  max_regression: { accuracy: 0.01 }',
);
const STRICT = suite('strict', '  max_slice_regression: { accuracy: 0.02 }');

// The composition root's wiring: the real registry resolves the versions, and its promotion
// of the gated champion alias reads the decisions this module records.
describeEachBackend('evaluations with the model registry', (backend) => {
  let t: TestPlumb;
  let ctx: RequestContext;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    ctx = t.adminCtx;
    const s = t.plumb.services;
    const { ref } = await s.blobService.upload(t.adminCtx, readFileSync(WEATHER_CSV));
    await s.datasets.addVersion(ctx, 'seattle', {
      files: [{ path: 'seattle-weather.csv', ref }],
      message: '',
      parents: [],
      tags: {},
    });
    for (const [description, bytes] of [
      ['small sample', MODELS.baselineBytes],
      ['more data, longer', MODELS.candidateBytes],
    ] as const) {
      const blob = await s.blobService.upload(t.adminCtx, bytes);
      await s.registry.registration.register(ctx, 'weather', {
        artifact: { kind: 'onnx', blobRef: blob.ref },
        description,
        model: { riskClass: 'limited' },
      });
    }
  });
  afterEach(() => t.dispose());

  async function evaluate(yaml: string, candidate: string, baseline: string | null): Promise<EvalRun> {
    const evals = t.plumb.services.evals;
    const created = await evals.createSuite(ctx, yaml);
    const run = await evals.startRun(ctx, { suite: created.suite.ref, candidate, baseline });
    await evals.execute(run.id);
    return evals.getRun(ctx, run.id);
  }

  const promote = (ref: string) =>
    t.plumb.services.registry.promotion.promote(ctx, ref, { alias: 'champion', reason: 'evaluated' });

  it('a gated champion moves only for a candidate whose latest decision passed', async () => {
    await expect(promote('weather@v1')).rejects.toMatchObject({ code: 'failed_precondition' });

    // The first model has no champion to beat: the alias points nowhere, so no baseline.
    const first = await evaluate(LENIENT, 'weather@v1', 'weather@champion');
    expect(first).toMatchObject({ status: 'succeeded', baseline: null, decision: { passed: true } });
    expect(await promote('weather@v1')).toMatchObject({ outcome: 'moved' });

    const strict = await evaluate(STRICT, 'weather@v2', 'weather@champion');
    expect(strict.baseline!.ref).toBe('weather@v1');
    expect(strict.decision!.passed).toBe(false);
    const refused = await promote('weather@v2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PlumbError);
    expect((refused as PlumbError).message).toContain(strict.decision!.reasons[0]!);

    const lenient = await evaluate(LENIENT, 'weather@v2', 'weather@champion');
    expect(lenient.decision).toMatchObject({ passed: true, reasons: [] });
    expect(await promote('weather@v2')).toMatchObject({ outcome: 'moved' });

    // Model cards read the results and the latest decision through the same lookup.
    const card = await t.plumb.services.registry.cards.card(ctx, 'weather@v2');
    expect(card.evaluations.map((e) => e.suite)).toEqual(['lenient@v1', 'strict@v1']);
    expect(card.evaluations[0]!.metrics.overall!.accuracy).toBeCloseTo(
      lenient.result!.slices[0]!.candidate.accuracy!,
      12,
    );
    expect(card.latestGate).toMatchObject({ id: lenient.decision!.id, suite: 'lenient@v1', passed: true });
    const { items } = await t.plumb.services.evals.listRuns(ctx, {
      limit: 10,
      candidate: lenient.candidate.versionId,
    });
    expect(items.map((r) => r.suite.ref)).toEqual(['lenient@v1', 'strict@v1']);
  });
});
