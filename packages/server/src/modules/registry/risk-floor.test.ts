import { type AuditRecord, type ModelAlias, PlumbClient } from '@plumb/sdk';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registryMigrations } from './registry.migrations.js';
import { registryKit } from './registry.test-kit.js';

const FULL_CARD = `---
intended_use: Rank loan applications for manual review.
out_of_scope_use: Automatic rejection of any application.
limitations: Calibrated on 2024 applications only.
ethical_considerations: Checked for disparate impact across age bands.
---
`;

/** What a maintainer asks for to switch every check off. */
const NO_CHECKS = { gatedAliases: [], approvalRequired: false };
const FLOOR = { gatedAliases: ['champion'], approvalRequired: true };

// The rules of a risk class are a floor no policy lowers, whichever route moves an alias.
// Everything goes over HTTP with keys of the roles that would make each call.
describeEachBackend('model registry: the risk floor, route by route', (backend) => {
  let t: TestPlumb;
  let maintainer: string;
  let approver: string;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    maintainer = await t.keyFor('maintainer');
    approver = await t.keyFor('approver');
  });
  afterEach(() => t.dispose());

  const as = (key: string) => (method: string, url: string, body?: unknown) =>
    t.call(method, url, { key, ...(body === undefined ? {} : { body }) });

  async function createModel(name: string, riskClass: string, policy: unknown = NO_CHECKS) {
    const created = await as(maintainer)('POST', '/api/v1/models', { name, riskClass, policy });
    expect(created.statusCode, created.body).toBe(201);
    return created.json();
  }

  async function register(name: string, card?: string) {
    const body = { artifact: { kind: 'oip', url: `http://triton:8000/v2/models/${name}` }, card };
    const response = await as(maintainer)('POST', `/api/v1/models/${name}/versions`, body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  const refused = (response: LightMyRequestResponse, rule: string) => {
    expect(response.statusCode, JSON.stringify(response.json())).toBe(412);
    expect(response.json().error).toMatchObject({ code: 'failed_precondition', details: { rule } });
  };
  const aliasesOf = async (name: string) =>
    (await t.call('GET', `/api/v1/models/${name}/aliases`))
      .json()
      .items.map((a: ModelAlias) => [a.alias, a.version]);

  it('stores and answers the policy in force, not the one asked for', async () => {
    for (const risk of ['high', 'unacceptable']) {
      const name = `m-${risk}`;
      expect(await createModel(name, risk)).toMatchObject({ policy: FLOOR, approvalRequired: true });
      expect((await t.call('GET', `/api/v1/models/${name}`)).json()).toMatchObject({ policy: FLOOR });
      const row = await t.plumb.db.kysely
        .selectFrom('models')
        .select(['gated_aliases', 'approval_required'])
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      expect([JSON.parse(row.gated_aliases), Number(row.approval_required)]).toEqual([['champion'], 1]);
    }
    // Other gated aliases are kept; below high the policy is what was asked for.
    expect((await createModel('extra', 'high', { gatedAliases: ['canary'] })).policy).toEqual({
      gatedAliases: ['champion', 'canary'],
      approvalRequired: true,
    });
    expect((await createModel('low', 'minimal')).policy).toEqual(NO_CHECKS);
    const audit = (await t.call('GET', '/api/v1/audit?resource=model:m-high')).json().items;
    expect(audit.find((r: AuditRecord) => r.action === 'model.create')!.change).toMatchObject({
      policy: FLOOR,
    });
  });

  it('an upgrade rewrites policies stored below the floor', async () => {
    await createModel('low', 'minimal');
    const models = () =>
      t.plumb.db.kysely
        .selectFrom('models')
        .select(['name', 'gated_aliases', 'approval_required'])
        .orderBy('name')
        .execute();
    // As the registry stored them before the floor was applied on write.
    for (const [name, risk, gated] of [
      ['old-high', 'high', '["canary"]'],
      ['old-banned', 'unacceptable', '[]'],
    ] as const) {
      const row = await t.plumb.db.kysely
        .selectFrom('models')
        .selectAll()
        .where('name', '=', 'low')
        .executeTakeFirstOrThrow();
      await t.plumb.db.kysely
        .insertInto('models')
        .values({
          ...row,
          id: `mdl_${name}`,
          name,
          risk_class: risk,
          gated_aliases: gated,
          approval_required: 0,
        })
        .execute();
    }
    // Reads apply the floor to such rows already.
    expect((await t.call('GET', '/api/v1/models/old-high')).json().policy).toEqual({
      gatedAliases: ['champion', 'canary'],
      approvalRequired: true,
    });
    await registryMigrations['registry/0001_risk_floor'].up(t.plumb.db.kysely as never);
    expect(
      (await models()).map((m) => [m.name, JSON.parse(m.gated_aliases), Number(m.approval_required)]),
    ).toEqual([
      ['low', [], 0],
      ['old-banned', ['champion'], 1],
      ['old-high', ['champion', 'canary'], 1],
    ]);
  });

  it('no route moves an alias of a high-risk model without card, gate and approver', async () => {
    await createModel('loans', 'high');
    await register('loans');
    await register('loans', FULL_CARD);
    const call = as(maintainer);

    refused(await call('PUT', '/api/v1/models/loans/aliases/champion', { version: 2 }), 'gated_alias');
    refused(await call('PUT', '/api/v1/models/loans/aliases/shadow', { version: 1 }), 'card_incomplete');
    refused(await call('PUT', '/api/v1/models/loans/aliases/shadow', { version: 2 }), 'approval_required');
    refused(await call('POST', '/api/v1/models/loans/versions/1/promote', {}), 'card_incomplete');
    refused(await call('POST', '/api/v1/models/loans/versions/2/promote', {}), 'gate_missing');
    // Registration names no alias: the body is strict.
    const withAlias = await call('POST', '/api/v1/models/loans/versions', {
      artifact: { kind: 'oip', url: 'http://triton:8000/v2/models/loans' },
      card: FULL_CARD,
      aliases: ['champion'],
    });
    expect(withAlias.statusCode).toBe(400);
    expect(await aliasesOf('loans')).toEqual([]);
    expect((await t.call('GET', '/api/v1/models/loans/aliases/champion/history')).json().items).toEqual([]);
  });

  it('raising a model to high risk closes what its old policy left open, rollback included', async () => {
    await createModel('loans', 'minimal');
    await register('loans', FULL_CARD);
    await register('loans', FULL_CARD);
    const call = as(maintainer);
    for (const version of [1, 2]) {
      expect((await call('PUT', '/api/v1/models/loans/aliases/champion', { version })).statusCode).toBe(200);
    }
    const raised = await call('PATCH', '/api/v1/models/loans', { riskClass: 'high' });
    expect(raised.json()).toMatchObject({ riskClass: 'high', policy: FLOOR, approvalRequired: true });

    refused(await call('PUT', '/api/v1/models/loans/aliases/champion', { version: 1 }), 'gated_alias');
    // v1 was champion, but under a policy that no longer holds and nobody approved it.
    refused(await call('POST', '/api/v1/models/loans/aliases/champion/rollback', {}), 'rollback_unapproved');
    expect(await aliasesOf('loans')).toEqual([['champion', 2]]);
  });

  it('an approver moves ungated aliases of a high-risk model; approval and rollback re-check the card', async () => {
    await createModel('loans', 'high');
    for (let i = 0; i < 3; i++) await register('loans', FULL_CARD);
    const approve = async (version: number) => {
      const filed = await as(maintainer)('POST', `/api/v1/models/loans/versions/${version}/promote`, {
        alias: 'canary',
      });
      expect(filed.json()).toMatchObject({ outcome: 'pending_approval' });
      return (comment: string) =>
        as(approver)('POST', `/api/v1/promotion-requests/${filed.json().request.id}/approve`, { comment });
    };
    expect((await (await approve(1))('ok')).json()).toMatchObject({ status: 'approved' });
    expect((await (await approve(2))('ok')).json()).toMatchObject({ status: 'approved' });
    expect(await aliasesOf('loans')).toEqual([['canary', 2]]);

    // The card is read again when the approver decides.
    const third = await approve(3);
    const blanked = await as(maintainer)('PUT', '/api/v1/models/loans/versions/3/card', {
      card: '---\nintended_use: Rank applications.\n---\n',
    });
    expect(blanked.statusCode, blanked.body).toBe(200);
    refused(await third('ok'), 'card_incomplete');

    // Back to v1, which an approver admitted to canary: no second approval needed.
    const back = await as(maintainer)('POST', '/api/v1/models/loans/aliases/canary/rollback', {
      reason: 'v2 misroutes',
    });
    expect(back.statusCode, back.body).toBe(200);
    expect(await aliasesOf('loans')).toEqual([['canary', 1]]);
    // A card blanked after approval blocks a rollback to that version too.
    await as(maintainer)('PUT', '/api/v1/models/loans/versions/2/card', {
      card: '---\nlimitations: x\n---\n',
    });
    refused(
      await as(maintainer)('POST', '/api/v1/models/loans/aliases/canary/rollback', {}),
      'card_incomplete',
    );
  });

  it('classing a model unacceptable withdraws its aliases, and no route gives it one again', async () => {
    await createModel('score', 'minimal');
    await register('score');
    expect(
      (await as(maintainer)('PUT', '/api/v1/models/score/aliases/shadow', { version: 1 })).statusCode,
    ).toBe(200);
    const classed = await as(maintainer)('PATCH', '/api/v1/models/score', { riskClass: 'unacceptable' });
    expect(classed.json()).toMatchObject({ riskClass: 'unacceptable', aliases: {}, policy: FLOOR });
    expect(await aliasesOf('score')).toEqual([]);
    expect((await t.call('GET', '/api/v1/models/score/versions/shadow')).statusCode).toBe(404);
    const audit = (await t.call('GET', '/api/v1/audit?resource=model:score')).json().items;
    expect(audit.find((r: AuditRecord) => r.action === 'model.update')!.change).toMatchObject({
      withdrawnAliases: ['shadow'],
    });

    const call = as(maintainer);
    refused(await call('PUT', '/api/v1/models/score/aliases/shadow', { version: 1 }), 'unacceptable_risk');
    refused(
      await call('POST', '/api/v1/models/score/versions/1/promote', { alias: 'shadow' }),
      'unacceptable_risk',
    );
    refused(await call('POST', '/api/v1/models/score/aliases/shadow/rollback', {}), 'unacceptable_risk');
    expect(await aliasesOf('score')).toEqual([]);
  });

  it('with a real passed gate, a high-risk champion moves only on an approver decision', async () => {
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    t.plumb.worker.start();
    const world = await registryKit.weatherWorld(t);
    await createModel('weather-clf', 'high');
    const registered = await as(maintainer)('POST', '/api/v1/models/weather-clf/versions', {
      artifact: { kind: 'onnx', blobRef: world.blobRef },
      runId: world.runId,
      card: FULL_CARD,
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const client = new PlumbClient({ url, apiKey: maintainer });
    const suite = await client.evals.createSuite(
      'name: gate\ndatasets: [weather@v1]\nlabel: weather\ntask: classification\n' +
        'features: [precipitation, temp_max, temp_min, wind]\nmetrics: [accuracy]\n' +
        'gate:\n  thresholds: { accuracy: { min: 0.5 } }\n',
    );
    const started = await client.evals.run({ suite: suite.suite.ref, candidate: 'weather-clf@v1' });
    const run = await client.evals.waitForRun(started.id, { intervalMs: 50 });
    expect(run.decision, run.error ?? '').toMatchObject({ passed: true });

    refused(
      await as(maintainer)('PUT', '/api/v1/models/weather-clf/aliases/champion', { version: 1 }),
      'gated_alias',
    );
    const filed = await as(maintainer)('POST', '/api/v1/models/weather-clf/versions/1/promote', {});
    expect(filed.json()).toMatchObject({ outcome: 'pending_approval' });
    expect(await aliasesOf('weather-clf')).toEqual([]);
    const approved = await as(approver)(
      'POST',
      `/api/v1/promotion-requests/${filed.json().request.id}/approve`,
      {
        comment: 'gate passed, card complete',
      },
    );
    expect(approved.json()).toMatchObject({ status: 'approved' });
    expect(await aliasesOf('weather-clf')).toEqual([['champion', 1]]);
  });
});
