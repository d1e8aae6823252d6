import { afterEach, beforeEach, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import type { Executor } from '../../storage/database.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { type DatasetVersionResolver, RunsService } from './runs.service.js';

const BLOB = `sha256:${'ab'.repeat(32)}`;

/** Two known dataset versions; records consumers in a table-less list, inside the transaction. */
function fakeDatasets() {
  const versions = new Map([
    ['weather@v3', { id: 'dsv_01WEATHER3', ref: 'weather@v3' }],
    ['dsv_01WEATHER3', { id: 'dsv_01WEATHER3', ref: 'weather@v3' }],
    ['labels@v1', { id: 'dsv_01LABELS1', ref: 'labels@v1' }],
  ]);
  const consumers: { versionId: string; runId: string }[] = [];
  const resolver: DatasetVersionResolver = {
    resolve: async (_projectId, ref) => {
      const v = versions.get(ref);
      if (!v) throw new PlumbError('not_found', `dataset version ${ref} does not exist`);
      return v;
    },
    recordConsumer: async (_trx: Executor, versionId, consumer) => {
      consumers.push({ versionId, runId: consumer.id });
    },
  };
  return { resolver, consumers };
}

describeEachBackend('runs', (backend) => {
  let t: TestPlumb;
  let runs: RunsService;
  let ctx: RequestContext;
  let datasets: ReturnType<typeof fakeDatasets>;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    datasets = fakeDatasets();
    runs = new RunsService(t.plumb.db, t.plumb.services.audit, systemClock, datasets.resolver, {
      stat: async (ref) => (ref === BLOB ? { size: 1234 } : null),
    });
    ctx = t.adminCtx;
  });
  afterEach(() => t.dispose());

  const create = (name: string, extra: Partial<Parameters<RunsService['create']>[1]> = {}) =>
    runs.create(ctx, { name, params: {}, tags: {}, codeVersion: null, inputs: [], ...extra });

  it('records a run from start to finish: params, tags, inputs, metrics, artifacts', async () => {
    const run = await create('baseline', {
      params: { lr: 0.1, optimizer: 'sgd', shuffle: true },
      tags: { team: 'forecast' },
      codeVersion: '9f3f73f',
      inputs: ['weather@v3', 'dsv_01WEATHER3', 'labels@v1'],
    });
    expect(run).toMatchObject({ status: 'running', finishedAt: null, codeVersion: '9f3f73f' });
    // The same version named twice is one input; both are recorded as consumed by this run.
    expect(run.inputs).toEqual([
      { datasetVersionId: 'dsv_01WEATHER3', ref: 'weather@v3' },
      { datasetVersionId: 'dsv_01LABELS1', ref: 'labels@v1' },
    ]);
    expect(datasets.consumers).toEqual([
      { versionId: 'dsv_01WEATHER3', runId: run.id },
      { versionId: 'dsv_01LABELS1', runId: run.id },
    ]);

    await runs.logMetrics(ctx, run.id, [
      { key: 'loss', value: 0.9, step: 0, time: 1_000 },
      { key: 'loss', value: 0.5, step: 2, time: 3_000 },
      { key: 'loss', value: 0.7, step: 1, time: 2_000 },
      { key: 'acc', value: 0.6, step: 0, time: 1_000 },
    ]);
    // A later batch with a lower step does not replace the latest value; the same step does.
    await runs.logMetrics(ctx, run.id, [
      { key: 'loss', value: 0.8, step: 1, time: 4_000 },
      { key: 'acc', value: 0.65, step: 0, time: 5_000 },
    ]);
    await runs.logArtifact(ctx, run.id, { path: 'model/model.onnx', blobRef: BLOB });

    const got = await runs.get(ctx, run.id);
    expect(got.params).toEqual({ lr: 0.1, optimizer: 'sgd', shuffle: true });
    expect(got.tags).toEqual({ team: 'forecast' });
    expect(got.metrics).toEqual([
      { key: 'acc', value: 0.65, step: 0, time: new Date(5_000).toISOString() },
      { key: 'loss', value: 0.5, step: 2, time: new Date(3_000).toISOString() },
    ]);
    expect(got.artifacts).toMatchObject([{ path: 'model/model.onnx', blobRef: BLOB, size: 1234 }]);

    const history = await runs.metricHistory(ctx, run.id, { key: 'loss', limit: 100 });
    expect(history.items.map((p) => [p.step, p.value])).toEqual([
      [0, 0.9],
      [1, 0.7],
      [1, 0.8],
      [2, 0.5],
    ]);

    const finished = await runs.finish(ctx, run.id, 'finished');
    expect(finished.status).toBe('finished');
    expect(finished.finishedAt).not.toBeNull();
  });

  it('rejects unknown input datasets and stores nothing', async () => {
    await expect(create('bad', { inputs: ['nope@v1'] })).rejects.toMatchObject({ code: 'not_found' });
    expect((await runs.list(ctx, { limit: 10 })).items).toEqual([]);
  });

  it('records real dataset versions as inputs, visible in the dataset lineage', async () => {
    const upload = await t.call('POST', '/api/v1/blobs', {
      body: Buffer.from('a,b\n1,2\n3,4\n'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const added = await t.call('POST', '/api/v1/datasets/tiny/versions', {
      body: { files: [{ path: 'tiny.csv', ref: upload.json().ref }] },
    });
    expect(added.statusCode, added.body).toBe(201);
    const response = await t.call('POST', '/api/v1/runs', { body: { name: 'x', inputs: ['tiny@v1'] } });
    expect(response.statusCode, response.body).toBe(201);
    const run = response.json();
    const lineage = (await t.call('GET', '/api/v1/datasets/tiny/versions/1/lineage')).json();
    expect(lineage.edges).toContainEqual({
      from: added.json().version.id,
      to: run.id,
      relation: 'consumed_by',
    });
    const unknown = await t.call('POST', '/api/v1/runs', { body: { name: 'y', inputs: ['weather@v3'] } });
    expect(unknown.statusCode).toBe(404);
  });

  it('a finished run is immutable: metrics, artifacts and a second finish are refused', async () => {
    const run = await create('done');
    await runs.finish(ctx, run.id, 'killed');
    for (const attempt of [
      () => runs.logMetrics(ctx, run.id, [{ key: 'loss', value: 1, step: 0 }]),
      () => runs.logArtifact(ctx, run.id, { path: 'late.txt', blobRef: BLOB }),
      () => runs.finish(ctx, run.id, 'finished'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'failed_precondition' });
    }
    const got = await runs.get(ctx, run.id);
    expect(got).toMatchObject({ status: 'killed', metrics: [], artifacts: [] });

    const http = await t.call('POST', `/api/v1/runs/${run.id}/metrics`, {
      body: { points: [{ key: 'loss', value: 1, step: 0 }] },
    });
    expect(http.statusCode).toBe(412);
    expect(http.json().error.code).toBe('failed_precondition');
  });

  it('refuses artifacts whose blob is missing and duplicate paths', async () => {
    const run = await create('art');
    await expect(
      runs.logArtifact(ctx, run.id, { path: 'a.bin', blobRef: `sha256:${'0'.repeat(64)}` }),
    ).rejects.toMatchObject({ code: 'failed_precondition' });
    await runs.logArtifact(ctx, run.id, { path: 'a.bin', blobRef: BLOB });
    await expect(runs.logArtifact(ctx, run.id, { path: 'a.bin', blobRef: BLOB })).rejects.toMatchObject({
      code: 'already_exists',
    });
  });

  it('compares runs: params side by side with differs, latest metrics side by side', async () => {
    const a = await create('a', { params: { lr: 0.1, depth: 3, note: 'x' } });
    const b = await create('b', { params: { lr: 0.01, depth: 3 } });
    const c = await create('c', { params: { lr: 0.1, depth: 3, note: 'x' } });
    await runs.logMetrics(ctx, a.id, [{ key: 'acc', value: 0.8, step: 5 }]);
    await runs.logMetrics(ctx, b.id, [
      { key: 'acc', value: 0.8, step: 9 },
      { key: 'loss', value: 0.2, step: 9 },
    ]);
    await runs.logMetrics(ctx, c.id, [{ key: 'acc', value: 0.8, step: 5 }]);

    const comparison = await runs.compare(ctx, [b.id, a.id, c.id]);
    expect(comparison.runs.map((r) => r.name)).toEqual(['b', 'a', 'c']);
    expect(comparison.params).toEqual([
      { key: 'depth', values: [3, 3, 3], differs: false },
      { key: 'lr', values: [0.01, 0.1, 0.1], differs: true },
      { key: 'note', values: [null, 'x', 'x'], differs: true },
    ]);
    expect(comparison.metrics).toEqual([
      {
        key: 'acc',
        values: [
          { value: 0.8, step: 9 },
          { value: 0.8, step: 5 },
          { value: 0.8, step: 5 },
        ],
        differs: false,
      },
      { key: 'loss', values: [{ value: 0.2, step: 9 }, null, null], differs: true },
    ]);

    const http = await t.call('GET', `/api/v1/runs/compare?ids=${a.id},${c.id}`);
    expect(http.json().params.every((p: { differs: boolean }) => !p.differs)).toBe(true);
    expect((await t.call('GET', `/api/v1/runs/compare?ids=${a.id}`)).statusCode).toBe(400);
    expect((await t.call('GET', `/api/v1/runs/compare?ids=${a.id},run_01MISSING`)).statusCode).toBe(404);
  });

  it('lists newest first, filters by name, status and tag, and pages with a cursor', async () => {
    const made = [];
    for (let i = 0; i < 7; i++) {
      made.push(
        await create(i % 2 === 0 ? 'even' : 'odd', {
          tags: { parity: i % 2 === 0 ? 'even' : 'odd', n: `${i}` },
        }),
      );
    }
    await runs.finish(ctx, made[0]!.id, 'failed');

    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (
        await t.call('GET', `/api/v1/runs?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      ).json() as { items: { id: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      ids.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(ids).toEqual(made.map((r) => r.id).reverse());

    const names = async (query: string) =>
      (await t.call('GET', `/api/v1/runs?${query}`))
        .json()
        .items.map((r: { tags: { n: string } }) => r.tags.n);
    expect(await names('name=odd')).toEqual(['5', '3', '1']);
    expect(await names('status=failed')).toEqual(['0']);
    expect(await names('tag=parity%3Deven&status=running')).toEqual(['6', '4', '2']);
    expect(await names('tag=n%3D3')).toEqual(['3']);
    expect(await names('tag=n')).toHaveLength(7);
    expect(await names('tag=missing')).toEqual([]);
    expect((await t.call('GET', '/api/v1/runs?cursor=garbage')).statusCode).toBe(400);
  });

  it('keeps runs inside their project', async () => {
    const run = await create('mine');
    await t.call('POST', '/api/v1/projects', { body: { name: 'other' } });
    const outsider = await t.keyFor('maintainer', 'other');
    expect((await t.call('GET', `/api/v1/runs/${run.id}`, { key: outsider })).statusCode).toBe(404);
    expect((await t.call('GET', '/api/v1/runs', { key: outsider })).json().items).toEqual([]);
    const post = await t.call('POST', `/api/v1/runs/${run.id}/finish`, { key: outsider, body: {} });
    expect(post.statusCode).toBe(404);
  });

  it('readers read, writers write; service and annotator keys do neither', async () => {
    const run = await create('perm');
    for (const role of ['viewer', 'approver'] as const) {
      const key = await t.keyFor(role);
      expect((await t.call('GET', `/api/v1/runs/${run.id}`, { key })).statusCode).toBe(200);
      expect((await t.call('POST', '/api/v1/runs', { key, body: { name: 'no' } })).statusCode).toBe(403);
    }
    for (const role of ['service', 'annotator'] as const) {
      const key = await t.keyFor(role);
      expect((await t.call('GET', '/api/v1/runs', { key })).statusCode).toBe(403);
    }
    const maintainer = await t.keyFor('maintainer');
    expect(
      (await t.call('POST', '/api/v1/runs', { key: maintainer, body: { name: 'yes' } })).statusCode,
    ).toBe(201);
  });

  it('writes an audit record for every change, in a chain that verifies', async () => {
    const run = await create('audited', { params: { lr: 0.1 } });
    await runs.logMetrics(ctx, run.id, [{ key: 'loss', value: 1, step: 0, time: 0 }]);
    await runs.logArtifact(ctx, run.id, { path: 'model.onnx', blobRef: BLOB });
    await runs.finish(ctx, run.id, 'finished');
    const trail = (await t.call('GET', `/api/v1/audit?resource=run:${run.id}`)).json().items;
    expect(trail.map((r: { action: string }) => r.action)).toEqual([
      'run.finish',
      'run.log_artifact',
      'run.log_metrics',
      'run.create',
    ]);
    expect(trail[3].change).toMatchObject({ name: 'audited', params: { lr: 0.1 } });
    expect(trail[2].change).toMatchObject({ points: 1, keys: ['loss'], firstSeq: 0 });
    expect(trail[2].change.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(trail[1].change).toEqual({ path: 'model.onnx', blobRef: BLOB, size: 1234 });
    expect((await t.call('POST', '/api/v1/audit/verify')).json()).toMatchObject({ ok: true });
  });
});
