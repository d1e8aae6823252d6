import type { Alert, Monitor, PipelineRun, ShadowReport } from '@plumb/sdk';
import { type AlertWatch, closeWatch, watchAlerts } from './demo-alerts.js';
import { buildChampion, type Champion, ENDPOINT, MODEL } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import { type DemoMonitoring, ensureMonitor, reportMonitoring } from './demo-monitoring.js';
import { APPROVAL_STEP, applyPipeline, runRetraining } from './demo-pipeline.js';
import type { DemoPlan } from './demo-plan.js';
import { type MonthReplay, replayTraffic } from './demo-replay.js';
import { replayForShadow, type ShadowReplay } from './demo-shadow.js';
import { FlightsData } from './flights-data.js';

export interface Retraining {
  run: PipelineRun;
  /** The registered candidate, once the register step ran. */
  candidate: string | null;
  evalRun: string | null;
  /** Whether the run stopped at the approval step, waiting for a person. */
  waitingForApproval: boolean;
}

export interface DemoResult {
  champion: Champion;
  monitor: Monitor;
  months: MonthReplay[];
  alerts: AlertWatch;
  monitoring: DemoMonitoring;
  retraining: Retraining;
  /** The candidate's shadow: traffic replayed for it after it was deployed, and its agreement. */
  shadow: { replay: ShadowReplay | null; report: ShadowReport | null };
  /** Wall time of each step, in milliseconds. */
  timings: Record<string, number>;
}

/**
 * Runs the loop once: champion; replayed traffic through the endpoint with the alerts engine
 * evaluating as the replay clock advances (its alert starting the retraining pipeline up to
 * its approval); monitoring's monthly report; the candidate's shadow agreement.
 */
export async function runDemo(ctx: DemoContext, plan: DemoPlan, dataFile?: string): Promise<DemoResult> {
  const timings: Record<string, number> = {};
  const step = async <T>(n: number, title: string, work: () => Promise<T>): Promise<T> => {
    ctx.say('');
    ctx.say(`[${n}/4] ${title}`);
    const started = performance.now();
    const result = await work();
    timings[title] = performance.now() - started;
    ctx.say(`  (${(timings[title] / 1000).toFixed(1)} s)`);
    return result;
  };
  const data = await FlightsData.open(dataFile);
  try {
    const { champion, monitor, pipelineVersion } = await step(
      1,
      'January–February 2001: dataset, validation, training, gate, champion, endpoint, monitor, pipeline',
      async () => {
        const champion = await buildChampion(ctx, data, plan);
        const monitor = await ensureMonitor(ctx);
        const pipelineVersion = await applyPipeline(ctx, plan);
        return { champion, monitor, pipelineVersion };
      },
    );
    let retraining: Retraining | null = null;
    const retrainOn = async (alert: Alert) => {
      retraining = retrainingOf(
        await runRetraining(ctx, pipelineVersion, { kind: 'alert', alertId: alert.id }),
      );
    };
    const { months, alerts } = await step(
      2,
      `${plan.months.join(', ')} replayed through the endpoint, labels a day later, the alert rule evaluated as the replay clock advances`,
      async () => {
        const alerts = await watchAlerts(ctx, plan, monitor, retrainOn);
        const months = await replayTraffic(ctx, data, plan, champion.encoding, alerts.onTick);
        closeWatch(ctx, alerts);
        await ctx.flushProfiles?.();
        return { months, alerts };
      },
    );
    const monitoring = await step(3, 'monitoring: drift, realised and estimated accuracy per month', () =>
      reportMonitoring(ctx, plan, monitor, alerts.rule.id),
    );
    const done = await step(4, 'retraining pipeline and the candidate in shadow', async () => {
      let current: Retraining | null = retraining;
      if (!current && alerts.alert) {
        // An earlier run's alert: the run its trigger started.
        current = retrainingOf(
          await runRetraining(ctx, pipelineVersion, { kind: 'alert', alertId: alerts.alert.id }),
        );
      }
      if (!current) {
        ctx.say('  no alert opened on the replayed traffic, so the pipeline starts by its schedule trigger.');
        current = retrainingOf(await runRetraining(ctx, pipelineVersion, { kind: 'schedule' }));
      }
      const shadow = await shadowOf(ctx, data, plan, champion, current);
      return { retraining: current, shadow };
    });
    return {
      champion,
      monitor,
      months,
      alerts,
      monitoring,
      retraining: done.retraining,
      shadow: done.shadow,
      timings,
    };
  } finally {
    data.close();
  }
}

