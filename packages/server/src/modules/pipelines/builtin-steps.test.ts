import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AliasMove,
  type AuditRecord,
  CreateEndpoint,
  FeedbackInput,
  InferenceEventInput,
  type PipelineRun,
} from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import {
  loadWeather,
  registerOnnx,
  setAlias,
  trainWeatherModels,
  WEATHER_CSV,
} from '../evals/evals.test-kit.js';
import { describeMover } from '../registry/registry-format.js';
import type { PipelinesService } from './pipelines.service.js';

const MODELS = trainWeatherModels();

const EVAL_SUITE = `
name: weather-gate
datasets: [seattle@v1]
label: weather
task: classification
positive_label: rain
features:
  features: [precipitation, temp_max, temp_min, wind]
slices:
  - { name: rain, column: weather, equals: rain }
metrics: [accuracy]
gate:
  max_regression: { accuracy: 0.01 }
`;

// The built-in kinds call the other modules' services: a real dataset, real ONNX models trained
// on it, a real evaluation gate against the real champion, a real endpoint.
describe('built-in steps', () => {
  let t: TestPlumb;
  let pipelines: PipelinesService;
  let dir: string;

  beforeAll(async () => {
    t = await createTestPlumb();
    pipelines = t.plumb.services.pipelines;
    t.plumb.worker.start();
    dir = mkdtempSync(join(tmpdir(), 'plumb-builtin-'));
    const s = t.plumb.services;
    const { ref } = await s.blobService.upload(t.adminCtx, readFileSync(WEATHER_CSV));
    await s.datasets.addVersion(t.adminCtx, 'seattle', {
      files: [{ path: 'seattle-weather.csv', ref }],
      message: '',
      parents: [],
      tags: {},
    });
    await t.plumb.services.registry.models.create(t.adminCtx, {
      name: 'weather',
      description: '',
      riskClass: 'limited',
      policy: { gatedAliases: [], approvalRequired: false },
    });
    const champion = await registerOnnx(t, 'weather', MODELS.baselineBytes);
    await setAlias(t, champion, 'champion');
    await s.evals.createSuite(t.adminCtx, EVAL_SUITE);
    await s.endpoints.create(
      t.adminCtx,
      CreateEndpoint.parse({ name: 'weather-api', routes: [{ target: 'weather@champion', weight: 1 }] }),
    );
    writeFileSync(join(dir, 'candidate.onnx'), MODELS.candidateBytes);
    writeFileSync(
      join(dir, 'train.mjs'),
      "import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';\n" +
        'const files = readdirSync(process.env.PLUMB_INPUT_DATA);\n' +
        "console.log('training on', files.join(','), process.env.PLUMB_INPUT_DATA_REF);\n" +
        "copyFileSync('candidate.onnx', process.env.PLUMB_WORK_DIR + '/model.onnx');\n" +
        "writeFileSync(process.env.PLUMB_OUTPUTS, JSON.stringify({ model: { file: 'model.onnx' } }));\n",
    );
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function waitFor(id: string, done: (r: PipelineRun) => boolean): Promise<PipelineRun> {
    const deadline = Date.now() + 40_000;
    for (;;) {
      const current = await pipelines.getRun(t.adminCtx, id);
      if (done(current)) return current;
      if (Date.now() > deadline) throw new Error(JSON.stringify(current.steps));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const ended = (r: PipelineRun) => ['succeeded', 'failed', 'cancelled'].includes(r.status);

  async function run(yaml: string): Promise<PipelineRun> {
    await pipelines.apply(t.adminCtx, yaml, dir);
    const name = /^name: (\S+)/m.exec(yaml)![1]!;
    const { run } = await pipelines.run(t.adminCtx, name, { params: {} });
    return waitFor(run.id, (r) => ended(r) || r.status === 'waiting');
  }
  const step = (r: PipelineRun, name: string) => r.steps.find((s) => s.name === name)!;

  it('validate, train, register, evaluate against the champion, deploy as a shadow, then promote', async () => {
    const yaml = `name: retrain
steps:
  - name: check
    kind: validate
    inputs: { dataset: { dataset: seattle@latest } }
    with:
      suite:
        name: weather-basics
        expectations:
          - { expect: row_count, min: 1000 }
          - { expect: not_null, column: weather }
  - name: train
    kind: train
    needs: [check]
    inputs: { data: steps.check.outputs.dataset }
    run: [node, train.mjs]
  - name: register
    kind: register
    needs: [train]
    inputs: { artifact: steps.train.outputs.model }
    with: { model: weather }
  - name: evaluate
    kind: evaluate
    needs: [register]
    inputs: { model: steps.register.outputs.model }
    with: { suite: weather-gate }
  - name: shadow
    kind: deploy
    needs: [evaluate]
    inputs: { model: steps.register.outputs.model }
    with: { endpoint: weather-api, mode: shadow }
  - name: promote
    kind: promote
    needs: [shadow]
    inputs: { model: steps.register.outputs.model }
    with: { alias: champion }
`;
    const done = await run(yaml);
    expect(done.status, JSON.stringify(done.steps.map((s) => [s.name, s.status, s.error]))).toBe('succeeded');
    expect(step(done, 'register').outputs!.model).toEqual({ model: 'weather@v2' });
    const evaluated = step(done, 'evaluate').outputs!;
    expect(evaluated).toMatchObject({ passed: true, baseline: 'weather@v1' });
    const evalRun = await t.plumb.services.evals.getRun(t.adminCtx, evaluated.evalRun as string);
    expect(evalRun.candidate.ref).toBe('weather@v2');
    expect(evalRun.baseline?.ref).toBe('weather@v1');
    const endpoint = await t.plumb.services.endpoints.get(t.adminCtx, 'weather-api');
    expect(endpoint.shadows).toEqual(['weather@v2']);
    const champion = await t.plumb.services.registry.models.aliasTarget(
      t.adminCtx.principal.projectId,
      'weather',
      'champion',
    );
    expect(champion?.ref).toBe('weather@v2');
    const logs = await pipelines.logs(t.adminCtx, done.id, { step: 'train', after: 0, limit: 100 });
    expect(logs.lines.map((l) => l.text)).toContain('training on seattle-weather.csv seattle@v1');
  }, 60_000);

  it('credit a promotion after approval to the run that acted and to the approvers who authorized it', async () => {
    const s = t.plumb.services;
    await s.registry.models.create(t.adminCtx, {
      name: 'audited',
      description: '',
      riskClass: 'limited',
      policy: { gatedAliases: [], approvalRequired: false },
    });
    const key = async (name: string, role: 'maintainer' | 'approver') =>
      s.keys.create(t.adminCtx, { name, role });
    const [trainer, alice, carol, bob] = await Promise.all([
      key('trainer', 'maintainer'),
      key('alice', 'approver'),
      key('carol', 'approver'),
      key('bob', 'approver'),
    ]);
    // `audit` gates the promotion; `notes` waits beside it and does not.
    await pipelines.apply(
      t.adminCtx,
      `name: audited-release
steps:
  - name: train
    kind: train
    inputs: { data: { dataset: seattle@v1 } }
    run: [node, train.mjs]
  - name: register
    kind: register
    needs: [train]
    inputs: { artifact: steps.train.outputs.model }
    with: { model: audited }
  - name: audit
    kind: approval
    needs: [register]
    with: { approvers: [alice, carol], quorum: 2 }
  - name: notes
    kind: approval
    with: { approvers: [bob] }
  - name: release
    kind: promote
    needs: [audit]
    inputs: { model: steps.register.outputs.model }
`,
      dir,
    );
    const started = await t.call('POST', '/api/v1/pipelines/audited-release/runs', {
      key: trainer.secret,
      body: { params: {} },
    });
    expect(started.statusCode, started.body).toBe(201);
    const runId = (started.json() as PipelineRun).id;
    const decide = async (secret: string, stepName: string, comment: string) => {
      const res = await t.call('POST', `/api/v1/pipeline-runs/${runId}/steps/${stepName}/approve`, {
        key: secret,
        body: { comment },
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    await waitFor(
      runId,
      (r) => step(r, 'audit').status === 'waiting' && step(r, 'notes').status === 'waiting',
    );
    await decide(bob.secret, 'notes', 'noted');
    await decide(alice.secret, 'audit', 'looks good');
    await decide(carol.secret, 'audit', '');
    const done = await waitFor(runId, ended);
    expect(done.status, JSON.stringify(done.steps.map((x) => [x.name, x.status, x.error]))).toBe('succeeded');
    expect(step(done, 'release').outputs).toMatchObject({ outcome: 'moved', model: { model: 'audited@v1' } });

    const history = await t.call('GET', '/api/v1/models/audited/aliases/champion/history');
    expect(history.statusCode, history.body).toBe(200);
    const [move] = (history.json() as { items: AliasMove[] }).items;
    const authorization = {
      pipelineRun: { id: runId, pipeline: 'audited-release', step: 'release', keyName: 'trainer' },
      approvedBy: [
        { keyId: alice.key.id, keyName: 'alice', step: 'audit', quorum: 2, comment: 'looks good' },
        { keyId: carol.key.id, keyName: 'carol', step: 'audit', quorum: 2, comment: '' },
      ],
    };
    // The key that acted stays the actor; the approvals ride beside it.
    expect(move).toMatchObject({ action: 'promote', actor: trainer.key.id, toVersion: 1, ...authorization });
    expect(move!.approvedBy).toHaveLength(2);
    expect(describeMover(move!)).toBe(
      `pipeline run ${runId} (key trainer), approved by alice: 'looks good', carol`,
    );

    const audit = await t.call(
      'GET',
      '/api/v1/audit?action=model.alias.promote&resource=model:audited@champion',
    );
    expect(audit.statusCode, audit.body).toBe(200);
    const records = (audit.json() as { items: AuditRecord[] }).items;
    expect(records).toHaveLength(1);
    expect(records[0]!.actor).toBe(trainer.key.id);
    expect(records[0]!.change).toMatchObject({ to: 'audited@v1', ...authorization });
  }, 60_000);

  it('stop the run when validation fails, without retrying', async () => {
    const yaml = `name: strict
steps:
  - name: check
    kind: validate
    retries: { max: 3 }
    inputs: { dataset: { dataset: seattle@v1 } }
    with:
      suite:
        name: impossible
        expectations: [{ expect: row_count, min: 100000 }]
  - { name: after, kind: command, run: [node, -e, ""], needs: [check] }
`;
    const done = await run(yaml);
    expect(done.status).toBe('failed');
    expect(step(done, 'check').attempts).toHaveLength(1);
    expect(step(done, 'check').error).toMatch(/seattle@v1 failed validation/);
    expect(step(done, 'after').status).toBe('skipped');
  }, 30_000);

  it('snapshot labelled predictions into a dataset version tagged with their endpoint and models', async () => {
    const rows = loadWeather().slice(0, 30);
    const now = Date.now();
    const served = await t.call('GET', '/api/v1/models/weather/versions/v1');
    expect(served.statusCode, served.body).toBe(200);
    const servedId = served.json().id as string;
    const ids = await t.plumb.services.events.recordFromApi(
      t.adminCtx,
      rows.map((r, i) =>
        InferenceEventInput.parse({
          time: new Date(now - (i + 1) * 60_000).toISOString(),
          endpoint: 'weather-api',
          modelVersion: 'weather@v1',
          modelVersionId: servedId,
          inputs: {
            precipitation: r.precipitation,
            temp_max: r.temp_max,
            temp_min: r.temp_min,
            wind: r.wind,
          },
          label: 'sun',
        }),
      ),
    );
    // Ground truth for two thirds of them, as it arrives later.
    await t.plumb.services.events.feedback(
      t.adminCtx,
      ids.flatMap((id, i) =>
        i % 3 === 0 ? [] : [FeedbackInput.parse({ predictionId: id, label: rows[i]!.weather })],
      ),
    );
    const yaml = `name: snap
steps:
  - name: snapshot
    kind: snapshot
    with: { endpoint: weather-api, dataset: weather-traffic, since: 2h, labelColumn: weather }
`;
    const done = await run(yaml);
    expect(done.status, JSON.stringify(done.steps)).toBe('succeeded');
    const out = step(done, 'snapshot').outputs!;
    expect(out).toMatchObject({
      rows: 20,
      dataset: { dataset: 'weather-traffic@v1' },
      models: ['weather@v1'],
    });
    const version = await t.plumb.services.datasets.get(t.adminCtx, 'weather-traffic@v1');
    expect(version.rowCount).toBe(20);
    expect(version.tags).toMatchObject({
      source_endpoint: 'weather-api',
      source_models: 'weather@v1',
      pipeline_run: done.id,
    });
    expect(version.schema.map((c) => c.name)).toEqual(
      expect.arrayContaining(['precipitation', 'temp_max', 'weather', 'prediction', 'model_version']),
    );
    // Its lineage leads back to the endpoint it was logged at and the version that answered there.
    const lineage = await t.call('GET', '/api/v1/datasets/weather-traffic/versions/v1/lineage');
    expect(lineage.statusCode, lineage.body).toBe(200);
    const graph = lineage.json() as {
      nodes: { id: string; kind: string; label: string }[];
      edges: unknown[];
    };
    expect(graph.nodes).toEqual(
      expect.arrayContaining([
        { id: 'endpoint:weather-api', kind: 'endpoint', label: 'weather-api' },
        { id: servedId, kind: 'model_version', label: 'weather@v1' },
      ]),
    );
    expect(graph.edges).toEqual(
      expect.arrayContaining([
        { from: 'endpoint:weather-api', to: version.id, relation: 'logged_into' },
        { from: servedId, to: 'endpoint:weather-api', relation: 'served_at' },
      ]),
    );
  }, 30_000);
});
