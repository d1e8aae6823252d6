import type { DemoContext } from './demo-context.js';
import type { DemoPlan } from './demo-plan.js';

export interface DemoMonitoring {
  /** Whether this server has the monitoring API at all. */
  available: boolean;
  /** What started retraining. */
  trigger: 'alert' | 'schedule' | 'demo';
}

/** The API paths this server serves, from its OpenAPI document. */
export async function apiPaths(ctx: DemoContext): Promise<Set<string>> {
  const response = await fetch(`${ctx.url}/api/v1/openapi.json`);
  const doc = (await response.json()) as { paths?: Record<string, unknown> };
  return new Set(Object.keys(doc.paths ?? {}));
}

/**
 * Step 3: the monthly monitoring report and the alert that starts retraining. Only what this
 * server can do is run; what it cannot is said, and nothing is made up in its place.
 */
export async function reportMonitoring(ctx: DemoContext, plan: DemoPlan): Promise<DemoMonitoring> {
  const paths = await apiPaths(ctx);
  const available = paths.has('/api/v1/monitors');
  if (!available) {
    ctx.say(
      `  this server has no monitoring yet (drift from stored profiles, realised and estimated performance, alerts): no monthly report and no alert for ${plan.months.join(', ')}.`,
    );
    ctx.say('  the figures per month above are what the replay measured on the rows it sent, not a monitor.');
    ctx.say(
      paths.has('/api/v1/pipelines')
        ? '  retraining runs as the steps below.'
        : '  this server has no pipeline engine yet either: the demo runs the retraining steps below itself, through the API.',
    );
  }
  return { available, trigger: 'demo' };
}
