import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { FEATURES, registryKit } from './registry.test-kit.js';

const CARD = `---
intended_use: Next-day weather category for Seattle dashboards.
out_of_scope_use: [Severe-weather warnings, Any other city]
limitations: Trained on 2012-2015 only; fog and drizzle are rare.
ethical_considerations: None beyond misleading people who rely on it.
risk_class: limited
team: forecasting
---
Trained with plain gradient descent.
`;

describeEachBackend('model registry: models and versions', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  const createModel = (name: string, body: Record<string, unknown> = {}) =>
    t.call('POST', '/api/v1/models', { body: { name, riskClass: 'limited', owner: 'forecasting', ...body } });

  it('registers a real ONNX model trained on seattle-weather from a real run on a real dataset version', async () => {
    const world = await registryKit.weatherWorld(t);
    expect((await createModel('weather-clf', { description: 'daily weather category' })).statusCode).toBe(
      201,
    );

    const response = await t.call('POST', '/api/v1/models/weather-clf/versions', {
      body: { artifact: { kind: 'onnx', blobRef: world.blobRef }, runId: world.runId, card: CARD },
    });
    expect(response.statusCode, response.body).toBe(201);
    const version = response.json();
    const { bytes, classes } = registryKit.weatherModel();
    expect(version).toMatchObject({
      model: 'weather-clf',
      version: 1,
      ref: 'weather-clf@v1',
      artifact: { kind: 'onnx', blobRef: world.blobRef, size: bytes.length },
      runId: world.runId,
      datasets: [{ id: world.dataset.id, ref: 'weather@v1' }],
      metrics: [{ key: 'accuracy', value: world.accuracy, step: 300 }],
      status: 'registered',
      hasCard: true,
      aliases: [],
    });
    expect(version.id).toMatch(/^mv_/);
    // The signature is what the ONNX runtime read from the file, not what anyone declared.
    expect(version.signature).toEqual({
      inputs: [{ name: 'features', kind: 'tensor', elementType: 'float32', shape: ['N', FEATURES.length] }],
      outputs: [
        { name: 'label', kind: 'tensor', elementType: 'int64', shape: ['N'] },
        { name: 'probabilities', kind: 'tensor', elementType: 'float32', shape: ['N', classes.length] },
      ],
      classes,
    });
    expect(world.accuracy).toBeGreaterThan(0.6);

    // The dataset's own lineage now shows the model version downstream of weather@v1.
    const lineage = (await t.call('GET', '/api/v1/datasets/weather/versions/1/lineage')).json();
    expect(lineage.nodes).toContainEqual({ id: version.id, kind: 'model_version', label: version.id });
    expect(lineage.edges).toContainEqual({ from: world.dataset.id, to: version.id, relation: 'consumed_by' });

    // Every way of naming the version resolves to it, for evaluations and serving.
    const models = t.plumb.services.registry.models;
    const projectId = (await t.call('GET', '/api/v1/whoami')).json().projectId;
    for (const ref of ['weather-clf@v1', 'weather-clf@1', 'weather-clf@latest', version.id]) {
      expect(await models.resolve(projectId, ref)).toEqual({
        id: version.id,
        model: 'weather-clf',
        version: 1,
        ref: 'weather-clf@v1',
        projectId,
        artifact: version.artifact,
        signature: version.signature,
        runId: world.runId,
        datasetVersionIds: [world.dataset.id],
      });
    }
    expect(await models.aliasTarget(projectId, 'weather-clf', 'champion')).toBeNull();
    await expect(models.resolve(projectId, 'weather-clf@v2')).rejects.toMatchObject({ code: 'not_found' });
    await expect(models.resolve(projectId, 'weather-clf@champion')).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(models.resolve(projectId, 'weather-clf')).rejects.toMatchObject({
      code: 'invalid_argument',
    });

    const listed = (await t.call('GET', '/api/v1/models')).json().items;
    expect(listed).toMatchObject([
      { name: 'weather-clf', versionCount: 1, latestVersion: 1, riskClass: 'limited' },
    ]);
    const trail = (await t.call('GET', '/api/v1/audit?resource=model:weather-clf*')).json().items;
    expect(trail.map((r: { action: string }) => r.action)).toEqual([
      'model.version.register',
      'model.create',
    ]);
    expect(trail[0].change).toMatchObject({ id: version.id, runId: world.runId, datasets: ['weather@v1'] });
  });

  it('refuses a file that is not ONNX, and stores nothing', async () => {
    await createModel('weather-clf');
    const notOnnx = await registryKit.upload(t, registryKit.weatherCsv());
    const response = await t.call('POST', '/api/v1/models/weather-clf/versions', {
      body: { artifact: { kind: 'onnx', blobRef: notOnnx } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_argument');
    expect(response.json().error.message).toMatch(/not a loadable ONNX model/);

    const missing = await t.call('POST', '/api/v1/models/weather-clf/versions', {
      body: { artifact: { kind: 'onnx', blobRef: `sha256:${'0'.repeat(64)}` } },
    });
    expect(missing.statusCode).toBe(412);
    expect((await t.call('GET', '/api/v1/models/weather-clf/versions')).json().items).toEqual([]);
  });

  it('registers upstream versions and validates their URLs', async () => {
    await createModel('support-bot');
    const oip = await t.call('POST', '/api/v1/models/support-bot/versions', {
      body: {
        artifact: { kind: 'oip', url: 'http://triton.internal:8000/v2/models/bot' },
        signature: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }] },
      },
    });
    expect(oip.statusCode, oip.body).toBe(201);
    expect(oip.json()).toMatchObject({
      ref: 'support-bot@v1',
      artifact: { kind: 'oip', url: 'http://triton.internal:8000/v2/models/bot' },
      signature: { inputs: [{ name: 'text' }] },
      runId: null,
      datasets: [],
    });
    const openai = await t.call('POST', '/api/v1/models/support-bot/versions', {
      body: { artifact: { kind: 'openai', baseUrl: 'https://llm.example.com/v1', model: 'small-chat' } },
    });
    expect(openai.json()).toMatchObject({
      ref: 'support-bot@v2',
      artifact: { kind: 'openai', baseUrl: 'https://llm.example.com/v1', model: 'small-chat' },
      signature: null,
    });
    for (const artifact of [
      { kind: 'oip', url: 'ftp://models.example.com/bot' },
      { kind: 'oip', url: 'file:///etc/passwd' },
      { kind: 'oip', url: 'not a url' },
      { kind: 'openai', baseUrl: 'https://user:secret@llm.example.com/v1', model: 'x' },
      { kind: 'openai', baseUrl: 'https://llm.example.com/v1' },
    ]) {
      const bad = await t.call('POST', '/api/v1/models/support-bot/versions', { body: { artifact } });
      expect(bad.statusCode, JSON.stringify(artifact)).toBe(400);
      expect(bad.json().error.code).toBe('invalid_argument');
    }
    const noRun = await t.call('POST', '/api/v1/models/support-bot/versions', {
      body: {
        artifact: { kind: 'oip', url: 'http://x/v2/models/y' },
        runId: 'run_01NOTAREALRUN0000000000000',
      },
    });
    expect(noRun.statusCode).toBe(404);
    expect((await t.call('GET', '/api/v1/models/support-bot')).json().versionCount).toBe(2);
  });

  it('creates the model on first registration only with a risk class, from the request or the card', async () => {
    const oip = { kind: 'oip', url: 'http://triton:8000/v2/models/a' };
    const none = await t.call('POST', '/api/v1/models/auto/versions', { body: { artifact: oip } });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.message).toMatch(/risk class/);

    const fromCard = await t.call('POST', '/api/v1/models/auto/versions', {
      body: { artifact: oip, card: CARD },
    });
    expect(fromCard.statusCode, fromCard.body).toBe(201);
    expect((await t.call('GET', '/api/v1/models/auto')).json()).toMatchObject({
      riskClass: 'limited',
      policy: { gatedAliases: ['champion'], approvalRequired: false },
    });

    // A card must not state a lower risk than the registry records.
    await createModel('strict', { riskClass: 'high' });
    const understated = await t.call('POST', '/api/v1/models/strict/versions', {
      body: { artifact: oip, card: CARD },
    });
    expect(understated.statusCode).toBe(400);
    expect(understated.json().error.message).toMatch(
      /card says risk class limited but the model is classed high/,
    );
    const badYaml = await t.call('POST', '/api/v1/models/strict/versions', {
      body: { artifact: oip, card: '---\nintended_use: [unclosed\n---\n' },
    });
    expect(badYaml.statusCode).toBe(400);
    expect((await createModel('auto')).statusCode).toBe(409);
  });

  it('moves version status along the allowed paths; production only by promotion', async () => {
    await createModel('m', { policy: { gatedAliases: [] } });
    const body = { artifact: { kind: 'oip', url: 'http://h/v2/models/m' } };
    await t.call('POST', '/api/v1/models/m/versions', { body });
    await t.call('POST', '/api/v1/models/m/versions', { body });
    const status = (v: string, s: string) =>
      t.call('POST', `/api/v1/models/m/versions/${v}/status`, { body: { status: s } });

    expect((await status('1', 'staging')).json().status).toBe('staging');
    const prod = await status('v1', 'production');
    expect(prod.statusCode).toBe(412);
    expect(prod.json().error.message).toMatch(/promot/);

    await t.call('PUT', '/api/v1/models/m/aliases/challenger', { body: { version: 1 } });
    const archiveAliased = await status('1', 'archived');
    expect(archiveAliased.statusCode).toBe(412);
    expect(archiveAliased.json().error.message).toMatch(/challenger/);

    expect((await status('2', 'archived')).json().status).toBe('archived');
    expect((await status('2', 'staging')).statusCode).toBe(412);
    const aliasToArchived = await t.call('PUT', '/api/v1/models/m/aliases/shadow', { body: { version: 2 } });
    expect(aliasToArchived.statusCode).toBe(412);
    expect((await t.call('GET', '/api/v1/models/m/versions/challenger')).json().ref).toBe('m@v1');
  });

  it('lets readers read and writers write; approvers approve but do not register', async () => {
    await createModel('m');
    const body = { artifact: { kind: 'oip', url: 'http://h/v2/models/m' } };
    for (const role of ['viewer', 'approver'] as const) {
      const key = await t.keyFor(role);
      expect((await t.call('GET', '/api/v1/models/m', { key })).statusCode).toBe(200);
      expect((await t.call('GET', '/api/v1/inventory', { key })).statusCode).toBe(200);
      expect((await t.call('POST', '/api/v1/models/m/versions', { key, body })).statusCode).toBe(403);
    }
    for (const role of ['service', 'annotator'] as const) {
      const key = await t.keyFor(role);
      expect((await t.call('GET', '/api/v1/models', { key })).statusCode).toBe(403);
    }
    const maintainer = await t.keyFor('maintainer');
    expect((await t.call('POST', '/api/v1/models/m/versions', { key: maintainer, body })).statusCode).toBe(
      201,
    );
    const approve = await t.call(
      'POST',
      '/api/v1/promotion-requests/prq_01NOTAREQUEST00000000000000/approve',
      {
        key: maintainer,
        body: { comment: 'ok' },
      },
    );
    expect(approve.statusCode).toBe(403);

    // Models of one project are invisible from another.
    await t.call('POST', '/api/v1/projects', { body: { name: 'other' } });
    const outsider = await t.keyFor('maintainer', 'other');
    expect((await t.call('GET', '/api/v1/models/m', { key: outsider })).statusCode).toBe(404);
    expect((await t.call('GET', '/api/v1/models', { key: outsider })).json().items).toEqual([]);
  });
});
