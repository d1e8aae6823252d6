import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { missingCardFields, parseCard } from './model-card.js';
import { registryKit } from './registry.test-kit.js';

const CARD = `---
intended_use: Next-day weather category for Seattle dashboards.
out_of_scope_use:
  - Severe-weather warnings
  - Any other city
limitations: Fog and drizzle are rare in the data, so they are seldom predicted.
ethical_considerations: People may over-trust a dashboard; show the confidence.
owner: forecasting
risk_class: limited
contact: forecasting@example.com
---
## How it was made

Plain gradient descent on four features.
`;

describe('parseCard', () => {
  it('splits YAML front matter from the Markdown body; lists become bullet lines', () => {
    const card = parseCard(CARD);
    expect(card.fields).toEqual({
      intended_use: 'Next-day weather category for Seattle dashboards.',
      out_of_scope_use: '- Severe-weather warnings\n- Any other city',
      limitations: 'Fog and drizzle are rare in the data, so they are seldom predicted.',
      ethical_considerations: 'People may over-trust a dashboard; show the confidence.',
      owner: 'forecasting',
      risk_class: 'limited',
    });
    expect(card.extra).toEqual({ contact: 'forecasting@example.com' });
    expect(card.body).toBe('## How it was made\n\nPlain gradient descent on four features.');
    expect(missingCardFields(card)).toEqual([]);
  });

  it('treats a card without front matter as all body, and blank fields as missing', () => {
    expect(parseCard('# Just notes\n')).toMatchObject({ body: '# Just notes', extra: {} });
    expect(missingCardFields(parseCard('# Just notes\n'))).toEqual([
      'intended_use',
      'out_of_scope_use',
      'limitations',
      'ethical_considerations',
    ]);
    const blank = parseCard('---\nintended_use: "  "\nlimitations: []\n---\n');
    expect(missingCardFields(blank)).toEqual([
      'intended_use',
      'out_of_scope_use',
      'limitations',
      'ethical_considerations',
    ]);
    expect(missingCardFields(null)).toHaveLength(4);
  });

  it('refuses front matter that is not a mapping of text fields', () => {
    for (const text of [
      '---\n[a, b]\n---\n',
      '---\nlimitations: {a: 1}\n---\n',
      '---\nkey: [unclosed\n---\n',
    ]) {
      expect(() => parseCard(text)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
  });
});

describeEachBackend('model cards completed from facts', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  it('fills the card from the run, its data, evaluations, gate, approvals and aliases', async () => {
    const world = await registryKit.weatherWorld(t);
    const validation = await t.call('POST', '/api/v1/datasets/weather/versions/1/validations', {
      body: { suite: 'name: basic\nexpectations:\n  - { expect: not_null, column: weather }\n' },
    });
    expect(validation.json().passed).toBe(true);

    const gates = registryKit.fakeGates();
    const registry = registryKit.registry(t, gates.lookup);
    const { ctx: admin } = await registryKit.actor(t, 'admin');
    const { ctx: approver } = await registryKit.actor(t, 'approver');
    await registry.models.create(admin, {
      name: 'weather-clf',
      owner: 'forecasting',
      description: 'Daily weather category',
      riskClass: 'limited',
      policy: { gatedAliases: ['champion'], approvalRequired: true },
    });
    const version = await registry.registration.register(admin, 'weather-clf', {
      artifact: { kind: 'onnx', blobRef: world.blobRef },
      runId: world.runId,
      card: CARD,
      description: '',
    });
    const decision = gates.decide(version.id, true);
    gates.evaluations.set(version.id, [
      {
        evalRunId: decision.evalRunId,
        suite: decision.suite,
        datasetVersionIds: [world.dataset.id],
        metrics: { overall: { accuracy: 0.8125, macro_f1: 0.5 }, 'weather=rain': { accuracy: 0.9 } },
        decision,
        createdAt: decision.decidedAt,
      },
    ]);
    const outcome = await registry.promotion.promote(admin, 'weather-clf@v1', {
      alias: 'champion',
      reason: 'first',
    });
    if (outcome.outcome !== 'pending_approval') throw new Error('expected a request');
    await registry.promotion.approve(approver, outcome.request.id, 'slices look fine');

    const card = await registry.cards.card(admin, 'weather-clf@champion');
    const datasetVersion = (await t.call('GET', '/api/v1/datasets/weather/versions/1')).json();
    expect(card).toMatchObject({
      ref: 'weather-clf@v1',
      model: {
        name: 'weather-clf',
        owner: 'forecasting',
        riskClass: 'limited',
        description: 'Daily weather category',
      },
      version: { id: version.id, status: 'production', artifact: { kind: 'onnx', blobRef: world.blobRef } },
      declared: {
        intendedUse: 'Next-day weather category for Seattle dashboards.',
        outOfScopeUse: '- Severe-weather warnings\n- Any other city',
        extra: { contact: 'forecasting@example.com' },
        body: '## How it was made\n\nPlain gradient descent on four features.',
      },
      missingFields: [],
      training: {
        runId: world.runId,
        name: 'weather-logreg',
        status: 'finished',
        codeVersion: 'abc1234',
        params: { epochs: 300, learningRate: 0.5, seed: 7 },
      },
      metrics: [{ key: 'accuracy', value: world.accuracy, step: 300 }],
      data: [
        {
          id: world.dataset.id,
          ref: 'weather@v1',
          rowCount: datasetVersion.rowCount,
          profileStatus: 'ready',
          validationStatus: 'passed',
          validationReportId: validation.json().id,
        },
      ],
      evaluations: [
        { suite: 'weather-gate@v1', metrics: { overall: { accuracy: 0.8125 } }, decision: { passed: true } },
      ],
      latestGate: { id: decision.id, passed: true },
      approvals: [{ id: outcome.request.id, status: 'approved', comment: 'slices look fine' }],
      aliases: ['champion'],
    });
    expect(datasetVersion.rowCount).toBe(1461);

    const md = card.markdown;
    for (const fact of [
      '# Model card: weather-clf@v1',
      '| Risk class (EU AI Act) | limited |',
      '| Aliases | champion |',
      '## Intended use\n\nNext-day weather category for Seattle dashboards.',
      `Run \`${world.runId}\` (weather-logreg), finished, code version abc1234.`,
      '| learningRate | 0.5 |',
      `| accuracy | ${world.accuracy} | 300 |`,
      '| weather@v1 | 1461 | ready | passed |',
      '### weather-gate@v1',
      '| overall | 0.8125 | 0.5000 |',
      '**passed**',
      `| ${outcome.request.id} | champion | approved |`,
      '## Notes\n\n## How it was made',
    ]) {
      expect(md).toContain(fact);
    }

    // Over HTTP the same card comes back; a version without a card says what is missing.
    const http = (await t.call('GET', '/api/v1/models/weather-clf/versions/1/card')).json();
    expect(http.declared.intendedUse).toBe(card.declared.intendedUse);
    const bare = await registry.registration.register(admin, 'weather-clf', {
      artifact: { kind: 'oip', url: 'http://h/v2/models/w' },
      description: '',
    });
    const bareCard = await registry.cards.card(admin, bare.ref);
    expect(bareCard).toMatchObject({
      training: null,
      data: [],
      evaluations: [],
      latestGate: null,
      approvals: [],
    });
    expect(bareCard.missingFields).toHaveLength(4);
    expect(bareCard.markdown).toContain(
      '> **Incomplete:** intended_use, out_of_scope_use, limitations, ethical_considerations not provided.',
    );
  });
});
