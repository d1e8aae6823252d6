import type { DriftSeries, Endpoint, Monitor } from '@plumb/sdk';
import { useMemo, useState } from 'react';
import { useLoad } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { type ChartSeries, seriesColor, TimeChart } from '../components/time-chart.js';
import { Async, Empty, formatNumber, Section, StatusBadge } from '../components/ui.js';
import type { Period } from './endpoint-range.js';

/** Buckets asked of the server per chart: about one per pixel column of a wide chart. */
const BUCKETS = 1000;
const P_VALUE_TESTS = new Set(['ks', 'chisquare', 'z']);

/** The comparison that makes a feature drift, as the server judges it (KS by p ≤, Evidently's). */
function driftsWhen(test: string): string {
  if (test === 'ks') return 'p ≤';
  return P_VALUE_TESTS.has(test) ? 'p <' : '≥';
}

/** Each monitor of the endpoint: current verdicts per feature, and drift over the period. */
export function DriftSection({ endpoint, period }: { endpoint: Endpoint; period: Period }) {
  const monitors = useLoad((c) => c.monitors.list({ endpoint: endpoint.name }), [endpoint.name]);
  return (
    <Async state={monitors}>
      {(list) =>
        list.items.length === 0 ? (
          <Section title="Drift">
            <Empty command={`plumb monitor create ${endpoint.name} --reference <dataset>@v1`}>
              No monitor watches this endpoint's inputs. Create one against the training data:
            </Empty>
          </Section>
        ) : (
          list.items.map((m) => <MonitorView key={m.id} monitor={m} period={period} />)
        )
      }
    </Async>
  );
}

/**
 * The verdict table merges the windows of at most this span at the end of the period: merging a
 * year of hourly windows takes the server seconds, so a longer period merges when asked.
 */
const VERDICT_SPAN_MS = 7 * 24 * 3_600_000;

function MonitorView({ monitor, period }: { monitor: Monitor; period: Period }) {
  const [whole, setWhole] = useState(false);
  const to = Date.parse(period.to);
  const long = to - Date.parse(period.from) > VERDICT_SPAN_MS;
  const verdictFrom = long && !whole ? new Date(to - VERDICT_SPAN_MS).toISOString() : period.from;
  const report = useLoad(
    (c) => c.monitors.drift(monitor.id, { from: verdictFrom, to: period.to }),
    [monitor.id, verdictFrom, period.to],
  );
  const series = useLoad(
    (c) => c.monitors.series(monitor.id, { from: period.from, to: period.to, buckets: BUCKETS }),
    [monitor.id, period.from, period.to],
  );
  const [feature, setFeature] = useState(monitor.features[0]?.feature ?? '');
  const span = long && !whole ? 'the last 7 days' : 'the whole period';
  return (
    <Section
      title={`Drift against ${monitor.reference}`}
      aside={
        report.loading ? (
          <span className="muted small">Merging the windows of {span}…</span>
        ) : (
          <Async state={report}>
            {(r) => (
              <span className="row-gap small">
                <StatusBadge status={r.datasetDrifted ? 'drift' : 'no_drift'} />
                {formatNumber(r.shareDrifted * 100, 0)}% of features drifted over {span}
              </span>
            )}
          </Async>
        )
      }
    >
      <div className="toolbar">
        <label className="row-gap small">
          Feature
          <select aria-label="drift feature" value={feature} onChange={(e) => setFeature(e.target.value)}>
            {monitor.features.map((f) => (
              <option key={f.feature} value={f.feature}>
                {f.feature}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Async state={series}>
        {(s) => <FeatureDriftChart series={s} monitor={monitor} feature={feature} />}
      </Async>
      <p className="muted small row-gap">
        The chart shows each window's statistic; the verdicts below merge the windows of {span}.
        {long ? (
          <button type="button" className="link-button" onClick={() => setWhole(!whole)}>
            {whole ? 'Verdicts of the last 7 days' : 'Merge the whole period'}
          </button>
        ) : null}
      </p>
      <Async state={report}>
        {(r) => (
          <DataTable
            rows={r.features}
            rowKey={(f) => f.feature}
            testId="drift-features"
            columns={[
              {
                key: 'feature',
                label: 'Feature',
                render: (f) => (
                  <button type="button" className="link-button" onClick={() => setFeature(f.feature)}>
                    {f.feature}
                  </button>
                ),
              },
              { key: 'verdict', label: 'Verdict', render: (f) => <StatusBadge status={f.verdict} /> },
              { key: 'test', label: 'Test', render: (f) => f.test },
              {
                key: 'stat',
                label: 'Statistic',
                align: 'right',
                render: (f) => (
                  <span title={`between ${formatNumber(f.low, 4)} and ${formatNumber(f.high, 4)}`}>
                    {formatNumber(f.statistic, 4)}
                  </span>
                ),
              },
              {
                key: 'threshold',
                label: 'Threshold',
                align: 'right',
                render: (f) => `${driftsWhen(f.test)} ${f.threshold}`,
              },
              { key: 'count', label: 'Values', align: 'right', render: (f) => f.count.toLocaleString() },
              {
                key: 'nulls',
                label: 'Nulls',
                align: 'right',
                render: (f) => `${formatNumber(f.nullFraction * 100, 1)}%`,
              },
            ]}
          />
        )}
      </Async>
    </Section>
  );
}

/** The feature's statistic per bucket: the last window's value, with the bucket's min and max dashed. */
function FeatureDriftChart({
  series,
  monitor,
  feature,
}: {
  series: DriftSeries;
  monitor: Monitor;
  feature: string;
}) {
  const spec = monitor.features.find((f) => f.feature === feature);
  const { times, lines } = useMemo(() => {
    const times = series.buckets.map((b) => Date.parse(b.start) / 1000);
    const pick = (k: 'last' | 'min' | 'max') => series.buckets.map((b) => b.features[feature]?.[k] ?? null);
    const lines: ChartSeries[] = [
      { label: `${feature} (${spec?.test ?? ''})`, values: pick('last'), color: seriesColor(0) },
    ];
    if (series.bucketMs > series.windowMs) {
      lines.push({ label: 'bucket min', values: pick('min'), color: '#93c5fd', dash: true });
      lines.push({ label: 'bucket max', values: pick('max'), color: '#93c5fd', dash: true });
    }
    return { times, lines };
  }, [series, feature, spec]);
  if (series.buckets.length === 0) {
    return <p className="muted">No closed windows in this period yet.</p>;
  }
  return <TimeChart times={times} series={lines} threshold={spec?.threshold ?? null} testId="drift-chart" />;
}
