import { createHmac } from 'node:crypto';
import type { AlertNotification } from '@plumb/sdk';
import type { Clock } from '../../core/clock.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { presentAlert } from './alert-views.js';
import type { AlertsRepo } from './alerts.repo.js';

/** The queue of webhook notifications; a failed attempt is retried with exponential backoff. */
export const DELIVER_QUEUE = 'alerts.deliver';
/** Attempts per notification: with the queue's backoff (1 s doubling, capped at 10 min) about 40 min. */
export const DELIVERY_ATTEMPTS = 10;
const TIMEOUT_MS = 10_000;
const MAX_ERROR_CHARS = 500;

export interface DeliveryPayload {
  alertId: string;
  event: 'opened' | 'resolved';
  /** The same for every attempt, so a receiver can drop repeats. */
  notificationId: string;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the rule's secret>`: the time
 * inside the signature lets receivers refuse replays of old deliveries.
 */
export function signature(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Posts one notification and records the attempt, whatever happens; throws unless it got a 2xx. */
export async function deliver(
  deps: { repo: AlertsRepo; clock: Clock },
  payload: DeliveryPayload,
  attempt: number,
): Promise<{ statusCode: number } | { skipped: string }> {
  const alert = await deps.repo.alertById(payload.alertId);
  const rule = alert && (await deps.repo.ruleById(alert.rule_id));
  if (!alert || !rule) return { skipped: 'the alert or its rule no longer exists' };
  if (rule.webhook_url === null || rule.webhook_secret === null)
    return { skipped: 'the rule has no webhook' };
  const notification: AlertNotification = {
    event: payload.event,
    deliveryId: payload.notificationId,
    alert: presentAlert(alert, rule),
  };
  const body = JSON.stringify(notification);
  const now = deps.clock.now();
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(rule.webhook_url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-plumb-event': `alert.${payload.event}`,
        'x-plumb-delivery': payload.notificationId,
        'x-plumb-signature': signature(rule.webhook_secret, Math.floor(now.getTime() / 1000), body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    statusCode = res.status;
    // Drain, so the connection can be reused; the answer itself is not used.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) error = `answered ${res.status}`;
  } catch (e) {
    // fetch says only "fetch failed"; the cause names what did (refused, reset, timed out).
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    error = (e instanceof Error ? `${e.message}${cause}` : String(e)).slice(0, MAX_ERROR_CHARS);
  }
  await deps.repo.insertDelivery({
    id: newId('adl'),
    alert_id: alert.id,
    event: payload.event,
    attempt,
    url: rule.webhook_url,
    status_code: statusCode,
    error,
    duration_ms: performance.now() - started,
    at: now.toISOString(),
  });
  if (error !== null) {
    throw new PlumbError('unavailable', `webhook ${rule.webhook_url} for alert ${alert.id}: ${error}`);
  }
  return { statusCode: statusCode! };
}
