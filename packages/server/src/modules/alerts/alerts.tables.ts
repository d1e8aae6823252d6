/** A condition on one monitored value of an endpoint; `webhook_secret` signs its notifications. */
export interface AlertRulesTable {
  id: string;
  project_id: string;
  name: string;
  endpoint: string;
  metric: string;
  feature: string | null;
  monitor_id: string | null;
  operator: string;
  threshold: number | null;
  consecutive: number;
  window: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: string;
  created_by: string;
}

/** `dedup_key` is unique per project: one condition (rule, subject, run) opens one alert. */
export interface AlertsTable {
  id: string;
  project_id: string;
  rule_id: string;
  subject: string;
  dedup_key: string;
  status: string;
  value: number | null;
  threshold: number | null;
  run_start: number;
  /** The window whose value opened the alert (epoch ms); null on alerts older than these columns. */
  window_start: number | null;
  window_end: number | null;
  /** The present the opening evaluation read windows as of (epoch ms). */
  evaluated_at: number | null;
  opened_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution: string | null;
}

/** One attempt to deliver a notification, whatever its outcome. */
export interface AlertDeliveriesTable {
  id: string;
  alert_id: string;
  event: string;
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  at: string;
}

export interface AlertsTables {
  alert_rules: AlertRulesTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
}

declare module '../../storage/schema.js' {
  interface Database extends AlertsTables {}
}
