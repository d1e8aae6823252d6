import type { DriftReport, EndpointPerformance, Monitor } from '@plumb/sdk';
import { ENDPOINT } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import type { DemoPlan } from './demo-plan.js';
import { monthRange } from './demo-replay.js';

/** The inputs the monitor watches: the model's features and the airports behind two of them. */
export const MONITORED = [
  'distance',
  'hour',
  'weekday',
  'origin',
  'destination',
  'origin_rate',
  'destination_rate',
];

export interface MonthReport {
  month: string;
  shareDrifted: number;
  datasetDrifted: boolean;
  drifted: string[];
  indeterminate: string[];
  /** Labelled predictions, and the accuracy they give; null without feedback. */
  labelled: number;
  realisedAccuracy: number | null;
  /** CBPE's estimate from the model's probabilities alone, over the same windows. */
  estimatedAccuracy: number | null;
}

export interface DemoMonitoring {
  monitor: Monitor;
  months: MonthReport[];
  /** Alerts of the demo's rule open now. */
  openAlerts: number;
}

export { ALERT_RULE } from './demo-alerts.js';

/**
 * The endpoint's monitor, made before any traffic so profiles are written as events arrive. Its
 * reference is the training data of the version in service (flights@v1, through lineage), in
 * daily windows.
 */
export async function ensureMonitor(ctx: DemoContext): Promise<Monitor> {
  const existing = await ctx.client.monitors.list({ endpoint: ENDPOINT });
  if (existing.items[0]) return existing.items[0];
  return ctx.client.monitors.create({ endpoint: ENDPOINT, window: '1d', features: MONITORED });
}

/**
 * Step 3: per month, drift of every monitored input against the reference (from the stored
 * profiles), and realised accuracy from the labels next to the estimate made without them.
 */
export async function reportMonitoring(
  ctx: DemoContext,
  plan: DemoPlan,
  monitor: Monitor,
  ruleId: string,
): Promise<DemoMonitoring> {
  const { say } = ctx;
  say(
    `  monitor ${monitor.id} on ${ENDPOINT}: reference ${monitor.reference}, ${monitor.features.map((f) => `${f.feature} (${f.test} ≥ ${f.threshold})`).join(', ')}; the data drifts when ≥ ${monitor.datasetShare} of them do`,
  );
  const performanceOf = (from: string, to: string) =>
    ctx.client.performance.endpoint(ENDPOINT, { from, to, window: '1d', positiveClass: '1' });
  await waitForTrafficFold(ctx, plan, performanceOf);
  const months: MonthReport[] = [];
  for (const month of plan.months) {
    const [from, to] = monthRange(month).map((d) => `${d}T00:00:00.000Z`) as [string, string];
    const drift = await ctx.client.monitors.drift(monitor.id, { from, to });
    const performance = await performanceOf(from, to);
    const report = monthReport(month, drift, performance);
    months.push(report);
    say(
      `  ${month}: ${(100 * report.shareDrifted).toFixed(0)} % of inputs drifted${report.drifted.length ? ` (${report.drifted.join(', ')})` : ''}${report.indeterminate.length ? `, indeterminate: ${report.indeterminate.join(', ')}` : ''}; accuracy ${fmt(report.realisedAccuracy)} on ${report.labelled} labels, estimated before them ${fmt(report.estimatedAccuracy)}`,
    );
  }
  say(
    "  (a month merges its days' profiles; the alert rule judges each day's window alone, and a day holds one weekday and a few hundred flights over some 200 airports, so days drift more than months do)",
  );
  const open = await ctx.client.alerts.list({ ruleId, status: 'open' });
  return { monitor, months, openAlerts: open.items.length };
}

function monthReport(month: string, drift: DriftReport, performance: EndpointPerformance): MonthReport {
  let labelled = 0;
  let correct = 0;
  let predictions = 0;
  let estimated = 0;
  for (const w of performance.series) {
    if (w.segment !== null) continue;
    if (w.realised.accuracy !== null) {
      labelled += w.labelled;
      correct += w.realised.accuracy * w.labelled;
    }
    const n = w.traffic?.predictions ?? 0;
    if (w.estimated?.accuracy !== null && w.estimated?.accuracy !== undefined && n > 0) {
      predictions += n;
      estimated += w.estimated.accuracy * n;
    }
  }
  return {
    month,
    shareDrifted: drift.shareDrifted,
    datasetDrifted: drift.datasetDrifted,
    drifted: drift.features
      .filter((f) => f.verdict === 'drift')
      .map((f) => `${f.feature} ${fmt(f.statistic)}`),
    indeterminate: drift.features.filter((f) => f.verdict === 'indeterminate').map((f) => f.feature),
    labelled,
    realisedAccuracy: labelled > 0 ? correct / labelled : null,
    estimatedAccuracy: predictions > 0 ? estimated / predictions : null,
  };
}

/** How long the demo waits for the job that folds logged traffic into windows (it runs every minute). */
const FOLD_WAIT_MS = 90_000;

/**
 * The estimate comes from traffic windows that a scheduled job folds from the inference log
 * every minute, in the job thread; the replay has just logged the last month, so wait (bounded)
 * until that month's traffic is folded rather than print estimates of nothing.
 */
async function waitForTrafficFold(
  ctx: DemoContext,
  plan: DemoPlan,
  performanceOf: (from: string, to: string) => ReturnType<DemoContext['client']['performance']['endpoint']>,
): Promise<void> {
  const last = plan.months.at(-1);
  if (!last) return;
  const [from, to] = monthRange(last).map((d) => `${d}T00:00:00.000Z`) as [string, string];
  const deadline = Date.now() + FOLD_WAIT_MS;
  let told = false;
  for (;;) {
    const performance = await performanceOf(from, to);
    if (performance.series.some((w) => (w.traffic?.predictions ?? 0) > 0 && w.estimated?.accuracy != null))
      return;
    if (Date.now() > deadline) {
      ctx.say('  the traffic of the replayed months is not folded yet, so estimates are not shown');
      return;
    }
    if (!told)
      ctx.say('  waiting for the minute job that folds logged traffic into windows (for the estimates)…');
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

function fmt(v: number | null): string {
  return v === null ? '—' : v.toFixed(3);
}
