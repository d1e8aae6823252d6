import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';
import { trainWeatherModels, WEATHER_CSV } from './evals.test-kit.js';

// The README's evaluate → promote → roll back walkthrough through the built CLI: what the text
// output says at each step.

const GATE = `name: weather-gate
datasets: [seattle@v1]
label: weather
task: classification
positive_label: rain
features: [precipitation, temp_max, temp_min, wind]
metrics: [accuracy, f1_macro]
gate:
  thresholds: { accuracy: { min: 0.4 } }
  max_regression: { accuracy: 0.01 }
  significance: { test: mcnemar, alpha: 0.05 }
`;

describe('evaluate, promote, roll back and read the inventory', () => {
  let cli: CliFixture;

  beforeAll(async () => {
    cli = await startCliFixture({ worker: true });
    const { t } = cli;
    const s = t.plumb.services;
    const csv = await s.blobService.upload(t.adminCtx, readFileSync(WEATHER_CSV));
    await s.datasets.addVersion(t.adminCtx, 'seattle', {
      files: [{ path: 'seattle-weather.csv', ref: csv.ref }],
      message: '',
      parents: [],
      tags: {},
    });
    const models = trainWeatherModels();
    for (const bytes of [models.baselineBytes, models.candidateBytes]) {
      const run = await t.call('POST', '/api/v1/runs', { body: { name: 'train', inputs: ['seattle@v1'] } });
      const blob = await s.blobService.upload(t.adminCtx, bytes);
      await s.registry.registration.register(t.adminCtx, 'weather', {
        artifact: { kind: 'onnx', blobRef: blob.ref },
        description: '',
        runId: run.json().id,
        model: { riskClass: 'limited' },
      });
    }
    writeFileSync(join(cli.work, 'gate.yaml'), GATE);
  });
  afterAll(() => cli.dispose());

  const plumb = async (...args: string[]) => {
    const r = await cli.plumb(args);
    expect(r.code, `plumb ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  it('prints the significance verdict on a pass, reports the latest run, and says what the gate judged', async () => {
    await plumb('eval', 'suite', 'create', 'gate.yaml');
    const first = await plumb('eval', 'run', 'weather-gate', '--model', 'weather@v1', '--interval', '50');
    expect(first).toContain('gate: PASSED');
    expect(first).toMatch(/\nsignificance \(mcnemar on accuracy\): not computed.*\n/);
    await plumb('model', 'promote', 'weather@v1');

    const second = await plumb(
      'eval',
      'run',
      'weather-gate',
      '--model',
      'weather@v2',
      '--baseline',
      'weather@champion',
      '--interval',
      '50',
    );
    expect(second).toMatch(/gate: PASSED\n$/);
    expect(second).toMatch(
      /\nsignificance \(mcnemar on accuracy\): (better|no significant difference), p (= \d\.\d{4}|< 0\.0001), difference [+-]\d\.\d{4}, alpha 0\.05\n/,
    );
    const id = /^eval run (evr_\w+)/.exec(second)![1]!;

    // A report can be asked for without copying the id.
    expect((await plumb('eval', 'report', 'latest')).split('\n')[0]).toContain(id);
    const html = join(cli.work, 'report.html');
    expect(await plumb('eval', 'report', 'weather-gate', '--html', html)).toContain(`eval run ${id}`);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
    const none = await cli.plumb(['eval', 'report', 'no-such-suite']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('not_found: no evaluation runs of suite no-such-suite');

    await plumb('model', 'promote', 'weather@v2', '--reason', 'better');
    await plumb('model', 'rollback', 'weather');
    const inventory = (await plumb('inventory')).split('\n');
    expect(inventory[0]).toMatch(
      /^NAME\s+RISKCLASS\s+OWNER\s+VERSIONCOUNT\s+ALIASES\s+GATE\s+PENDING\s+DATA$/,
    );
    expect(inventory[1]).toMatch(
      /^weather\s+limited\s+first admin\s+2\s+champion=v1\s+passed v2 vs v1\s+0\s+seattle@v1$/,
    );
  });
});
