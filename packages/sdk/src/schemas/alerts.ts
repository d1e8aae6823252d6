import { z } from 'zod';
import { Id, Name, PageQuery, Timestamp } from './common.js';
import { WindowLength } from './performance.js';

/**
 * What a rule watches. Drift values come from the endpoint's monitor (a feature's test statistic,
 * the share of drifted features); the others from the endpoint's performance windows, realised
 * from feedback or estimated before it, and its traffic.
 */
export const AlertMetric = z.enum([
  'feature_drift',
  'share_drifted',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'roc_auc',
  'calibration_error',
  'mae',
  'rmse',
  'estimated_accuracy',
  'estimated_precision',
  'estimated_recall',
  'estimated_f1',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'error_rate',
  'fallback_rate',
  'cost_usd',
  'tokens',
]);
export type AlertMetric = z.infer<typeof AlertMetric>;

export const AlertOperator = z.enum(['gt', 'gte', 'lt', 'lte']);
export type AlertOperator = z.infer<typeof AlertOperator>;

export const CreateAlertRule = z
  .object({
    name: Name,
    endpoint: z.string().min(1).max(200),
    metric: AlertMetric,
    /** The feature of `feature_drift`. */
    feature: z.string().min(1).max(200).optional(),
    /** The monitor drift rules read; default the endpoint's only monitor. */
    monitorId: Id.optional(),
    /**
     * Default `lt` for accuracy, precision, recall, F1 and ROC AUC (realised or estimated), `gt`
     * otherwise. Drift rules without a threshold follow the monitor's own verdict.
     */
    operator: AlertOperator.optional(),
    threshold: z.number().finite().optional(),
    /** Windows in a row the condition must hold before the alert opens. */
    consecutive: z.number().int().min(1).max(1000).default(1),
    /** Window of performance and traffic rules; drift rules use their monitor's. */
    window: WindowLength.default('1h'),
    /** Notified when an alert opens and when it resolves; needs `webhookSecret`. */
    webhookUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    /** Signs each delivery (HMAC-SHA256); stored, never shown again. */
    webhookSecret: z.string().min(16).max(200).optional(),
  })
  .strict()
  .refine((r) => r.metric !== 'feature_drift' || r.feature !== undefined, {
    message: 'feature_drift needs a feature',
    path: ['feature'],
  })
  .refine((r) => (r.webhookUrl === undefined) === (r.webhookSecret === undefined), {
    message: 'webhookUrl and webhookSecret go together',
    path: ['webhookSecret'],
  })
  .refine((r) => r.threshold !== undefined || r.metric === 'feature_drift' || r.metric === 'share_drifted', {
    message: 'needs a threshold (only drift rules may follow the monitor’s verdict)',
    path: ['threshold'],
  });
export type CreateAlertRule = z.input<typeof CreateAlertRule>;

export const AlertRule = z.object({
  id: Id,
  name: z.string(),
  endpoint: z.string(),
  metric: AlertMetric,
  feature: z.string().nullable(),
  monitorId: z.string().nullable(),
  operator: AlertOperator,
  threshold: z.number().nullable(),
  consecutive: z.number().int(),
  window: z.string(),
  webhookUrl: z.string().nullable(),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type AlertRule = z.infer<typeof AlertRule>;

export const AlertStatus = z.enum(['open', 'acknowledged', 'resolved']);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const Alert = z.object({
  id: Id,
  ruleId: Id,
  ruleName: z.string(),
  endpoint: z.string(),
  /** The feature or model version the condition held for; null for the endpoint as a whole. */
  subject: z.string().nullable(),
  /** Rule, subject and the first window of the run: one condition opens one alert. */
  dedupKey: z.string(),
  status: AlertStatus,
  /** The value in the window that opened the alert, and the threshold it crossed. */
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  runStart: Timestamp,
  /** The window whose value opened the alert; null for alerts opened before windows were kept. */
  windowStart: Timestamp.nullable(),
  windowEnd: Timestamp.nullable(),
  /** The present the opening evaluation read the windows as of (now, or the `at` it was given). */
  evaluatedAt: Timestamp.nullable(),
  openedAt: Timestamp,
  acknowledgedAt: Timestamp.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: Timestamp.nullable(),
  resolvedBy: z.string().nullable(),
  /** `cleared` when a later window no longer met the condition, `manual` when someone resolved it. */
  resolution: z.enum(['cleared', 'manual']).nullable(),
});
export type Alert = z.infer<typeof Alert>;

export const ListAlerts = PageQuery.extend({
  status: AlertStatus.optional(),
  ruleId: Id.optional(),
}).strict();
export type ListAlerts = z.input<typeof ListAlerts>;

export const AlertDelivery = z.object({
  id: Id,
  alertId: Id,
  event: z.enum(['opened', 'resolved']),
  attempt: z.number().int(),
  url: z.string(),
  /** Null when no answer came (refused, timed out). */
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number(),
  at: Timestamp,
});
export type AlertDelivery = z.infer<typeof AlertDelivery>;

export const AlertWithDeliveries = Alert.extend({ deliveries: z.array(AlertDelivery) });
export type AlertWithDeliveries = z.infer<typeof AlertWithDeliveries>;

/**
 * `at`: evaluate as if the present were this time (replays, backfills, checking a rule against
 * history): only windows closed by then are read. Omitted, the present is now.
 */
export const EvaluateAlerts = z.object({ at: Timestamp.optional() }).strict();
export type EvaluateAlerts = z.input<typeof EvaluateAlerts>;

export const AlertEvaluation = z.object({
  rules: z.number().int(),
  opened: z.array(Alert),
  resolved: z.array(Alert),
  /** Rules that could not be evaluated (no monitor yet…), with why. */
  skipped: z.array(z.object({ ruleId: Id, ruleName: z.string(), reason: z.string() })),
  /** Listeners told of opened alerts that failed; the alerts are open all the same. */
  listenerErrors: z.array(z.object({ alertId: Id, message: z.string() })),
});
export type AlertEvaluation = z.infer<typeof AlertEvaluation>;

/** The body a webhook receives, signed in `X-Plumb-Signature: t=<unix seconds>,v1=<hex>`. */
export const AlertNotification = z.object({
  event: z.enum(['opened', 'resolved']),
  deliveryId: Id,
  alert: Alert,
});
export type AlertNotification = z.infer<typeof AlertNotification>;
