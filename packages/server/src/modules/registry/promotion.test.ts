import type { RiskClass } from '@plumb/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../core/context.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import type { Registry } from './registry.js';
import { registryKit } from './registry.test-kit.js';

const FULL_CARD = `---
intended_use: Rank loan applications for manual review.
out_of_scope_use: Automatic rejection of any application.
limitations: Calibrated on 2024 applications only.
ethical_considerations: Checked for disparate impact across age bands.
---
`;

// Each promotion rule has a test that fails if the rule is removed. Promotions run through the
// services with a gate lookup the test controls, as the evaluations module would answer.
describeEachBackend('model registry: promotion rules', (backend) => {
  let t: TestPlumb;
  let registry: Registry;
  let gates: ReturnType<typeof registryKit.fakeGates>;
  let maintainer: RequestContext;
  let approver: RequestContext;
  let admin: RequestContext;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    gates = registryKit.fakeGates();
    registry = registryKit.registry(t, gates.lookup);
    maintainer = (await registryKit.actor(t, 'maintainer')).ctx;
    approver = (await registryKit.actor(t, 'approver')).ctx;
    admin = (await registryKit.actor(t, 'admin')).ctx;
  });
  afterEach(() => t.dispose());

  /** A model with `versions` upstream versions (cheap to register; the rules ignore the artifact). */
  async function model(
    name: string,
    options: {
      risk?: RiskClass;
      approval?: boolean;
      gated?: string[];
      versions?: number;
      card?: string;
    } = {},
  ) {
    await registry.models.create(admin, {
      name,
      owner: 'risk-team',
      description: '',
      riskClass: options.risk ?? 'minimal',
      policy: { gatedAliases: options.gated ?? ['champion'], approvalRequired: options.approval ?? false },
    });
    const ids: string[] = [];
    for (let i = 0; i < (options.versions ?? 2); i++) {
      const v = await registry.registration.register(admin, name, {
        artifact: { kind: 'oip', url: `http://triton:8000/v2/models/${name}-${i + 1}` },
        description: '',
        ...(options.card === undefined ? {} : { card: options.card }),
      });
      ids.push(v.id);
    }
    return ids;
  }

  const promote = (
    ctx: RequestContext,
    ref: string,
    extra: { alias?: string; expectedVersion?: number | null } = {},
  ) => registry.promotion.promote(ctx, ref, { alias: 'champion', reason: 'better', ...extra });
  const target = async (name: string, alias = 'champion') =>
    (await registry.promotion.aliases(admin, name)).items.find((a) => a.alias === alias)?.ref ?? null;

  it('a gated alias moves only for a candidate whose latest gate decision passed', async () => {
    const [v1] = await model('fraud', { versions: 1 });
    await expect(promote(maintainer, 'fraud@v1')).rejects.toMatchObject({
      code: 'failed_precondition',
      details: { rule: 'gate_missing' },
    });
    gates.decide(v1!, false, ['auc on slice age<25 dropped by 0.04']);
    await expect(promote(maintainer, 'fraud@v1')).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringMatching(/auc on slice age<25 dropped by 0.04/),
      details: { rule: 'gate_failed' },
    });
    expect(await target('fraud')).toBeNull();

    gates.decide(v1!, true);
    const outcome = await promote(maintainer, 'fraud@v1');
    expect(outcome).toMatchObject({
      outcome: 'moved',
      alias: { alias: 'champion', ref: 'fraud@v1', gated: true },
    });
    expect((await registry.models.version(admin, 'fraud@champion')).status).toBe('production');

    // The gate cannot be sidestepped by setting the alias directly.
    await expect(
      registry.promotion.setAlias(maintainer, 'fraud', 'champion', { version: 1, reason: '' }),
    ).rejects.toMatchObject({ code: 'failed_precondition', details: { rule: 'gated_alias' } });
  });

  it('ungated aliases move without a gate', async () => {
    await model('fraud');
    const moved = await promote(maintainer, 'fraud@v2', { alias: 'shadow' });
    expect(moved).toMatchObject({ outcome: 'moved', alias: { ref: 'fraud@v2', gated: false } });
    const set = await registry.promotion.setAlias(maintainer, 'fraud', 'challenger', {
      version: 'fraud@v1',
      reason: '',
    });
    expect(set.ref).toBe('fraud@v1');
    // Only champion moves set production.
    expect((await registry.models.version(admin, 'fraud@v2')).status).toBe('registered');
  });

  it('with approval required, promotion files a request and an approver moves the alias', async () => {
    const [v1] = await model('fraud', { approval: true });
    gates.decide(v1!, true);
    const outcome = await promote(maintainer, 'fraud@v1');
    expect(outcome.outcome).toBe('pending_approval');
    if (outcome.outcome !== 'pending_approval') return;
    expect(outcome.request).toMatchObject({
      ref: 'fraud@v1',
      alias: 'champion',
      status: 'pending',
      expectedVersion: null,
    });
    expect(await target('fraud')).toBeNull();

    const approved = await registry.promotion.approve(approver, outcome.request.id, 'reviewed the slices');
    expect(approved).toMatchObject({
      status: 'approved',
      decidedBy: approver.principal.keyId,
      comment: 'reviewed the slices',
    });
    expect(await target('fraud')).toBe('fraud@v1');
    const history = await registry.promotion.history(admin, 'fraud', 'champion', { limit: 10 });
    expect(history.items).toMatchObject([
      { seq: 1, action: 'approve', fromVersion: null, toVersion: 1, requestId: outcome.request.id },
    ]);
    await expect(registry.promotion.approve(admin, outcome.request.id, 'again')).rejects.toMatchObject({
      code: 'failed_precondition',
    });
  });

  it('whoever requested a promotion cannot approve or reject it', async () => {
    const [v1] = await model('fraud', { approval: true });
    gates.decide(v1!, true);
    const outcome = await promote(admin, 'fraud@v1');
    if (outcome.outcome !== 'pending_approval') throw new Error('expected a request');
    for (const decide of [registry.promotion.approve, registry.promotion.reject]) {
      await expect(decide.call(registry.promotion, admin, outcome.request.id, 'mine')).rejects.toMatchObject({
        code: 'permission_denied',
        details: { rule: 'requester_cannot_decide' },
      });
    }
    expect(await target('fraud')).toBeNull();
    await registry.promotion.approve(approver, outcome.request.id, 'second pair of eyes');
    expect(await target('fraud')).toBe('fraud@v1');

    // Over HTTP the same rule holds, and maintainers lack the permission outright.
    gates.decide((await registry.models.version(admin, 'fraud@v2')).id, true);
    const again = await promote(maintainer, 'fraud@v2');
    if (again.outcome !== 'pending_approval') throw new Error('expected a request');
    const byMaintainer = await t.call('POST', `/api/v1/promotion-requests/${again.request.id}/approve`, {
      key: await t.keyFor('maintainer'),
      body: { comment: 'ok' },
    });
    expect(byMaintainer.statusCode).toBe(403);
  });

  it('high risk forces approval even when the policy does not ask for it', async () => {
    const [v1] = await model('loans', { risk: 'high', approval: false, card: FULL_CARD });
    expect((await registry.models.get(admin, 'loans')).approvalRequired).toBe(true);
    gates.decide(v1!, true);
    const outcome = await promote(maintainer, 'loans@v1');
    expect(outcome.outcome).toBe('pending_approval');
    // Ungated aliases are not promotions through the gate, but promote still asks for approval.
    expect((await promote(maintainer, 'loans@v2', { alias: 'shadow' })).outcome).toBe('pending_approval');
    expect(await target('loans')).toBeNull();
  });

  it('a high-risk version cannot be promoted while required card fields are empty', async () => {
    await model('loans', { risk: 'high', versions: 0 });
    const oip = { kind: 'oip' as const, url: 'http://triton:8000/v2/models/loans' };
    const bare = await registry.registration.register(admin, 'loans', { artifact: oip, description: '' });
    const partial = await registry.registration.register(admin, 'loans', {
      artifact: oip,
      description: '',
      card: '---\nintended_use: Rank applications.\nlimitations: ""\n---\n',
    });
    for (const v of [bare, partial]) gates.decide(v.id, true);
    await expect(promote(maintainer, 'loans@v1')).rejects.toMatchObject({
      code: 'failed_precondition',
      details: { rule: 'card_incomplete' },
    });
    await expect(promote(maintainer, 'loans@v2')).rejects.toMatchObject({
      code: 'failed_precondition',
      details: {
        rule: 'card_incomplete',
        missing: ['out_of_scope_use', 'limitations', 'ethical_considerations'],
      },
    });
    await registry.cards.setCard(maintainer, 'loans@v2', FULL_CARD);
    expect((await promote(maintainer, 'loans@v2')).outcome).toBe('pending_approval');
  });

  it('an unacceptable-risk model cannot be promoted at all', async () => {
    const [v1] = await model('social-score', { risk: 'unacceptable', gated: [] });
    gates.decide(v1!, true);
    for (const attempt of [
      () => promote(admin, 'social-score@v1'),
      () => promote(admin, 'social-score@v1', { alias: 'shadow' }),
      () => registry.promotion.setAlias(admin, 'social-score', 'shadow', { version: 1, reason: '' }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'failed_precondition',
        details: { rule: 'unacceptable_risk' },
      });
    }
    expect((await registry.promotion.aliases(admin, 'social-score')).items).toEqual([]);
  });

  it('approval checks the gate again, and a rejected request never moves the alias', async () => {
    const [v1] = await model('fraud', { approval: true });
    gates.decide(v1!, true);
    const outcome = await promote(maintainer, 'fraud@v1');
    if (outcome.outcome !== 'pending_approval') throw new Error('expected a request');
    gates.decide(v1!, false, ['recall below 0.8']);
    await expect(registry.promotion.approve(approver, outcome.request.id, 'ok')).rejects.toMatchObject({
      code: 'failed_precondition',
      details: { rule: 'gate_failed' },
    });
    expect((await registry.promotion.request(admin, outcome.request.id)).status).toBe('pending');
    const rejected = await registry.promotion.reject(approver, outcome.request.id, 'gate no longer passes');
    expect(rejected).toMatchObject({ status: 'rejected', comment: 'gate no longer passes' });
    expect(await target('fraud')).toBeNull();
  });

  it('a request goes stale when its alias moves, and approving it then fails with conflict', async () => {
    const [v1, v2] = await model('fraud', { approval: true });
    gates.decide(v1!, true);
    gates.decide(v2!, true);
    const first = await promote(maintainer, 'fraud@v1');
    const second = await promote(maintainer, 'fraud@v2');
    if (first.outcome !== 'pending_approval' || second.outcome !== 'pending_approval')
      throw new Error('expected requests');
    await registry.promotion.approve(approver, first.request.id, 'ok');
    expect((await registry.promotion.request(admin, second.request.id)).status).toBe('stale');
    await expect(registry.promotion.approve(approver, second.request.id, 'ok')).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await target('fraud')).toBe('fraud@v1');
    const pending = await registry.promotion.requests(admin, { limit: 10, status: 'pending' });
    expect(pending.items).toEqual([]);
  });

  it('rollback moves the alias back, skipping gate and approval, and is recorded and audited', async () => {
    const [v1, v2] = await model('fraud', { approval: true, versions: 2 });
    for (const v of [v1!, v2!]) {
      gates.decide(v, true);
      const r = await promote(maintainer, `fraud@v${v === v1 ? 1 : 2}`);
      if (r.outcome !== 'pending_approval') throw new Error('expected a request');
      await registry.promotion.approve(approver, r.request.id, 'ok');
    }
    expect(await target('fraud')).toBe('fraud@v2');
    // v1's gate has since failed; rollback is the emergency exit and does not ask.
    gates.decide(v1!, false, ['stale evaluation']);
    const back = await registry.promotion.rollback(maintainer, 'fraud', 'champion', {
      reason: 'v2 errors in prod',
    });
    expect(back.ref).toBe('fraud@v1');
    const history = (await registry.promotion.history(admin, 'fraud', 'champion', { limit: 10 })).items;
    expect(history.map((m) => [m.action, m.fromVersion, m.toVersion])).toEqual([
      ['rollback', 2, 1],
      ['approve', 1, 2],
      ['approve', null, 1],
    ]);
    expect(history[0]).toMatchObject({ actor: maintainer.principal.keyId, reason: 'v2 errors in prod' });
    const audit = (await t.call('GET', '/api/v1/audit?resource=model:fraud@champion')).json().items;
    expect(audit[0]).toMatchObject({
      action: 'model.alias.rollback',
      actor: maintainer.principal.keyId,
      change: { from: 'fraud@v2', to: 'fraud@v1', reason: 'v2 errors in prod' },
    });
    // Rolling back again undoes the rollback; with nothing earlier, there is nothing to undo.
    expect((await registry.promotion.rollback(maintainer, 'fraud', 'champion', { reason: '' })).ref).toBe(
      'fraud@v2',
    );
    const canary = await promote(maintainer, 'fraud@v1', { alias: 'canary' });
    if (canary.outcome !== 'pending_approval') throw new Error('expected a request');
    await registry.promotion.approve(approver, canary.request.id, 'ok');
    await expect(
      registry.promotion.rollback(maintainer, 'fraud', 'canary', { reason: '' }),
    ).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect((await t.call('POST', '/api/v1/audit/verify')).json()).toMatchObject({ ok: true });
  });

  it('loosening governance needs a key that may approve', async () => {
    await model('loans', { risk: 'limited', gated: ['champion', 'canary'], approval: true, versions: 0 });
    for (const change of [
      { riskClass: 'minimal' as const },
      { policy: { gatedAliases: ['champion'] } },
      { policy: { approvalRequired: false } },
    ]) {
      await expect(registry.models.update(maintainer, 'loans', change)).rejects.toMatchObject({
        code: 'permission_denied',
      });
    }
    // Raising the risk class tightens; at high, champion stays gated whatever the policy says.
    const raised = await registry.models.update(maintainer, 'loans', {
      owner: 'credit-risk',
      riskClass: 'high',
      policy: { gatedAliases: ['canary'] },
    });
    expect(raised.policy).toEqual({ gatedAliases: ['champion', 'canary'], approvalRequired: true });
    const lowered = await registry.models.update(admin, 'loans', {
      riskClass: 'limited',
      policy: { approvalRequired: false },
    });
    expect(lowered).toMatchObject({ riskClass: 'limited', owner: 'credit-risk', approvalRequired: false });
  });

  describe('concurrent moves', () => {
    it('of two moves from the same target, exactly one wins (HTTP, truly concurrent)', async () => {
      await model('fraud', { gated: [], versions: 6 });
      const put = (version: number, expectedVersion: number | null) =>
        t.call('PUT', '/api/v1/models/fraud/aliases/challenger', { body: { version, expectedVersion } });

      // First target: every insert races on the primary key.
      const first = await Promise.all([1, 2, 3].map((v) => put(v, null)));
      expect(first.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
      for (const loser of first.filter((r) => r.statusCode === 409))
        expect(loser.json().error.code).toBe('conflict');
      const winner = first.find((r) => r.statusCode === 200)!.json().version as number;

      // Later moves: every update races on the compare-and-set.
      const second = await Promise.all([4, 5, 6].map((v) => put(v, winner)));
      expect(second.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
      const final = second.find((r) => r.statusCode === 200)!.json().version as number;

      const history = (await t.call('GET', '/api/v1/models/fraud/aliases/challenger/history')).json().items;
      expect(
        history.map((m: { fromVersion: number | null; toVersion: number }) => [m.fromVersion, m.toVersion]),
      ).toEqual([
        [winner, final],
        [null, winner],
      ]);
    });

    it('two rollbacks at once undo one move, not two', async () => {
      await model('fraud', { gated: [], versions: 2 });
      await registry.promotion.setAlias(maintainer, 'fraud', 'challenger', { version: 1, reason: '' });
      await registry.promotion.setAlias(maintainer, 'fraud', 'challenger', { version: 2, reason: '' });
      const results = await Promise.allSettled(
        [1, 2].map(() =>
          registry.promotion.rollback(maintainer, 'fraud', 'challenger', {
            reason: 'page',
            expectedVersion: 2,
          }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } });
      expect(await target('fraud', 'challenger')).toBe('fraud@v1');
    });

    it('concurrent promotions without an expected target still leave one consistent history', async () => {
      const ids = await model('fraud', { versions: 5 });
      for (const id of ids) gates.decide(id, true);
      const results = await Promise.allSettled(ids.map((_, i) => promote(maintainer, `fraud@v${i + 1}`)));
      const won = results.filter((r) => r.status === 'fulfilled').length;
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'conflict' });
      }
      expect(won).toBeGreaterThanOrEqual(1);
      const moves = (
        await registry.promotion.history(admin, 'fraud', 'champion', { limit: 10 })
      ).items.reverse();
      expect(moves).toHaveLength(won);
      // Each move starts where the previous one ended: no winner overwrote another unseen.
      for (const [i, m] of moves.entries())
        expect(m.fromVersion).toBe(i === 0 ? null : moves[i - 1]!.toVersion);
      expect(await target('fraud')).toBe(`fraud@v${moves.at(-1)!.toVersion}`);
    });
  });
});
