import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../testing/test-plumb.js';
import { ALERT_RULE } from './demo-alerts.js';
import { ENDPOINT, MODEL } from './demo-champion.js';
import { connectDemo, type DemoContext } from './demo-context.js';
import { MONITORED } from './demo-monitoring.js';
import { type DemoPlan, QUICK_PLAN } from './demo-plan.js';
import { replayTraffic } from './demo-replay.js';
import { replayForShadow } from './demo-shadow.js';
import { FlightsData } from './flights-data.js';
import { closingLines, type DemoResult, runDemo } from './run-demo.js';

// The loop on `--quick`'s shorter replay, the same code path as `plumb demo`: March alone, with
// days as large as the full demo's, so the rule fires mid-month, the candidate trains on weeks of
// labelled traffic and the rest of the month reaches its shadow.
const PLAN: DemoPlan = QUICK_PLAN;

describe('plumb demo', () => {
  let t: TestPlumb;
  let ctx: DemoContext;
  let first: DemoResult;
  const lines: string[] = [];

  beforeAll(async () => {
    // A fixed port, so pipeline command steps are told where the API is.
    const port = await freePort();
    t = await createTestPlumb('sqlite', { PLUMB_PORT: String(port) });
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port });
    t.plumb.worker.start();
    ctx = await connectDemo(url, t.adminSecret, t.home, (line) => lines.push(line));
    ctx.flushProfiles = () => t.plumb.services.profileWriter.flush();
    first = await runDemo(ctx, PLAN).catch((error) => {
      throw new Error(`${error.message}\n${lines.join('\n')}`);
    });
  }, 300_000);

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

  it('sends the replay through the endpoint at the flights own times, with ground truth a day later', async () => {
    const total = first.months.reduce((s, m) => s + m.predictions, 0);
    expect(first.months.map((m) => m.month)).toEqual(PLAN.months);
    expect(first.months.every((m) => m.predictions > 0 && m.labelled === m.predictions)).toBe(true);
    const march = await ctx.client.events.list({
      endpoint: ENDPOINT,
      arm: 'primary',
      from: '2001-03-01T00:00:00Z',
      to: '2001-04-01T00:00:00Z',
      limit: 500,
    });
    expect(march.items.length).toBe(Math.min(500, first.months[0]!.predictions));
    for (const e of march.items) {
      expect(e.time >= '2001-03-01' && e.time < '2001-04-01').toBe(true);
      // Served by the endpoint: its model version, its own ids, the request's tags.
      expect(e.modelVersion).toBe(first.champion.version.ref);
      expect(e.tags).toMatchObject({ source: 'demo-replay', month: '2001-03' });
      expect(e.latencyMs).not.toBeNull();
      expect(e.feedback?.label).toMatch(/^[01]$/);
      expect(Date.parse(e.feedback!.time) - Date.parse(e.time)).toBe(PLAN.labelDelayHours * 3_600_000);
    }
    // Nothing of the replay is stamped with today's clock.
    const today = await ctx.client.events.list({
      endpoint: ENDPOINT,
      from: '2026-01-01T00:00:00Z',
      limit: 1,
    });
    expect(today.items.filter((e) => e.tags.source === 'demo-replay')).toEqual([]);
    expect(total).toBeGreaterThan(100);
  });

  it('opens the alert as the replay clock passes the day the data drifted, and its trigger starts the pipeline', async () => {
    const { alerts, retraining } = first;
    expect(alerts.rule).toMatchObject({ name: ALERT_RULE, metric: 'share_drifted', threshold: 0.5 });
    const alert = await ctx.client.alerts.get(alerts.alert!.id);
    expect(alert.ruleName).toBe(ALERT_RULE);
    expect(alert.value).toBeGreaterThanOrEqual(0.5);
    // Evaluated as of the end of a replayed day, on that day's window.
    expect(alert.windowStart! >= '2001-03-01' && alert.windowEnd! <= '2001-07-01').toBe(true);
    expect(Date.parse(alert.windowEnd!) - Date.parse(alert.windowStart!)).toBe(first.monitor.windowMs);
    expect(alert.evaluatedAt).toBe(alert.windowEnd);
    // The window's value is the monitor's own for that day.
    const day = await ctx.client.monitors.drift(first.monitor.id, {
      from: alert.windowStart!,
      to: alert.windowEnd!,
    });
    expect(day.shareDrifted).toBeCloseTo(alert.value!, 9);
    const run = await ctx.client.pipelines.getRun(retraining.run.id);
    expect(run.trigger).toMatchObject({ kind: 'alert', dedupKey: `alert:${alert.id}` });
    expect(run.trigger.detail.alertId).toBe(alert.id);
  });

  it('reports each month from the monitor and the performance windows, next to what was replayed', () => {
    const { monitor, monitoring, months } = first;
    expect(monitor.reference).toBe(first.champion.train.ref);
    expect(monitor.features.map((f) => f.feature)).toEqual(MONITORED);
    expect(monitoring.months.map((m) => m.month)).toEqual(PLAN.months);
    monitoring.months.forEach((m, i) => {
      // Every replayed prediction got its label, so the realised accuracy is the replay's own.
      expect(m.labelled).toBe(months[i]!.predictions);
      expect(m.realisedAccuracy).toBeCloseTo(months[i]!.accuracy, 9);
      expect(m.estimatedAccuracy).not.toBeNull();
      expect(m.shareDrifted).toBeGreaterThanOrEqual(0);
    });
  });

  it('runs the retraining pipeline to its approval, the candidate judged against the real champion', async () => {
    const { retraining, champion } = first;
    const run = await ctx.client.pipelines.getRun(retraining.run.id);
    const status = Object.fromEntries(run.steps.map((s) => [s.name, s.status]));
    expect(status).toMatchObject({
      snapshot: 'succeeded',
      validate: 'succeeded',
      train: 'succeeded',
      register: 'succeeded',
      evaluate: 'succeeded',
      shadow: 'succeeded',
      approval: 'waiting',
      promote: 'pending',
    });
    const snapshot = await ctx.client.datasets.get('flights-traffic@latest');
    expect(snapshot.tags.source_endpoint).toBe(ENDPOINT);
    expect(snapshot.tags.source_models).toBe(champion.version.ref);
    const holdout = await ctx.client.datasets.get('flights-traffic-eval@latest');
    expect(holdout.parents).toEqual([snapshot.ref]);

    const candidate = await ctx.client.models.version(retraining.candidate!);
    expect(candidate.datasets.map((d) => d.ref)).toEqual([snapshot.ref]);
    const trainRun = await ctx.client.runs.get(candidate.runId!);
    expect(trainRun.inputs.map((i) => i.ref)).toEqual([snapshot.ref]);

    const evalRun = await ctx.client.evals.getRun(retraining.evalRun!);
    expect(evalRun.candidate.ref).toBe(candidate.ref);
    expect(evalRun.baseline?.ref).toBe(champion.version.ref);
    expect(evalRun.datasets.map((d) => d.ref)).toEqual([holdout.ref]);
    expect(evalRun.result?.slices.every((s) => s.baseline !== null)).toBe(true);
    expect(evalRun.decision?.passed).toBe(true);
    expect(run.status).toBe('waiting');
    expect((await ctx.client.endpoints.get(ENDPOINT)).shadows).toEqual([candidate.ref]);
    expect(retraining.waitingForApproval).toBe(true);
    // The snapshot holds the labelled traffic logged when the alert started the run: up to its day.
    const alertDay = first.alerts.alert!.windowEnd!;
    const snapshotted = await ctx.client.events.list({
      endpoint: ENDPOINT,
      arm: 'primary',
      from: '2001-03-01T00:00:00Z',
      to: alertDay,
      limit: 1,
    });
    expect(snapshotted.items.length).toBe(1);
  });

  it('gives the shadow live copies of the traffic after its deployment and reports its agreement', async () => {
    const { retraining, shadow } = first;
    const copies = await ctx.client.events.list({ endpoint: ENDPOINT, arm: 'shadow', limit: 500 });
    expect(copies.items.length).toBeGreaterThan(0);
    for (const e of copies.items) {
      expect(e.modelVersion).toBe(retraining.candidate);
      // At the replayed flights' times, after the alert's day.
      expect(e.time >= first.alerts.alert!.windowStart! && e.time < '2001-07-01').toBe(true);
    }
    expect(shadow.report?.shadow).toBe(retraining.candidate);
    expect(shadow.report!.compared).toBeGreaterThanOrEqual(copies.items.length);
    expect(shadow.report!.labelAgreement).toBeGreaterThan(0);
    expect(closingLines(first, ctx.url).join('\n')).toMatch(
      new RegExp(`agreed with the champion on [0-9.]+ % of ${shadow.report!.compared} predictions`),
    );
  });

  it('sends a week the replay did not sample through the endpoint when the shadow needs copies', async () => {
    const candidate = first.retraining.candidate!;
    const before = (await ctx.client.endpoints.shadows(ENDPOINT)).shadows.find(
      (s) => s.shadow === candidate,
    )!;
    const data = await FlightsData.open();
    const replay = await replayForShadow(ctx, data, PLAN, first.champion.encoding).finally(() =>
      data.close(),
    );
    expect(replay).toMatchObject({ from: '2001-03-25T00:00:00.000Z', to: '2001-04-01T00:00:00.000Z' });
    expect(replay.predictions).toBeGreaterThan(100);
    const after = (await ctx.client.endpoints.shadows(ENDPOINT)).shadows.find((s) => s.shadow === candidate)!;
    expect(after.compared + after.failed + after.dropped).toBe(
      before.compared + before.failed + before.dropped + replay.predictions,
    );
    const sent = await ctx.client.events.list({
      endpoint: ENDPOINT,
      arm: 'primary',
      tag: 'source:demo-shadow-replay',
      limit: 500,
    });
    expect(sent.items.length).toBe(Math.min(500, replay.predictions));
    for (const e of sent.items) {
      expect(e.time >= replay.from && e.time < replay.to).toBe(true);
      expect(e.feedback?.label).toMatch(/^[01]$/);
    }
  });

  it('sends only the flights an earlier replay did not log, each with its label', async () => {
    const data = await FlightsData.open();
    const wider = { ...PLAN, replayPerMille: PLAN.replayPerMille + 1 };
    const [march] = await replayTraffic(ctx, data, wider, first.champion.encoding).finally(() =>
      data.close(),
    );
    expect(march!.alreadyLogged).toBe(first.months[0]!.predictions);
    expect(march!.predictions).toBeGreaterThan(march!.alreadyLogged);
    expect(march!.labelled).toBe(march!.predictions);
    let logged = 0;
    const query = { endpoint: ENDPOINT, arm: 'primary' as const, tag: 'source:demo-replay', limit: 500 };
    for await (const e of ctx.client.paginate((q) => ctx.client.events.list({ ...query, ...q }))) {
      logged++;
      expect(e.feedback).not.toBeNull();
    }
    expect(logged).toBe(march!.predictions);
  });

  it('reuses what is there when run again', async () => {
    const versions = (await ctx.client.models.versions(MODEL)).items.length;
    const again = await runDemo(ctx, PLAN);
    expect(again.champion.version.ref).toBe(first.champion.version.ref);
    expect(again.champion.train.ref).toBe('flights@v1');
    expect(again.monitor.id).toBe(first.monitor.id);
    expect(again.months.every((m) => m.alreadyLogged === m.predictions)).toBe(true);
    expect(again.retraining.run.id).toBe(first.retraining.run.id);
    expect(again.alerts.alert?.id).toBe(first.alerts.alert!.id);
    expect(again.alerts.evaluations).toBe(0);
    expect(again.shadow.replay).toBeNull();
    expect((await ctx.client.models.versions(MODEL)).items).toHaveLength(versions);
  }, 90_000);

  it('promotes the candidate once a person approves', async () => {
    const { retraining } = first;
    await ctx.admin.pipelines.approve(retraining.run.id, 'approval', 'reviewed the slices');
    const done = await ctx.client.pipelines.waitForRun(retraining.run.id, { intervalMs: 100 });
    expect(done.status).toBe('succeeded');
    expect((await ctx.client.models.version(`${MODEL}@champion`)).ref).toBe(retraining.candidate);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
