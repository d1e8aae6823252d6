import type { Coverage, DriftReport, DriftSeries, MonitorStatus, VersionSkew } from '@plumb/sdk';
import { PlumbError } from '../../core/errors.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { quoteIdent } from '../../storage/analytics/sql-text.js';
import { tableSql } from '../datasets/dataset-source.js';
import { type DriftSummary, driftOf, type FeatureDrift } from './monitor-drift.js';
import type { MonitoringPorts, MonitorsService } from './monitors.service.js';
import { BASE_WINDOW_MS } from './profile-writer.js';
import { DRIFT_CODE, decodeSeries, type EncodedFeature, INDETERMINATE_CODE } from './result-codec.js';

const DAY_MS = 86_400_000;

type Summary = { min: number | null; max: number | null; last: number | null };

/** What monitors show: drift reports, bucketed series, status with skew, coverage gaps. */
export class MonitorViews {
  constructor(
    private readonly monitors: MonitorsService,
    private readonly engine: AnalyticsEngine,
    private readonly ports: MonitoringPorts,
    private readonly now: () => number,
  ) {}

  async drift(
    projectId: string,
    id: string,
    q: { from: string; to: string; version?: string | undefined; mode: 'profile' | 'exact' },
  ): Promise<DriftReport> {
    const { from, to } = range(q.from, q.to);
    const d = await this.monitors.drift(projectId, id, {
      from,
      to,
      modelVersion: q.version,
      exact: q.mode === 'exact',
    });
    return report(d.monitor.id, d.monitor.endpoint, d.monitor.reference, from, to, q.mode, d.windows, d);
  }

  /**
   * Closed windows grouped into at most `buckets` buckets of whole windows; per bucket the
   * minimum, maximum and last value of each feature's statistic and of the drifted share, so a
   * year of hourly windows draws from a few hundred points.
   */
  async series(
    projectId: string,
    id: string,
    q: { from: string; to: string; buckets: number },
  ): Promise<DriftSeries> {
    const { from, to } = range(q.from, q.to);
    const monitor = await this.monitors.require(projectId, id);
    const w = monitor.row.window_ms;
    const windows = Math.max(1, Math.ceil((to - from) / w));
    const bucketMs = Math.ceil(windows / q.buckets) * w;
    const results = await this.monitors.seriesResults(projectId, id, from, to);
    const names = monitor.model.tests.map((t) => t.feature);
    const start = Math.floor(from / w) * w;
    const buckets = new Map<number, DriftSeries['buckets'][number]>();
    const entry = (bucket: DriftSeries['buckets'][number], feature: string) => {
      bucket.features[feature] ??= { min: null, max: null, last: null, drifted: 0, indeterminate: 0 };
      return bucket.features[feature]!;
    };
    for (const r of results) {
      const b = start + Math.floor((r.window_start - start) / bucketMs) * bucketMs;
      let bucket = buckets.get(b);
      if (!bucket) {
        bucket = {
          start: new Date(b).toISOString(),
          windows: 0,
          shareDrifted: { min: null, max: null, last: null },
          datasetDrifted: 0,
          features: {},
        };
        buckets.set(b, bucket);
      }
      bucket.windows++;
      fold(bucket.shareDrifted, r.share_drifted);
      if (r.dataset_drifted === 1) bucket.datasetDrifted++;
      if (r.series) {
        const t = decodeSeries(r.series);
        for (let i = 0; i < t.length; i += 3) {
          const e = entry(bucket, names[t[i]!]!);
          fold(e, t[i + 1]!);
          if (t[i + 2] === DRIFT_CODE) e.drifted++;
          else if (t[i + 2] === INDETERMINATE_CODE) e.indeterminate++;
        }
        continue;
      }
      // Windows stored before their series existed.
      for (const f of JSON.parse(r.features ?? '[]') as EncodedFeature[]) {
        const e = entry(bucket, f[0]);
        fold(e, f[2] ?? Number.POSITIVE_INFINITY);
        if (f[4] === DRIFT_CODE) e.drifted++;
        else if (f[4] === INDETERMINATE_CODE) e.indeterminate++;
      }
    }
    return { monitorId: id, windowMs: w, bucketMs, buckets: [...buckets.values()] };
  }

