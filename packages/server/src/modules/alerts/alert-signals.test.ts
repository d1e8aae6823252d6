import { describe, expect, it } from 'vitest';
import { crosses, defaultOperator, SignalReader } from './alert-signals.js';
import type { DriftSignals, DriftWindow, PerformanceSignals } from './alerts.ports.js';
import type { AlertRulesTable } from './alerts.tables.js';

const H = 3_600_000;
const drift = (start: number, age: { statistic: number; verdict: string }, share: number): DriftWindow => ({
  windowStart: start,
  windowEnd: start + H,
  shareDrifted: share,
  datasetDrifted: share >= 0.5,
  features: [
    { feature: 'age', test: 'ks', threshold: 0.05, drifted: age.verdict === 'drift', ...age },
    { feature: 'income', test: 'ks', statistic: 0.5, threshold: 0.05, drifted: false, verdict: 'no_drift' },
  ],
});

const fakeDrift: DriftSignals = {
  listMonitors: async (_p, endpoint) =>
    endpoint === 'two'
      ? [
          { id: 'mon_a', endpoint, windowMs: H },
          { id: 'mon_b', endpoint, windowMs: H },
        ]
      : endpoint === 'churn'
        ? [{ id: 'mon_1', endpoint, windowMs: 2 * H }]
        : [],
  windowSignals: async (_p, monitorId, from) =>
    monitorId === 'mon_1'
      ? [
          drift(from, { statistic: 0.01, verdict: 'drift' }, 0.5),
          drift(from + H, { statistic: 0.04, verdict: 'indeterminate' }, 0.25),
        ]
      : [],
};
const noPerformance: PerformanceSignals = { series: async () => ({ series: [] }) };

const rule = (over: Partial<AlertRulesTable>): AlertRulesTable => ({
  id: 'arl_1',
  project_id: 'prj_1',
  name: 'r',
  endpoint: 'churn',
  metric: 'feature_drift',
  feature: 'age',
  monitor_id: null,
  operator: 'gt',
  threshold: null,
  consecutive: 1,
  window: 'monitor',
  webhook_url: null,
  webhook_secret: null,
  created_at: '',
  created_by: '',
  ...over,
});

describe('SignalReader over the monitoring port', () => {
  const reader = new SignalReader(() => fakeDrift, noPerformance);

  it("follows the monitor's verdict without a threshold: indeterminate is not drift", async () => {
    const r = rule({});
    const { windowMs, monitorId } = await reader.windowOf(r);
    expect([windowMs, monitorId]).toEqual([2 * H, 'mon_1']);
    const windows = await reader.read(r, monitorId, { fromMs: 0, toMs: 10 * H, windowMs });
    expect(windows.map((w) => [w.subject, w.value, w.breached])).toEqual([
      ['age', 0.01, true],
      ['age', 0.04, false],
    ]);
  });

  it('compares the statistic with a threshold when the rule has one', async () => {
    const r = rule({ operator: 'lt', threshold: 0.05 });
    const windows = await reader.read(r, 'mon_1', { fromMs: 0, toMs: 10 * H, windowMs: H });
    expect(windows.map((w) => w.breached)).toEqual([true, true]);
  });

  it('reads the share of drifted features for the endpoint as a whole', async () => {
    const r = rule({ metric: 'share_drifted', feature: null });
    const windows = await reader.read(r, 'mon_1', { fromMs: 0, toMs: 10 * H, windowMs: H });
    expect(windows.map((w) => [w.subject, w.value, w.breached])).toEqual([
      ['', 0.5, true],
      ['', 0.25, false],
    ]);
  });

  it('needs exactly one monitor, or the one the rule names, and monitoring itself', async () => {
    await expect(reader.windowOf(rule({ endpoint: 'two' }))).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect((await reader.windowOf(rule({ endpoint: 'two', monitor_id: 'mon_b' }))).monitorId).toBe('mon_b');
    await expect(reader.windowOf(rule({ endpoint: 'none' }))).rejects.toThrow(/has no monitor/);
    await expect(new SignalReader(() => null, noPerformance).windowOf(rule({}))).rejects.toThrow(
      /not available/,
    );
  });
});

describe('conditions', () => {
  it('compare as their operator says, and accuracy-like metrics alert when low', () => {
    expect([crosses(1, 'gt', 1), crosses(1, 'gte', 1), crosses(1, 'lt', 1), crosses(1, 'lte', 1)]).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(defaultOperator('estimated_accuracy')).toBe('lt');
    expect(defaultOperator('latency_p95_ms')).toBe('gt');
  });
});
