import type { Alert, AlertDelivery, AlertMetric, AlertOperator, AlertRule } from '@plumb/sdk';
import type { AlertDeliveriesTable, AlertRulesTable, AlertsTable } from './alerts.tables.js';

export function presentRule(r: AlertRulesTable): AlertRule {
  return {
    id: r.id,
    name: r.name,
    endpoint: r.endpoint,
    metric: r.metric as AlertMetric,
    feature: r.feature,
    monitorId: r.monitor_id,
    operator: r.operator as AlertOperator,
    threshold: r.threshold,
    consecutive: r.consecutive,
    window: r.window,
    webhookUrl: r.webhook_url,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

export function presentAlert(a: AlertsTable, rule: Pick<AlertRulesTable, 'name' | 'endpoint'>): Alert {
  return {
    id: a.id,
    ruleId: a.rule_id,
    ruleName: rule.name,
    endpoint: rule.endpoint,
    subject: a.subject === '' ? null : a.subject,
    dedupKey: a.dedup_key,
    status: a.status as Alert['status'],
    value: a.value,
    threshold: a.threshold,
    runStart: new Date(a.run_start).toISOString(),
    windowStart: iso(a.window_start),
    windowEnd: iso(a.window_end),
    evaluatedAt: iso(a.evaluated_at),
    openedAt: a.opened_at,
    acknowledgedAt: a.acknowledged_at,
    acknowledgedBy: a.acknowledged_by,
    resolvedAt: a.resolved_at,
    resolvedBy: a.resolved_by,
    resolution: a.resolution as Alert['resolution'],
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

export function presentDelivery(d: AlertDeliveriesTable): AlertDelivery {
  return {
    id: d.id,
    alertId: d.alert_id,
    event: d.event as AlertDelivery['event'],
    attempt: d.attempt,
    url: d.url,
    statusCode: d.status_code,
    error: d.error,
    durationMs: d.duration_ms,
    at: d.at,
  };
}
