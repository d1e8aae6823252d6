import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../testing/test-plumb.js';
import { ENDPOINT, MODEL } from './demo-champion.js';
import { connectDemo, type DemoContext } from './demo-context.js';
import { type DemoPlan, QUICK_PLAN } from './demo-plan.js';
import { type DemoResult, runDemo } from './run-demo.js';

// The loop on a short replay: a few hundred flights a month, the same code path as `plumb demo`.
const PLAN: DemoPlan = { ...QUICK_PLAN, replayPerMille: 1 };

describe('plumb demo', () => {
  let t: TestPlumb;
  let ctx: DemoContext;
  let first: DemoResult;
  const lines: string[] = [];

  beforeAll(async () => {
    t = await createTestPlumb();
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    t.plumb.worker.start();
    ctx = await connectDemo(url, t.adminSecret, t.home, (line) => {
      lines.push(line);
      if (process.env.DEMO_DEBUG) process.stderr.write(`${line}\n`);
    });
    first = await runDemo(ctx, PLAN).catch((error) => {
      throw new Error(`${error.message}\n${lines.join('\n')}`);
    });
  }, 120_000);

  afterAll(async () => {
    await t?.dispose();
  });

  it('versions January–February, trains on it with a logged run and serves the champion', async () => {
    const { champion } = first;
    expect(champion.train.ref).toBe('flights@v1');
    expect(champion.train.validationStatus === 'passed' || champion.train.rowCount > 0).toBe(true);
    const version = await ctx.client.models.version(`${MODEL}@champion`);
    expect(version.ref).toBe(champion.version.ref);
    expect(version.datasets.map((d) => d.ref)).toContain('flights@v1');
    const run = await ctx.client.runs.get(version.runId!);
    expect(run.status).toBe('finished');
    expect(run.inputs.map((i) => i.ref)).toContain('flights@v1');
    expect(first.champion.evalRun?.decision?.passed).toBe(true);
    expect(first.champion.evalRun?.result?.slices.map((s) => s.name)).toContain('from ORD');
    const endpoint = await ctx.client.endpoints.get(ENDPOINT);
    expect(endpoint.routes).toEqual([{ target: `${MODEL}@champion`, weight: 1 }]);
  });

  it('logs the replay at the flights own times, with ground truth a day later', async () => {
    const total = first.months.reduce((s, m) => s + m.predictions, 0);
    expect(first.months.map((m) => m.month)).toEqual(PLAN.months);
    expect(first.months.every((m) => m.predictions > 0 && m.labelled === m.predictions)).toBe(true);
    const march = await ctx.client.events.list({
      endpoint: ENDPOINT,
      from: '2001-03-01T00:00:00Z',
      to: '2001-04-01T00:00:00Z',
      limit: 500,
    });
    expect(march.items.length).toBe(Math.min(500, first.months[0]!.predictions));
    for (const e of march.items) {
      expect(e.time >= '2001-03-01' && e.time < '2001-04-01').toBe(true);
      expect(e.modelVersion).toBe(first.champion.version.ref);
      expect(e.feedback?.label).toMatch(/^[01]$/);
      expect(Date.parse(e.feedback!.time) - Date.parse(e.time)).toBe(PLAN.labelDelayHours * 3_600_000);
    }
    expect(total).toBeGreaterThan(100);
  });

  it('retrains on labelled traffic and stops at an approval, judged against the real champion', async () => {
    const { retraining, champion } = first;
    expect(retraining.snapshot.train.ref).toBe('flights-traffic@v1');
    expect(retraining.snapshot.train.tags.model_version).toBe(champion.version.ref);
    const candidate = await ctx.client.models.version(retraining.candidate.ref);
    expect(candidate.datasets.map((d) => d.ref)).toContain('flights-traffic@v1');
    const run = await ctx.client.runs.get(candidate.runId!);
    expect(run.inputs.map((i) => i.ref)).toContain('flights-traffic@v1');

    const evalRun = await ctx.client.evals.getRun(retraining.evalRun.id);
    expect(evalRun.candidate.ref).toBe(candidate.ref);
    expect(evalRun.baseline?.ref).toBe(champion.version.ref);
    expect(evalRun.decision?.baselineVersionId).toBe(champion.version.id);
    expect(evalRun.result?.slices.every((s) => s.baseline !== null)).toBe(true);

    const endpoint = await ctx.client.endpoints.get(ENDPOINT);
    expect(endpoint.shadows).toEqual([candidate.ref]);
    if (evalRun.decision?.passed) {
      expect(retraining.request?.status).toBe('pending');
      expect(retraining.request?.ref).toBe(candidate.ref);
      expect(retraining.request?.requestedBy).not.toBe((await ctx.admin.whoami()).keyName);
    } else {
      expect(retraining.request).toBeNull();
      expect(retraining.refused).toMatch(/gate/);
    }
  });

  it('reuses what is there when run again', async () => {
    const again = await runDemo(ctx, PLAN);
    expect(again.champion.version.ref).toBe(first.champion.version.ref);
    expect(again.champion.train.ref).toBe('flights@v1');
    expect(again.months.every((m) => m.alreadyLogged === m.predictions)).toBe(true);
    expect(again.retraining.candidate.ref).toBe(first.retraining.candidate.ref);
    expect(again.retraining.request?.id).toBe(first.retraining.request?.id);
    const versions = await ctx.client.models.versions(MODEL);
    expect(versions.items).toHaveLength(2);
  }, 90_000);
});
