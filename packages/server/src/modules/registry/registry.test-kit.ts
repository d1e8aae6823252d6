import { readFileSync } from 'node:fs';
import type { Role } from '@plumb/sdk';
import type { LightMyRequestResponse } from 'fastify';
import { systemClock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import type { Plumb } from '../../main.js';
import { exportLogisticRegression } from '../../testing/logistic-onnx.js';
import { LogisticRegression } from '../../testing/train-logistic.js';
import type { EvalSummary, GateDecisionInfo, GateLookup } from './registry.contracts.js';
import { createRegistry, type Registry } from './registry.js';

// Shared set-up of the registry's tests: real data, a real trained ONNX model, keys of every
// role, and a gate lookup the test decides. Test-only; nothing in Plumb imports it.

/** What the kit needs of a test instance (TestPlumb fits). */
export interface KitPlumb {
  plumb: Plumb;
  keyFor(role: Role, project?: string): Promise<string>;
  call(
    method: string,
    url: string,
    options?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
}

const WEATHER_URL = new URL(
  '../../../../../node_modules/vega-datasets/data/seattle-weather.csv',
  import.meta.url,
);
export const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];

let trained: { bytes: Uint8Array; accuracy: number; classes: string[] } | undefined;

export const registryKit = {
  weatherCsv: () => readFileSync(WEATHER_URL),

  /**
   * Multinomial logistic regression on seattle-weather: days with an even index train, odd
   * ones are held out. Trained once per test file.
   */
  weatherModel() {
    if (trained) return trained;
    const [, ...lines] = readFileSync(WEATHER_URL, 'utf8').trim().split('\n');
    const rows = lines.map((l) => l.split(','));
    const x = rows.map((r) => [1, 2, 3, 4].map((i) => Number(r[i])));
    const y = rows.map((r) => r[5]!);
    const train = (i: number) => i % 2 === 0;
    const model = LogisticRegression.fit(
      x.filter((_, i) => train(i)),
      y.filter((_, i) => train(i)),
      { epochs: 300, learningRate: 0.5, seed: 7 },
    );
    const held = x.map((row, i) => ({ row, label: y[i]! })).filter((_, i) => !train(i));
    const accuracy = held.filter((h) => model.predict(h.row) === h.label).length / held.length;
    trained = { bytes: exportLogisticRegression(model, FEATURES), accuracy, classes: model.classes };
    return trained;
  },

  async upload(t: KitPlumb, bytes: Uint8Array | Buffer): Promise<string> {
    const response = await t.call('POST', '/api/v1/blobs', {
      body: Buffer.from(bytes),
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (response.statusCode !== 201) throw new Error(`upload failed: ${response.body}`);
    return response.json().ref;
  },

  /** weather@v1 from the real CSV, a finished training run that read it, and the model file uploaded. */
  async weatherWorld(t: KitPlumb) {
    const csv = await registryKit.upload(t, registryKit.weatherCsv());
    const added = await t.call('POST', '/api/v1/datasets/weather/versions', {
      body: { files: [{ path: 'seattle-weather.csv', ref: csv }], message: 'seattle weather' },
    });
    if (added.statusCode !== 201) throw new Error(added.body);
    const { bytes, accuracy } = registryKit.weatherModel();
    const run = (
      await t.call('POST', '/api/v1/runs', {
        body: {
          name: 'weather-logreg',
          params: { epochs: 300, learningRate: 0.5, seed: 7 },
          inputs: ['weather@v1'],
          codeVersion: 'abc1234',
        },
      })
    ).json();
    await t.call('POST', `/api/v1/runs/${run.id}/metrics`, {
      body: { points: [{ key: 'accuracy', value: accuracy, step: 300 }] },
    });
    await t.call('POST', `/api/v1/runs/${run.id}/finish`, { body: {} });
    const blobRef = await registryKit.upload(t, bytes);
    return {
      dataset: added.json().version as { id: string; ref: string },
      runId: run.id as string,
      blobRef,
      accuracy,
    };
  },

  /** A key of the role and the request context the routes would build for it. */
  async actor(t: KitPlumb, role: Role): Promise<{ key: string; ctx: RequestContext }> {
    const key = await t.keyFor(role);
    const principal = await t.plumb.services.keys.authenticate(key);
    if (!principal) throw new Error('the new key does not authenticate');
    return { key, ctx: { principal, requestId: `test-${role}` } };
  },

  /** Gate decisions and evaluation results the test sets per version. */
  fakeGates() {
    const decisions = new Map<string, GateDecisionInfo>();
    const evaluations = new Map<string, EvalSummary[]>();
    let n = 0;
    const lookup: GateLookup = {
      latestDecision: async (id) => decisions.get(id) ?? null,
      latestDecisions: async (ids) =>
        new Map(ids.flatMap((id) => (decisions.has(id) ? [[id, decisions.get(id)!] as const] : []))),
      evaluationsOf: async (id) => evaluations.get(id) ?? [],
    };
    return {
      lookup,
      evaluations,
      decide(versionId: string, passed: boolean, reasons: string[] = []): GateDecisionInfo {
        n += 1;
        const decision: GateDecisionInfo = {
          id: `gd_${String(n).padStart(4, '0')}`,
          evalRunId: `evr_${n}`,
          suite: 'weather-gate@v1',
          candidateVersionId: versionId,
          baselineVersionId: null,
          passed,
          reasons,
          decidedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
        };
        decisions.set(versionId, decision);
        return decision;
      },
    };
  },

  /** The registry over the test instance's storage, with the gate lookup the test controls. */
  registry(t: KitPlumb, gates: GateLookup): Registry {
    const s = t.plumb.services;
    return createRegistry({
      db: t.plumb.db,
      audit: s.audit,
      clock: systemClock,
      runs: s.runs,
      datasets: {
        get: (ctx, ref) => s.datasets.get(ctx, ref),
        recordConsumer: (trx, versionId, consumer) => s.datasets.recordConsumer(trx, versionId, consumer),
        lineage: (ctx, ref) => s.datasetAnalysis.lineage(ctx, ref),
      },
      blobs: s.blobs,
      projectBlobs: { stat: (ref, projectId) => s.blobService.statForUse(projectId, ref) },
      gates,
      permissions: t.plumb.permissions,
    });
  },
};