  /** Each monitor of an endpoint over a range (default the last day), with its versions' skew. */
  async status(
    projectId: string,
    endpoint: string,
    q: { from?: string | undefined; to?: string | undefined },
  ) {
    const to = q.to === undefined ? this.now() : Date.parse(q.to);
    const from = q.from === undefined ? to - DAY_MS : Date.parse(q.from);
    if (!(to > from)) throw new PlumbError('invalid_argument', 'to must be after from');
    const monitors = await this.monitors.listMonitors(projectId, endpoint);
    const out: MonitorStatus['monitors'] = [];
    for (const m of monitors) {
      const d = await this.monitors.drift(projectId, m.id, { from, to });
      out.push({
        ...report(m.id, m.endpoint, m.reference, from, to, 'profile', d.windows, d),
        skew: await this.skew(projectId, m.id),
      });
    }
    const windowMs = trendWindow(
      monitors.length === 0 ? HOUR_MS : Math.min(...monitors.map((m) => m.windowMs)),
      to - from,
    );
    const [performance, alerts] = await Promise.all([
      this.ports.performance(projectId, endpoint, { fromMs: from, toMs: to, windowMs }),
      this.ports.openAlerts(projectId, endpoint),
    ]);
    return {
      endpoint,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      monitors: out,
      performance: { window: windowText(windowMs), ...performance },
      alerts,
    };
  }

  /**
   * Training–serving skew: each model version's first monitor window on the endpoint against
   * the reference (the training data); a feature failing there was different from the start.
   */
  async skew(projectId: string, id: string): Promise<VersionSkew[]> {
    const l = await this.monitors.require(projectId, id);
    const key = { projectId, endpoint: l.row.endpoint };
    const firsts = await this.monitors.profiles.firstWindows(key, BASE_WINDOW_MS);
    const out: VersionSkew[] = [];
    for (const [modelVersion, first] of firsts) {
      if (modelVersion === '') continue;
      const start = Math.floor(first / l.row.window_ms) * l.row.window_ms;
      const { features } = await this.monitors.store.merged(
        key,
        { from: start, to: start + l.row.window_ms, modelVersion },
        this.monitors.specsOf(key),
      );
      const d = driftOf(l.model, features);
      out.push({
        modelVersion,
        windowStart: new Date(start).toISOString(),
        skewed: d.features.filter((f) => f.drifted).map((f) => f.feature),
        features: d.features.map(wire),
      });
    }
    return out;
  }

  /**
   * Each value of a field: its share of production traffic (from the merged profiles' frequent
   * items, exact while the field has few values) next to its share of the training data and of
   * the evaluation data of the version in service (counted by DuckDB), largest training gap first.
   */
  async coverage(
    projectId: string,
    endpoint: string,
    q: { field: string; from?: string | undefined; to?: string | undefined },
  ): Promise<Coverage> {
    const to = q.to === undefined ? this.now() : Date.parse(q.to);
    const from = q.from === undefined ? 0 : Date.parse(q.from);
    const served = await this.ports.servedVersion(projectId, endpoint);
    if (served.datasetVersionIds.length === 0)
      throw new PlumbError('failed_precondition', `${served.ref} records no training data`);
    const training = await this.valueCounts(projectId, served.datasetVersionIds, q.field);
    const evaluation = await this.valueCounts(
      projectId,
      await this.ports.evaluationData(projectId, served.id),
      q.field,
    );
    const values = await this.monitors.productionValues(projectId, endpoint, q.field, from, to);
    const production = new Map(values.values.map(([value, n]) => [String(value), { value, n }]));
    const productionTotal = values.total;
    const keys = new Set([...production.keys(), ...training.counts.keys(), ...evaluation.counts.keys()]);
    const share = (c: ValueCounts, k: string) => (c.total === 0 ? 0 : (c.counts.get(k) ?? 0) / c.total);
    const rows = [...keys].map((k) => {
      const p = production.get(k);
      const productionShare = productionTotal === 0 ? 0 : (p?.n ?? 0) / productionTotal;
      const trainingShare = share(training, k);
      const evaluationShare = evaluation.total === 0 ? null : share(evaluation, k);
      return {
        value: p?.value ?? k,
        productionShare,
        trainingShare,
        evaluationShare,
        gap: productionShare - trainingShare,
        evaluationGap: evaluationShare === null ? null : productionShare - evaluationShare,
        unseenInTraining: (p?.n ?? 0) > 0 && !training.counts.has(k),
      };
    });
    rows.sort((a, b) => Math.abs(b.gap) - Math.abs(a.gap));
    return {
      endpoint,
      field: q.field,
      training: training.refs,
      evaluation: evaluation.refs,
      productionCount: productionTotal,
      rows,
    };
  }

