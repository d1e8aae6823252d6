import { readFileSync } from 'node:fs';
import { type EvalRun, PlumbClient } from '@plumb/sdk';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../../http/app.js';
import { Metrics } from '../../http/metrics.js';
import { Worker } from '../../storage/queue/worker.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { evalRoutes } from './evals.routes.js';
import { EVAL_RUN_QUEUE, type EvalsService } from './evals.service.js';
import {
  createUngatedModel,
  evalsWithBatchSize,
  registerOnnx,
  setAlias,
  trainWeatherModels,
  WEATHER_CSV,
} from './evals.test-kit.js';

const MODELS = trainWeatherModels();

const SUITE = `
name: weather-http
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
  thresholds: { accuracy: { min: 0.99 } }
`;

// The routes and the typed client over a real listening app whose evaluations service reads
// models from the instance's registry in batches of 500, with jobs run by a worker as
// `plumb serve` runs them.
describeEachBackend('evaluations over HTTP and the SDK', (backend) => {
  let t: TestPlumb;
  let kit: Awaited<ReturnType<typeof evalsWithBatchSize>>;
  let evals: EvalsService;
  let app: FastifyInstance;
  let worker: Worker;
  let client: PlumbClient;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    kit = await evalsWithBatchSize(t, 500);
    ({ evals } = kit);
    app = buildApp({
      routes: [...t.plumb.routes.filter((r) => !r.url.startsWith('/api/v1/eval-')), ...evalRoutes({ evals })],
      permissions: t.plumb.permissions,
      authenticate: (secret) => t.plumb.services.keys.check(secret),
      checkReady: async () => {},
      metrics: new Metrics(),
      bodyLimitBytes: 1024 * 1024,
      logger: false,
      version: 'test',
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const silent = { info: () => {}, warn: () => {}, error: () => {} };
    worker = new Worker({ queue: t.plumb.services.jobs, logger: silent, pollIntervalMs: 20 }).register<
      { evalRunId: string },
      null
    >(EVAL_RUN_QUEUE, async (job, context) => {
      await evals.execute(job.payload.evalRunId, {
        onProgress: (rows) => context.progress({ rows }),
        signal: context.signal,
        finalAttempt: job.attempts >= job.maxAttempts,
      });
      return null;
    });
    worker.start();
    client = new PlumbClient({ url, apiKey: t.adminSecret });
    await createUngatedModel(t, 'weather');
    const v1 = await registerOnnx(t, 'weather', MODELS.baselineBytes);
    await registerOnnx(t, 'weather', MODELS.candidateBytes);
    await setAlias(t, v1, 'champion');
    const { ref } = await client.blobs.upload(readFileSync(WEATHER_CSV));
    await client.datasets.addVersion('seattle', { files: [{ path: 'seattle-weather.csv', ref }] });
  });
  afterEach(async () => {
    await worker.stop();
    await app.close();
    await kit.close();
    await t.dispose();
  });

  it('stores suites as versions, runs in the background with progress, and reports', async () => {
    const first = await client.evals.createSuite(SUITE);
    expect(first).toMatchObject({ created: true, suite: { ref: 'weather-http@v1', version: 1 } });
    expect(first.suite.spec).toMatchObject({
      name: 'weather-http',
      task: 'classification',
      slices: expect.any(Array),
    });
    expect(await client.evals.createSuite(SUITE)).toMatchObject({
      created: false,
      suite: { id: first.suite.id },
    });
    const second = await client.evals.createSuite(SUITE.replace('min: 0.99', 'min: 0.5'));
    expect(second.suite.ref).toBe('weather-http@v2');
    expect((await client.evals.getSuite('weather-http')).version).toBe(2);
    expect((await client.evals.getSuite('weather-http@v1')).yaml).toBe(SUITE);
    expect((await client.evals.getSuite('weather-http@1')).version).toBe(1);
    expect((await client.evals.suiteVersions('weather-http')).items.map((s) => s.version)).toEqual([2, 1]);
    expect((await client.evals.listSuites()).items.map((s) => s.ref)).toEqual(['weather-http@v2']);

    const started = await client.evals.run({
      suite: 'weather-http@v1',
      candidate: 'weather@v2',
      baseline: 'weather@champion',
    });
    expect(started).toMatchObject({
      status: 'queued',
      rowsDone: 0,
      rowsTotal: 1461,
      result: null,
      decision: null,
    });
    const seen: EvalRun[] = [];
    const run = await client.evals.waitForRun(started.id, {
      intervalMs: 20,
      onProgress: (r) => seen.push(r),
    });
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run.rowsDone).toBe(1461);
    expect(run.decision).toMatchObject({ passed: false, suite: 'weather-http@v1' });
    expect(run.decision!.reasons[0]).toMatch(/^overall: accuracy 0\.\d+ is below the minimum 0\.99$/);
    expect(run.result!.batchSize).toBe(500);
    expect(run.result!.slices.map((s) => s.name)).toEqual(['overall', 'rain', 'warm']);
    expect(run.result!.timings.inferenceMs).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)!.status).toBe('succeeded');

    const page = await client.evals.listRuns({ suite: 'weather-http' });
    expect(page.items.map((r) => r.id)).toEqual([run.id]);
    expect(page.items[0]).not.toHaveProperty('result');
    expect(page.items[0]!.decision!.passed).toBe(false);
    expect((await client.evals.listRuns({ status: 'failed' })).items).toEqual([]);
    expect((await client.evals.listRuns({ candidate: run.candidate.versionId })).items).toHaveLength(1);

    const html = await client.evals.reportHtml(run.id);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Gate failed');
    expect(html).toContain('weather@v2');
    const raw = await app.inject({
      method: 'GET',
      url: `/api/v1/eval-runs/${run.id}/report.html`,
      headers: { authorization: `Bearer ${t.adminSecret}` },
    });
    expect(raw.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(raw.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
  });

  it('reports clear errors: invalid suites, unknown references, upstream models, bad columns', async () => {
    const invalid = await client.evals.createSuite('name: x\ndatasets: []\n').catch((e) => e);
    expect(invalid).toMatchObject({ code: 'invalid_argument' });
    expect(invalid.message).toMatch(
      /^the suite is invalid: datasets: must list at least one dataset version \(line 2\)/,
    );
    expect(invalid.details.problems.length).toBeGreaterThan(2);

    await expect(client.evals.createSuite(SUITE.replace('seattle@v1', 'seattle@v9'))).rejects.toMatchObject({
      code: 'not_found',
      message: 'dataset version seattle@v9 does not exist',
    });
    await client.evals.createSuite(SUITE);
    await expect(client.evals.run({ suite: 'nope', candidate: 'weather@v2' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(client.evals.run({ suite: 'weather-http', candidate: 'weather@v7' })).rejects.toMatchObject({
      code: 'not_found',
    });

    await t.plumb.services.registry.registration.register(t.adminCtx, 'chat', {
      artifact: { kind: 'openai', baseUrl: 'http://127.0.0.1:1', model: 'gpt' },
      description: '',
      model: { riskClass: 'minimal' },
    });
    await expect(client.evals.run({ suite: 'weather-http', candidate: 'chat@v1' })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: 'chat@v1 is served by an upstream (openai); evaluating upstream models is not available yet',
    });

    const misspelt = SUITE.replace('name: weather-http', 'name: misspelt').replace(
      'temp_max > 20',
      'tmax > 20',
    );
    await client.evals.createSuite(misspelt);
    await expect(client.evals.run({ suite: 'misspelt', candidate: 'weather@v2' })).rejects.toMatchObject({
      code: 'failed_precondition',
      message:
        'seattle@v1 has no column tmax (slice warm); it has date, precipitation, temp_max, temp_min, wind, weather',
    });
    expect((await client.evals.listRuns()).items).toEqual([]);
  });

  it('keeps runs in their project; readers read, writers write', async () => {
    await client.evals.createSuite(SUITE);
    const run = await client.evals.run({ suite: 'weather-http', candidate: 'weather@v2' });
    await client.evals.waitForRun(run.id, { intervalMs: 20 });
    const call = (method: string, url: string, key: string, body?: unknown) =>
      app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });

    await client.projects.create({ name: 'other' });
    const outsider = await t.keyFor('maintainer', 'other');
    expect((await call('GET', `/api/v1/eval-runs/${run.id}`, outsider)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/eval-runs/${run.id}/report.html`, outsider)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/eval-suites/weather-http', outsider)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/eval-runs', outsider)).json().items).toEqual([]);

    for (const role of ['viewer', 'approver'] as const) {
      const key = await t.keyFor(role);
      expect((await call('GET', `/api/v1/eval-runs/${run.id}`, key)).statusCode).toBe(200);
      expect((await call('GET', '/api/v1/eval-suites', key)).statusCode).toBe(200);
      expect((await call('POST', '/api/v1/eval-suites', key, { yaml: SUITE })).statusCode).toBe(403);
      expect(
        (await call('POST', '/api/v1/eval-runs', key, { suite: 'weather-http', candidate: 'weather@v2' }))
          .statusCode,
      ).toBe(403);
    }
    for (const role of ['service', 'annotator'] as const) {
      expect((await call('GET', '/api/v1/eval-runs', await t.keyFor(role))).statusCode).toBe(403);
    }
    const maintainer = await t.keyFor('maintainer');
    const created = await call('POST', '/api/v1/eval-runs', maintainer, {
      suite: 'weather-http',
      candidate: 'weather@v2',
    });
    expect(created.statusCode).toBe(201);
  });
});
