import type { PerformanceWindow } from '@plumb/sdk';
import type { SeriesOptions } from '../performance/performance.service.js';

/** One window of a monitor's drift, as the monitoring module reports it. */
export interface DriftWindow {
  windowStart: number;
  windowEnd: number;
  shareDrifted: number;
  datasetDrifted: boolean;
  features: {
    feature: string;
    test: string;
    statistic: number;
    threshold: number;
    drifted: boolean;
    verdict: string;
  }[];
}

/** What alerts read of monitoring: an endpoint's monitors and their closed windows. */
export interface DriftSignals {
  listMonitors(
    projectId: string,
    endpoint?: string,
  ): Promise<{ id: string; endpoint: string; windowMs: number }[]>;
  windowSignals(projectId: string, monitorId: string, from: number, to: number): Promise<DriftWindow[]>;
}

/** What alerts read of performance: an endpoint's windows. */
export interface PerformanceSignals {
  series(
    projectId: string,
    endpoint: string,
    options: SeriesOptions,
  ): Promise<{ series: PerformanceWindow[] }>;
}

/** Told once per alert, after the alert is committed (the pipelines module starts a run). */
export type AlertOpenedListener = (alert: {
  id: string;
  projectId: string;
  ruleId: string;
  ruleName: string;
  endpoint: string;
  dedupKey: string;
  openedAt: string;
}) => Promise<void> | void;
