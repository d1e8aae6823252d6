import type { KyselyPlugin, PluginTransformQueryArgs, RootOperationNode } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import type { Infra } from '../../module.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { runsModule } from './runs.module.js';
import type { RunsService } from './runs.service.js';

const ARTIFACT = Buffer.from('model bytes of a run under test\n');

/** Fails the statement that appends the audit record: the last write of every mutation. */
function failingAuditInsert(): KyselyPlugin {
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const node = args.node;
      if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'audit_records') {
        throw new Error('simulated failure after the run and its inputs were written');
      }
      return node;
    },
    transformResult: async (args) => args.result,
  };
}

describeEachBackend('runs', (backend) => {
  let t: TestPlumb;
  let runs: RunsService;
  let ctx: RequestContext;
  let blob: string;
  let weather: { id: string; ref: string };
  let labels: { id: string; ref: string };

  async function addCsv(name: string, text: string): Promise<{ id: string; ref: string }> {
    const { ref } = await t.plumb.services.blobService.upload(ctx, Buffer.from(text));
    const { version } = await t.plumb.services.datasets.addVersion(ctx, name, {
      files: [{ path: `${name}.csv`, ref }],
      message: '',
      parents: [],
      tags: {},
    });
    return { id: version.id, ref: version.ref };
  }

  /** The consumers recorded for a dataset version, as its lineage shows them. */
  async function consumersOf(ref: string): Promise<string[]> {
    const lineage = await t.plumb.services.datasetAnalysis.lineage(ctx, ref);
    const self = (await t.plumb.services.datasets.get(ctx, ref)).id;
    return lineage.edges
      .filter((e) => e.relation === 'consumed_by' && e.from === self)
      .map((e) => e.to)
      .sort();
  }

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    ctx = t.adminCtx;
    runs = t.plumb.services.runs;
    blob = (await t.plumb.services.blobService.upload(ctx, ARTIFACT)).ref;
    weather = await addCsv('weather', 'day,temp\n1,10.5\n2,11\n3,9.25\n');
    labels = await addCsv('labels', 'day,label\n1,sun\n2,rain\n');
  });
  afterEach(() => t.dispose());

  const create = (name: string, extra: Partial<Parameters<RunsService['create']>[1]> = {}) =>
    runs.create(ctx, { name, params: {}, tags: {}, codeVersion: null, inputs: [], ...extra });

  it('records a run from start to finish: params, tags, inputs, metrics, artifacts', async () => {
    const run = await create('baseline', {
      params: { lr: 0.1, optimizer: 'sgd', shuffle: true },
      tags: { team: 'forecast' },
      codeVersion: '9f3f73f',
      inputs: [weather.ref, weather.id, labels.ref],
    });
    expect(run).toMatchObject({ status: 'running', finishedAt: null, codeVersion: '9f3f73f' });
    // The same version named twice is one input; both are recorded as consumed by this run.
    expect(run.inputs).toEqual([
      { datasetVersionId: weather.id, ref: 'weather@v1' },
      { datasetVersionId: labels.id, ref: 'labels@v1' },
    ]);
    expect(await consumersOf('weather@v1')).toEqual([run.id]);
    expect(await consumersOf('labels@v1')).toEqual([run.id]);
    expect((await runs.get(ctx, run.id)).inputs).toEqual(run.inputs);

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
    await runs.logArtifact(ctx, run.id, { path: 'model/model.onnx', blobRef: blob });

    const got = await runs.get(ctx, run.id);
    expect(got.params).toEqual({ lr: 0.1, optimizer: 'sgd', shuffle: true });
    expect(got.tags).toEqual({ team: 'forecast' });
    expect(got.metrics).toEqual([
      { key: 'acc', value: 0.65, step: 0, time: new Date(5_000).toISOString() },
      { key: 'loss', value: 0.5, step: 2, time: new Date(3_000).toISOString() },
    ]);
    expect(got.artifacts).toMatchObject([{ path: 'model/model.onnx', blobRef: blob, size: ARTIFACT.length }]);

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
    await expect(create('bad', { inputs: [weather.ref, 'nope@v1'] })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(create('bad', { inputs: ['weather@v2'] })).rejects.toMatchObject({ code: 'not_found' });
    expect((await runs.list(ctx, { limit: 10 })).items).toEqual([]);
    expect(await consumersOf('weather@v1')).toEqual([]);
  });

  it('the consumer edge commits with the run: a run whose creation rolls back leaves none', async () => {
    // The runs module as the composition wires it, over a database that fails the run's audit
    // record: the last write of its creating transaction, after the consumer edges.
    const failing = runsModule.create(
      {
        db: { ...t.plumb.db, kysely: t.plumb.db.kysely.withPlugin(failingAuditInsert()) },
        audit: t.plumb.services.audit,
        clock: systemClock,
      } as Infra,
      { datasets: t.plumb.services.datasets, blobService: t.plumb.services.blobService },
    ).runs;
    await expect(
      failing.create(ctx, { name: 'lost', params: {}, tags: {}, codeVersion: null, inputs: [weather.ref] }),
    ).rejects.toThrow(/simulated failure/);
    expect((await runs.list(ctx, { limit: 10 })).items).toEqual([]);
    expect(await consumersOf('weather@v1')).toEqual([]);
    expect(await t.plumb.db.kysely.selectFrom('dataset_consumers').selectAll().execute()).toEqual([]);

    const kept = await create('kept', { inputs: [weather.ref] });
    expect(await consumersOf('weather@v1')).toEqual([kept.id]);
    expect(await consumersOf('labels@v1')).toEqual([]);
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
    expect(unknown.json().error.message).toBe('dataset version weather@v3 does not exist');
    expect(unknown.statusCode).toBe(404);
  });

  it('a finished run is immutable: metrics, artifacts and a second finish are refused', async () => {
    const run = await create('done');
    await runs.finish(ctx, run.id, 'killed');
    for (const attempt of [
      () => runs.logMetrics(ctx, run.id, [{ key: 'loss', value: 1, step: 0 }]),
      () => runs.logArtifact(ctx, run.id, { path: 'late.txt', blobRef: blob }),
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
    await runs.logArtifact(ctx, run.id, { path: 'a.bin', blobRef: blob });
    await expect(runs.logArtifact(ctx, run.id, { path: 'a.bin', blobRef: blob })).rejects.toMatchObject({
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
    await runs.logArtifact(ctx, run.id, { path: 'model.onnx', blobRef: blob });
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
    expect(trail[1].change).toEqual({ path: 'model.onnx', blobRef: blob, size: ARTIFACT.length });
    expect((await t.call('POST', '/api/v1/audit/verify')).json()).toMatchObject({ ok: true });
  });
});
