import type { AlertRule, DriftReport, EndpointPerformance, Monitor } from '@plumb/sdk';
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
export const ALERT_RULE = 'flights-share-drifted';

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
  rule: AlertRule;
  /** Alerts the rule has open now. */
  openAlerts: number;
  /** Months whose report meets the rule's condition. */
  breached: string[];
}

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
 * profiles), and realised accuracy from the labels next to the estimate made without them; then
 * the alert rule on the share of drifted features, evaluated by the alerts engine.
 */
export async function reportMonitoring(
  ctx: DemoContext,
  plan: DemoPlan,
  monitor: Monitor,
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

  const rules = await ctx.client.alerts.listRules();
  const rule =
    rules.items.find((r) => r.name === ALERT_RULE) ??
    (await ctx.client.alerts.createRule({
      name: ALERT_RULE,
      endpoint: ENDPOINT,
      metric: 'share_drifted',
      monitorId: monitor.id,
      operator: 'gte',
      threshold: 0.5,
      consecutive: 1,
    }));
  say(
    `  alert rule ${rule.name}: share_drifted ${rule.operator} ${rule.threshold} in ${rule.consecutive} window of ${monitor.windowMs / 86_400_000} d on ${ENDPOINT}`,
  );
  const breached = months.filter((m) => m.shareDrifted >= (rule.threshold ?? 0.5)).map((m) => m.month);
  const evaluation = await ctx.client.alerts.evaluate();
  const open = await ctx.client.alerts.list({ ruleId: rule.id, status: 'open' });
  say(
    `  the alerts engine evaluated ${evaluation.rules} rules now: ${evaluation.opened.length} opened, ${open.items.length} open for ${rule.name}. It reads the windows just before the present, and the replayed months are in 2001, so it cannot fire on them.`,
  );
  say(
    breached.length > 0
      ? `  the rule's condition holds in ${breached.join(', ')} by the monitor's own reports above.`
      : '  no month crosses the rule’s threshold in the monitor’s reports.',
  );
  return { monitor, months, rule, openAlerts: open.items.length, breached };
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
