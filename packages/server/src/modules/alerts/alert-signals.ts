import type { AlertMetric, AlertOperator, PerformanceWindow } from '@plumb/sdk';
import { PlumbError } from '../../core/errors.js';
import { windowMs } from '../performance/performance.service.js';
import type { DriftSignals, PerformanceSignals } from './alerts.ports.js';
import type { AlertRulesTable } from './alerts.tables.js';

/** One window of the value a rule watches, for one subject (a feature, a model version). */
export interface SignalWindow {
  subject: string;
  windowStart: number;
  windowEnd: number;
  /** Null when the window has no such value (no feedback yet, no latency recorded…). */
  value: number | null;
  /** Null when there is no value to judge. */
  breached: boolean | null;
}

const DRIFT_METRICS = new Set<AlertMetric>(['feature_drift', 'share_drifted']);
const HIGHER_IS_BETTER = new Set<AlertMetric>([
  'accuracy',
  'precision',
  'recall',
  'f1',
  'roc_auc',
  'estimated_accuracy',
  'estimated_precision',
  'estimated_recall',
  'estimated_f1',
]);

export const isDriftMetric = (m: AlertMetric) => DRIFT_METRICS.has(m);
export const defaultOperator = (m: AlertMetric): AlertOperator => (HIGHER_IS_BETTER.has(m) ? 'lt' : 'gt');

export function crosses(value: number, operator: AlertOperator, threshold: number): boolean {
  switch (operator) {
    case 'gt':
      return value > threshold;
    case 'gte':
      return value >= threshold;
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
  }
}

function performanceValue(w: PerformanceWindow, metric: AlertMetric): number | null {
  const t = w.traffic;
  switch (metric) {
    case 'accuracy':
    case 'precision':
    case 'recall':
    case 'f1':
    case 'mae':
    case 'rmse':
      return w.realised[metric];
    case 'roc_auc':
      return w.realised.rocAuc;
    case 'calibration_error':
      return w.realised.calibrationError;
    case 'estimated_accuracy':
      return w.estimated?.accuracy ?? null;
    case 'estimated_precision':
      return w.estimated?.precision ?? null;
    case 'estimated_recall':
      return w.estimated?.recall ?? null;
    case 'estimated_f1':
      return w.estimated?.f1 ?? null;
    case 'latency_p50_ms':
      return t?.latencyP50Ms ?? null;
    case 'latency_p95_ms':
      return t?.latencyP95Ms ?? null;
    case 'latency_p99_ms':
      return t?.latencyP99Ms ?? null;
    case 'error_rate':
      return t?.errorRate ?? null;
    case 'fallback_rate':
      return t?.fallbackRate ?? null;
    case 'cost_usd':
      return t ? t.costUsd : null;
    case 'tokens':
      return t ? t.promptTokens + t.completionTokens : null;
    default:
      return null;
  }
}

/** Reads the windows a rule watches; drift from its monitor, the rest from performance. */
export class SignalReader {
  constructor(
    private readonly drift: () => DriftSignals | null,
    private readonly performance: PerformanceSignals,
  ) {}

  /** The rule's window length and its monitor, resolved now (a drift rule may name none). */
  async windowOf(rule: AlertRulesTable): Promise<{ windowMs: number; monitorId: string | null }> {
    const metric = rule.metric as AlertMetric;
    if (!isDriftMetric(metric)) return { windowMs: windowMs(rule.window), monitorId: null };
    const drift = this.drift();
    if (drift === null) throw new PlumbError('failed_precondition', 'drift monitoring is not available');
    const monitors = await drift.listMonitors(rule.project_id, rule.endpoint);
    const monitor =
      rule.monitor_id === null
        ? monitors.length === 1
          ? monitors[0]
          : undefined
        : monitors.find((m) => m.id === rule.monitor_id);
    if (!monitor) {
      throw new PlumbError(
        'failed_precondition',
        rule.monitor_id !== null
          ? `monitor ${rule.monitor_id} of endpoint ${rule.endpoint} does not exist`
          : monitors.length === 0
            ? `endpoint ${rule.endpoint} has no monitor`
            : `endpoint ${rule.endpoint} has ${monitors.length} monitors: name one in the rule`,
      );
    }
    return { windowMs: monitor.windowMs, monitorId: monitor.id };
  }

  async read(
    rule: AlertRulesTable,
    monitorId: string | null,
    range: { fromMs: number; toMs: number; windowMs: number },
  ): Promise<SignalWindow[]> {
    const metric = rule.metric as AlertMetric;
    const operator = rule.operator as AlertOperator;
    const judge = (value: number | null, verdict: boolean): boolean | null =>
      value === null ? null : rule.threshold === null ? verdict : crosses(value, operator, rule.threshold);
    if (isDriftMetric(metric)) {
      const drift = this.drift();
      if (drift === null || monitorId === null) return [];
      const windows = await drift.windowSignals(rule.project_id, monitorId, range.fromMs, range.toMs);
      return windows.map((w) => {
        if (metric === 'share_drifted') {
          return {
            subject: '',
            windowStart: w.windowStart,
            windowEnd: w.windowEnd,
            value: w.shareDrifted,
            breached: judge(w.shareDrifted, w.datasetDrifted),
          };
        }
        const f = w.features.find((x) => x.feature === rule.feature);
        const value = f ? f.statistic : null;
        return {
          subject: rule.feature ?? '',
          windowStart: w.windowStart,
          windowEnd: w.windowEnd,
          value,
          breached: judge(value, f?.verdict === 'drift'),
        };
      });
    }
    const { series } = await this.performance.series(rule.project_id, rule.endpoint, range);
    return series.map((w) => {
      const value = performanceValue(w, metric);
      return {
        subject: w.modelVersion ?? '',
        windowStart: Date.parse(w.windowStart),
        windowEnd: Date.parse(w.windowEnd),
        value,
        breached: judge(value, false),
      };
    });
  }
}
