import type { Alert, AlertRule, Monitor } from '@plumb/sdk';
import { ENDPOINT } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import type { DemoPlan } from './demo-plan.js';
import { monthRange, type ReplayClock } from './demo-replay.js';

export const ALERT_RULE = 'flights-share-drifted';
const DAY_MS = 86_400_000;

/** The demo's alert rule and what the alerts engine did with it on the replayed traffic. */
export interface AlertWatch {
  rule: AlertRule;
  /** The alert the rule opened on the replayed months (in this run or an earlier one). */
  alert: Alert | null;
  /** Whether an earlier run had already evaluated the replayed months and the alert is its. */
  fromEarlierRun: boolean;
  /** Evaluations made in this run, one per replayed day. */
  evaluations: number;
  /** Hand to the replay: evaluates the rule as of each day end the replay clock passed. */
  onTick: ReplayClock;
}

/**
 * The rule the demo prints (share of drifted inputs ≥ 0.5 in a window of the monitor, once), made
 * before any traffic. As the replay clock advances, the alerts engine evaluates it as if the
 * present were the end of each replayed day, exactly as its schedule evaluates it every five
 * minutes on live traffic; the first alert it opens starts the retraining pipeline through the
 * pipeline's alert trigger, and `onOpened` waits for that run while the replay holds still.
 * Later days are not evaluated: the alert stays open, and one alert starts one run.
 */
export async function watchAlerts(
  ctx: DemoContext,
  plan: DemoPlan,
  monitor: Monitor,
  onOpened: (alert: Alert) => Promise<void>,
): Promise<AlertWatch> {
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
  ctx.say(
    `  alert rule ${rule.name}: share_drifted ${rule.operator} ${rule.threshold} in ${rule.consecutive} window of ${monitor.windowMs / DAY_MS} d on ${ENDPOINT}; the alerts engine evaluates it as of the end of each replayed day`,
  );
  const earlier = (await ctx.client.alerts.list({ ruleId: rule.id, limit: 100 })).items;
  // Oldest first: the one that started the retraining.
  const first = earlier.filter((a) => a.evaluatedAt !== null).at(-1) ?? null;
  const watch: AlertWatch = {
    rule,
    alert: first,
    fromEarlierRun: first !== null,
    evaluations: 0,
    onTick: async () => {},
  };
  if (first) {
    ctx.say(
      `  ${first.id} opened by an earlier run as of ${first.evaluatedAt} (window ${first.windowStart} – ${first.windowEnd}, share ${fmt(first.value)}); not evaluated again`,
    );
    return watch;
  }
  let evaluatedTo = Date.parse(`${monthRange(plan.months[0]!)[0]}T00:00:00Z`);
  let month = '';
  let monthEvaluations = 0;
  watch.onTick = async (until) => {
    if (watch.alert) return;
    await ctx.flushProfiles?.();
    for (let at = evaluatedTo + DAY_MS; at <= Date.parse(until); at += DAY_MS) {
      evaluatedTo = at;
      const day = new Date(at - 1).toISOString().slice(0, 7);
      if (day !== month) {
        if (month && monthEvaluations > 0)
          ctx.say(`    alerts engine, ${month}: ${monthEvaluations} daily evaluations, nothing opened`);
        month = day;
        monthEvaluations = 0;
      }
      const iso = new Date(at).toISOString();
      const result = await ctx.client.alerts.evaluate({ at: iso });
      watch.evaluations++;
      monthEvaluations++;
      const opened = result.opened.find((a) => a.ruleId === rule.id);
      if (!opened) continue;
      watch.alert = opened;
      ctx.say(
        `    alerts engine, as of ${iso}: ${rule.name} OPENED ${opened.id}: ${fmt(opened.value)} of the inputs drifted in the window ${opened.windowStart} – ${opened.windowEnd} (≥ ${rule.threshold})`,
      );
      for (const e of result.listenerErrors.filter((x) => x.alertId === opened.id)) {
        ctx.say(`    the alert's listener failed: ${e.message}`);
      }
      await onOpened(opened);
      return;
    }
  };
  return watch;
}

/** Ends the per-month summary of evaluations when the replay is over. */
export function closeWatch(ctx: DemoContext, watch: AlertWatch): void {
  if (watch.alert || watch.fromEarlierRun) return;
  ctx.say(
    `    alerts engine: ${watch.evaluations} daily evaluations of the replayed months, nothing opened: the data's own drift never crossed the rule in a window`,
  );
}

function fmt(v: number | null): string {
  return v === null ? '—' : v.toFixed(2);
}
