import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registryKit } from './registry.test-kit.js';

describeEachBackend('model inventory and lineage', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  /**
   * weather@v1 (raw) → cleaning run → weather@v2 (fewer rows, parent v1) → training run →
   * weather-clf@v1. Also downstream of weather@v1, and so not in the model's lineage: another
   * run and another derived version.
   */
  async function lineageWorld() {
    const post = async (url: string, body: unknown) => {
      const r = await t.call('POST', url, { body });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.body}`);
      return r.json();
    };
    const lines = registryKit.weatherCsv().toString('utf8').trim().split('\n');
    const raw = await registryKit.upload(t, registryKit.weatherCsv());
    const v1 = (await post('/api/v1/datasets/weather/versions', { files: [{ path: 'w.csv', ref: raw }] }))
      .version;
    const clean = await post('/api/v1/runs', { name: 'clean', inputs: ['weather@v1'] });
    const cleaned = await registryKit.upload(t, Buffer.from(`${lines.slice(0, 1001).join('\n')}\n`));
    const v2 = (
      await post('/api/v1/datasets/weather/versions', {
        files: [{ path: 'w.csv', ref: cleaned }],
        parents: ['weather@v1'],
        producedByRun: clean.id,
      })
    ).version;
    const other = await registryKit.upload(t, Buffer.from(`${lines.slice(0, 11).join('\n')}\n`));
    await post('/api/v1/datasets/weather/versions', {
      files: [{ path: 'w.csv', ref: other }],
      parents: ['weather@v1'],
    });
    await post('/api/v1/runs', { name: 'unrelated', inputs: ['weather@v1'] });
    const train = await post('/api/v1/runs', { name: 'train', inputs: ['weather@v2'] });
    const blobRef = await registryKit.upload(t, registryKit.weatherModel().bytes);
    await post('/api/v1/models', {
      name: 'weather-clf',
      riskClass: 'limited',
      owner: 'forecasting',
      policy: { gatedAliases: [] },
    });
    const mv = await post('/api/v1/models/weather-clf/versions', {
      artifact: { kind: 'onnx', blobRef },
      runId: train.id,
    });
    return { v1, v2, clean, train, mv };
  }

  it('walks version → run → dataset versions → their parents and producing runs, upstream only', async () => {
    const w = await lineageWorld();
    const graph = (await t.call('GET', '/api/v1/models/weather-clf/versions/1/lineage')).json();
    expect(graph.root).toBe(w.mv.id);
    expect(new Set(graph.nodes.map((n: { id: string; kind: string }) => `${n.kind} ${n.id}`))).toEqual(
      new Set([
        `model_version ${w.mv.id}`,
        `run ${w.train.id}`,
        `dataset_version ${w.v2.id}`,
        `dataset_version ${w.v1.id}`,
        `run ${w.clean.id}`,
      ]),
    );
    expect(graph.nodes).toContainEqual({ id: w.mv.id, kind: 'model_version', label: 'weather-clf@v1' });
    expect(graph.nodes).toContainEqual({ id: w.v2.id, kind: 'dataset_version', label: 'weather@v2' });
    const edges = graph.edges.map(
      (e: { from: string; to: string; relation: string }) => `${e.from} ${e.relation} ${e.to}`,
    );
    expect(new Set(edges)).toEqual(
      new Set([
        `${w.train.id} produced ${w.mv.id}`,
        `${w.v2.id} consumed_by ${w.train.id}`,
        `${w.v1.id} parent_of ${w.v2.id}`,
        `${w.clean.id} produced ${w.v2.id}`,
      ]),
    );
    expect(edges).toHaveLength(4);
  });

  it('lists every model with owner, risk, versions, aliases, latest gate, pending requests and data', async () => {
    const w = await lineageWorld();
    const gates = registryKit.fakeGates();
    const registry = registryKit.registry(t, gates.lookup);
    const { ctx: admin } = await registryKit.actor(t, 'admin');
    await t.call('PUT', '/api/v1/models/weather-clf/aliases/shadow', { body: { version: 1 } });
    await registry.models.create(admin, {
      name: 'loans',
      owner: 'credit',
      description: 'credit scoring',
      riskClass: 'high',
      policy: { gatedAliases: ['champion'], approvalRequired: false },
    });
    const card =
      '---\nintended_use: a\nout_of_scope_use: b\nlimitations: c\nethical_considerations: d\n---\n';
    const loans = [];
    for (let i = 1; i <= 2; i++) {
      loans.push(
        await registry.registration.register(admin, 'loans', {
          artifact: { kind: 'oip', url: `http://h/v2/models/loans-${i}` },
          description: '',
          card,
        }),
      );
    }
    gates.decide(loans[0]!.id, false, ['auc dropped']);
    gates.decide(loans[1]!.id, true);
    await registry.promotion.promote(admin, 'loans@v2', { alias: 'champion', reason: '' });

    const page = await registry.inventory.inventory(admin, { limit: 50 });
    expect(page.items).toEqual([
      {
        name: 'loans',
        owner: 'credit',
        riskClass: 'high',
        description: 'credit scoring',
        approvalRequired: true,
        versionCount: 2,
        latestVersion: 2,
        aliases: {},
        latestGate: expect.objectContaining({ ref: 'loans@v2', passed: true, suite: 'weather-gate@v1' }),
        pendingRequests: 1,
        datasets: [],
        championDatasets: [],
      },
      {
        name: 'weather-clf',
        owner: 'forecasting',
        riskClass: 'limited',
        description: '',
        approvalRequired: false,
        versionCount: 1,
        latestVersion: 1,
        aliases: { shadow: 'weather-clf@v1' },
        latestGate: null,
        pendingRequests: 0,
        datasets: [{ id: w.v2.id, ref: 'weather@v2' }],
        championDatasets: [],
      },
    ]);
    const first = (await t.call('GET', '/api/v1/inventory?limit=1')).json();
    expect(first.items.map((m: { name: string }) => m.name)).toEqual(['loans']);
    const second = (await t.call('GET', `/api/v1/inventory?limit=1&cursor=${first.nextCursor}`)).json();
    expect(second).toMatchObject({
      items: [{ name: 'weather-clf', riskClass: 'limited' }],
      nextCursor: null,
    });
  });

  it("names the gate's candidate and baseline and the champion's training data after a rollback", async () => {
    const w = await lineageWorld();
    const gates = registryKit.fakeGates();
    const registry = registryKit.registry(t, gates.lookup);
    const { ctx: admin } = await registryKit.actor(t, 'admin');
    const retrain = (
      await t.call('POST', '/api/v1/runs', { body: { name: 'retrain', inputs: ['weather@v1'] } })
    ).json();
    const blobRef = await registryKit.upload(t, registryKit.weatherModel().bytes);
    const v2 = await registry.registration.register(admin, 'weather-clf', {
      artifact: { kind: 'onnx', blobRef },
      description: '',
      runId: retrain.id,
    });
    gates.decide(v2.id, true).baselineVersionId = w.mv.id;
    for (const version of [2, 1]) {
      const moved = await t.call('PUT', '/api/v1/models/weather-clf/aliases/champion', { body: { version } });
      expect(moved.statusCode, moved.body).toBe(200);
    }

    const [item] = (await registry.inventory.inventory(admin, { limit: 1 })).items;
    expect(item).toMatchObject({
      aliases: { champion: 'weather-clf@v1' },
      latestGate: { ref: 'weather-clf@v2', baselineRef: 'weather-clf@v1', passed: true },
      datasets: [
        { id: w.v1.id, ref: 'weather@v1' },
        { id: w.v2.id, ref: 'weather@v2' },
      ],
      championDatasets: [{ id: w.v2.id, ref: 'weather@v2' }],
    });
  });
});