/**
 * The candidate's shadow report. When the replay left it no copies (it was deployed after the
 * replay ended), fresh flights of the last replayed days go through the endpoint first.
 */
async function shadowOf(
  ctx: DemoContext,
  data: FlightsData,
  plan: DemoPlan,
  champion: Champion,
  retraining: Retraining,
): Promise<DemoResult['shadow']> {
  const candidate = retraining.candidate;
  const endpoint = await ctx.client.endpoints.get(ENDPOINT);
  if (!candidate || !endpoint.shadows.includes(candidate)) {
    ctx.say(`  ${candidate ?? 'no candidate'} is not a shadow of ${ENDPOINT}`);
    return { replay: null, report: null };
  }
  const find = async () =>
    (await ctx.client.endpoints.shadows(ENDPOINT)).shadows.find((s) => s.shadow === candidate) ?? null;
  let report = await find();
  let replay: ShadowReplay | null = null;
  if ((report?.compared ?? 0) === 0) {
    replay = await replayForShadow(ctx, data, plan, champion.encoding);
    report = await find();
  }
  if (report) {
    ctx.say(
      `  shadow ${report.shadow}: ${report.compared} predictions compared with the champion's, labels agree on ${pct(report.labelAgreement)}${report.meanAbsScoreDiff === null ? '' : `, mean score difference ${report.meanAbsScoreDiff.toFixed(3)}`}, ${report.failed} failed, ${report.dropped} dropped`,
    );
  }
  return { replay, report };
}

function retrainingOf(run: PipelineRun): Retraining {
  const output = (step: string, key: string) => run.steps.find((s) => s.name === step)?.outputs?.[key];
  const model = output('register', 'model') as { model?: string } | undefined;
  const evalRun = output('evaluate', 'evalRun');
  return {
    run,
    candidate: model?.model ?? null,
    evalRun: typeof evalRun === 'string' ? evalRun : null,
    waitingForApproval: run.steps.some((s) => s.name === APPROVAL_STEP && s.status === 'waiting'),
  };
}

function pct(v: number | null): string {
  return v === null ? '—' : `${(100 * v).toFixed(1)} %`;
}

/** What to look at and what to type once the loop has run. */
export function closingLines(result: DemoResult, url: string): string[] {
  const { retraining, shadow } = result;
  const lines = [
    '',
    `Plumb is serving at ${url} (web UI ${url}/). The endpoint answers:`,
    `  npx plumb predict ${ENDPOINT} --input '{"distance":733,"hour":18,"weekday":5,"origin":"ORD","destination":"LGA","origin_rate":0.25,"destination_rate":0.27}'`,
    `  npx plumb monitor status ${ENDPOINT} --from 2001-03-01T00:00:00Z --to 2001-07-01T00:00:00Z`,
  ];
  if (result.alerts.alert) lines.push(`  npx plumb alert show ${result.alerts.alert.id}`);
  if (retraining.candidate) lines.push(`  npx plumb lineage model ${retraining.candidate}`);
  if (retraining.evalRun) lines.push(`  npx plumb eval report ${retraining.evalRun} --html report.html`);
  if (retraining.waitingForApproval) {
    const agreement = shadow.report
      ? ` In shadow it agreed with the champion on ${pct(shadow.report.labelAgreement)} of ${shadow.report.compared} predictions (npx plumb endpoint shadows ${ENDPOINT}).`
      : '';
    lines.push(
      '',
      `The pipeline run ${retraining.run.id} waits at its approval step.${agreement} To promote ${retraining.candidate} to ${MODEL}@champion, approve it as yourself (the admin key in .plumb/credentials; the demo ran the pipeline as plumb-demo):`,
      `  npx plumb pipeline approve ${retraining.run.id} ${APPROVAL_STEP} --comment "reviewed the gate, the slices and the shadow"`,
    );
  } else {
    lines.push(
      '',
      `The pipeline run ${retraining.run.id} ended ${retraining.run.status}${retraining.run.error ? `: ${retraining.run.error}` : ''}.`,
    );
  }
  lines.push('', 'Ctrl-C stops the server; running the demo again reuses everything it made.');
  return lines;
}
