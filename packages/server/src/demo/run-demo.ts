import type { Monitor, PipelineRun } from '@plumb/sdk';
import { buildChampion, type Champion, ENDPOINT, MODEL } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import { type DemoMonitoring, ensureMonitor, reportMonitoring } from './demo-monitoring.js';
import { APPROVAL_STEP, runRetraining } from './demo-pipeline.js';
import type { DemoPlan } from './demo-plan.js';
import { type MonthReplay, replayTraffic } from './demo-replay.js';
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
  monitoring: DemoMonitoring;
  retraining: Retraining;
  /** Wall time of each step, in milliseconds. */
  timings: Record<string, number>;
}

/** Runs the loop once: champion, replayed traffic, monitoring, the retraining pipeline up to its approval. */
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
    const { champion, monitor } = await step(
      1,
      'January–February 2001: dataset, validation, training, gate, champion, endpoint, monitor',
      async () => {
        const champion = await buildChampion(ctx, data, plan);
        const monitor = await ensureMonitor(ctx);
        return { champion, monitor };
      },
    );
    const months = await step(
      2,
      `${plan.months.join(', ')} replayed as traffic, labels a day later`,
      async () => {
        const replayed = await replayTraffic(ctx, data, plan, champion.encoding, champion.version);
        await ctx.flushProfiles?.();
        return replayed;
      },
    );
    const monitoring = await step(
      3,
      'monitoring: drift, realised and estimated accuracy, the alert rule',
      () => reportMonitoring(ctx, plan, monitor),
    );
    const retraining = await step(4, 'retraining pipeline', async () => {
      const open = await ctx.client.alerts.list({ ruleId: monitoring.rule.id, status: 'open' });
      const alert = open.items[0];
      if (!alert) ctx.say('  no alert is open, so the pipeline starts by its schedule trigger.');
      const run = await runRetraining(
        ctx,
        plan,
        alert ? { kind: 'alert', alertId: alert.id } : { kind: 'schedule' },
      );
      return retrainingOf(run);
    });
    return { champion, monitor, months, monitoring, retraining, timings };
  } finally {
    data.close();
  }
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

/** What to look at and what to type once the loop has run. */
export function closingLines(result: DemoResult, url: string): string[] {
  const { retraining } = result;
  const lines = [
    '',
    `Plumb is serving at ${url} (web UI ${url}/). The endpoint answers:`,
    `  npx plumb predict ${ENDPOINT} --input '{"distance":733,"hour":18,"weekday":5,"origin":"ORD","destination":"LGA","origin_rate":0.25,"destination_rate":0.27}'`,
    `  npx plumb monitor status ${ENDPOINT} --from 2001-03-01T00:00:00Z --to 2001-07-01T00:00:00Z`,
  ];
  if (retraining.candidate) lines.push(`  npx plumb lineage model ${retraining.candidate}`);
  if (retraining.evalRun) lines.push(`  npx plumb eval report ${retraining.evalRun} --html report.html`);
  if (retraining.waitingForApproval) {
    lines.push(
      '',
      `The pipeline run ${retraining.run.id} waits at its approval step. To promote ${retraining.candidate} to ${MODEL}@champion, approve it as yourself (the admin key in .plumb/credentials; the demo ran the pipeline as plumb-demo):`,
      `  npx plumb pipeline approve ${retraining.run.id} ${APPROVAL_STEP} --comment "reviewed the gate and the slices"`,
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
