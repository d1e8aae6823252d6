import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';
import type { TestPlumb } from '../../testing/test-plumb.js';
import { trainWeatherModels, WEATHER_CSV } from './evals.test-kit.js';

// The built CLI against a listening server wired as `plumb serve` is: the real registry, and
// evaluations run by the in-process worker from the job queue.

const SUITE = `name: weather-gate
datasets: [seattle@v1]
label: weather
task: classification
positive_label: rain
features: [precipitation, temp_max, temp_min, wind]
slices:
  - { name: rain, column: weather, equals: rain }
  - { name: warm, where: "temp_max > 20" }
metrics: [accuracy, f1]
gate:
  max_slice_regression: { accuracy: 0.02 }
`;

describe('plumb eval commands', () => {
  let cli: CliFixture;
  let t: TestPlumb;
  let work: string;

  beforeAll(async () => {
    cli = await startCliFixture({ worker: true });
    ({ t, work } = cli);
    const ctx = t.adminCtx;
    const s = t.plumb.services;
    const csv = await s.blobService.upload(ctx, readFileSync(WEATHER_CSV));
    await s.datasets.addVersion(ctx, 'seattle', {
      files: [{ path: 'seattle-weather.csv', ref: csv.ref }],
      message: '',
      parents: [],
      tags: {},
    });
    const models = trainWeatherModels();
    for (const bytes of [models.baselineBytes, models.candidateBytes]) {
      const blob = await s.blobService.upload(ctx, bytes);
      await s.registry.registration.register(ctx, 'weather', {
        artifact: { kind: 'onnx', blobRef: blob.ref },
        description: '',
        model: { riskClass: 'limited' },
      });
    }
  });
  afterAll(() => cli.dispose());

  const plumb = (...args: string[]) => cli.plumb(args);

  const _run = (...args: string[]) => cli.plumb(args);

  it('stores a suite, runs it with progress to a decision, reports as a table and HTML, lists', async () => {
    const file = join(work, 'suite.yaml');
    writeFileSync(file, SUITE);
    const created = await plumb('eval', 'suite', 'create', file);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toBe('stored weather-gate@v1\n');
    expect((await plumb('eval', 'suite', 'create', file)).stdout).toBe(
      'unchanged: the same text is already weather-gate@v1\n',
    );
    expect((await plumb('eval', 'suite', 'list')).stdout).toMatch(/weather-gate@v1\s+seattle@v1/);
    expect((await plumb('eval', 'suite', 'show', 'weather-gate@v1')).stdout).toContain(SUITE);

    // The gate fails (the candidate is worse on rainy days), so the command exits 1.
    const run = await plumb(
      'eval',
      'run',
      'weather-gate',
      '--model',
      'weather@v2',
      '--baseline',
      'weather@v1',
      '--interval',
      '50',
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^eval run evr_\w+ {2}weather-gate@v1: weather@v2 vs weather@v1\n/);
    expect(run.stdout).toMatch(/SLICE\s+ROWS\s+METRIC\s+CANDIDATE\s+BASELINE\s+DELTA\s+GATE\n/);
    expect(run.stdout).toMatch(/overall\s+1461\s+accuracy\s+0\.\d{4}\s+0\.\d{4}\s+\+0\.\d{4}/);
    expect(run.stdout).toMatch(/rain\s+641\s+accuracy\s+0\.\d{4}\s+0\.\d{4}\s+-0\.\d{4}\s+fail/);
    expect(run.stdout).toMatch(
      /gate: FAILED\n {2}- slice rain: accuracy 0\.\d+ is 0\.\d+ below the baseline's 0\.\d+ \(max regression 0\.02\)\n/,
    );
    const id = /eval run (evr_\w+)/.exec(run.stdout)![1]!;

    const queued = await plumb('--json', 'eval', 'run', 'weather-gate', '--model', 'weather@v1', '--no-wait');
    expect(queued.code, queued.stderr).toBe(0);
    expect(JSON.parse(queued.stdout)).toMatchObject({
      status: 'queued',
      candidate: { ref: 'weather@v1' },
      baseline: null,
    });

    const html = join(work, 'report.html');
    const report = await plumb('eval', 'report', id, '--html', html);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('gate: FAILED');
    expect(report.stdout).toContain(`wrote ${html}`);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>[\s\S]*Gate failed/);
    const json = JSON.parse((await plumb('--json', 'eval', 'report', id)).stdout);
    expect(json).toMatchObject({ id, status: 'succeeded', decision: { passed: false } });

    const list = await plumb('eval', 'list', '--suite', 'weather-gate');
    expect(list.stdout).toMatch(/ID\s+SUITE\s+CANDIDATE\s+BASELINE\s+STATUS\s+GATE\s+CREATEDAT/);
    expect(list.stdout).toContain(id);

    const bad = await plumb('eval', 'run', 'weather-gate', '--model', 'weather@v9');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^plumb: not_found: /);
  });
});