  /** Rows per value of a field over dataset versions (those without the field count none). */
  private async valueCounts(projectId: string, versionIds: string[], field: string): Promise<ValueCounts> {
    const out: ValueCounts = { refs: [], counts: new Map(), total: 0 };
    for (const versionId of versionIds) {
      const ds = await this.ports.dataset(projectId, versionId);
      out.refs.push(ds.ref);
      if (!ds.columns.some((c) => c.name === field)) continue;
      const c = quoteIdent(field);
      const rows = await this.engine.query(
        `SELECT CAST(${c} AS VARCHAR) AS v, count(*) AS n FROM ${tableSql(ds.source)} WHERE ${c} IS NOT NULL GROUP BY 1`,
      );
      for (const r of rows) {
        out.counts.set(String(r.v), (out.counts.get(String(r.v)) ?? 0) + Number(r.n));
        out.total += Number(r.n);
      }
    }
    return out;
  }
}

interface ValueCounts {
  refs: string[];
  counts: Map<string, number>;
  total: number;
}

/** Windows a status's performance trend holds at most, so it reads at a glance. */
const TREND_WINDOWS = 48;
const HOUR_MS = 3_600_000;
const TREND_STEPS = [1, 2, 3, 6, 12, 24, 48, 168, 336, 720].map((h) => h * HOUR_MS);

/**
 * The trend's window: the monitors' own (an hour without a monitor), else the first longer
 * step that keeps a range within TREND_WINDOWS windows, else whole days.
 */
export function trendWindow(monitorWindowMs: number, rangeMs: number): number {
  const fits = (w: number) => Math.ceil(rangeMs / w) + 1 <= TREND_WINDOWS;
  if (fits(monitorWindowMs)) return monitorWindowMs;
  const step = TREND_STEPS.find((w) => w > monitorWindowMs && w % HOUR_MS === 0 && fits(w));
  return step ?? Math.ceil(rangeMs / (TREND_WINDOWS - 1) / DAY_MS) * DAY_MS;
}

function windowText(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : `${ms / HOUR_MS}h`;
}

function range(fromText: string, toText: string): { from: number; to: number } {
  const from = Date.parse(fromText);
  const to = Date.parse(toText);
  if (!(to > from))
    throw new PlumbError('invalid_argument', `to (${toText}) must be after from (${fromText})`);
  return { from, to };
}

function fold(s: Summary, x: number): void {
  const v = Number.isFinite(x) ? x : null;
  if (v !== null) {
    s.min = s.min === null ? v : Math.min(s.min, v);
    s.max = s.max === null ? v : Math.max(s.max, v);
  }
  s.last = v;
}

function wire(f: FeatureDrift): DriftReport['features'][number] {
  const num = (x: number) => (Number.isFinite(x) ? x : null);
  return { ...f, statistic: num(f.statistic), low: num(f.low), high: num(f.high) };
}

function report(
  id: string,
  endpoint: string,
  reference: string,
  from: number,
  to: number,
  mode: 'profile' | 'exact',
  windows: number,
  d: DriftSummary,
): DriftReport {
  return {
    monitorId: id,
    endpoint,
    reference,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    mode,
    windows,
    features: d.features.map(wire),
    shareDrifted: d.shareDrifted,
    datasetDrifted: d.datasetDrifted,
  };
}
