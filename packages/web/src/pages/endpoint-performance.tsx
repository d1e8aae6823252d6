import type { Endpoint, EndpointPerformance, PerformanceWindow } from '@plumb/sdk';
import { useMemo } from 'react';
import { useLoad } from '../api.js';
import { type ChartSeries, seriesColor, TimeChart } from '../components/time-chart.js';
import { Async, Empty, Section } from '../components/ui.js';
import type { Period } from './endpoint-range.js';

type Pick = (w: PerformanceWindow) => number | null;

/**
 * The server's figures per window and model version, one line per version and figure: nothing
 * is summed or averaged here.
 */
function pivot(perf: EndpointPerformance, figures: { label: string; pick: Pick }[]) {
  const starts = [...new Set(perf.series.map((w) => w.windowStart))].sort();
  const index = new Map(starts.map((s, i) => [s, i]));
  const versions = [...new Set(perf.series.map((w) => w.modelVersion ?? 'default response'))].sort();
  const lines: ChartSeries[] = [];
  for (const figure of figures) {
    for (const version of versions) {
      const values: (number | null)[] = starts.map(() => null);
      for (const w of perf.series) {
        if ((w.modelVersion ?? 'default response') !== version) continue;
        values[index.get(w.windowStart)!] = figure.pick(w);
      }
      if (values.some((v) => v !== null)) {
        const label = figures.length > 1 ? `${figure.label} ${version}` : version;
        lines.push({ label, values, color: seriesColor(lines.length) });
      }
    }
  }
  return { times: starts.map((s) => Date.parse(s) / 1000), lines };
}

function Chart({
  perf,
  title,
  figures,
}: {
  perf: EndpointPerformance;
  title: string;
  figures: { label: string; pick: Pick }[];
}) {
  const { times, lines } = useMemo(() => pivot(perf, figures), [perf, figures]);
  return (
    <div className="chart-cell">
      <h3>{title}</h3>
      {lines.length === 0 ? (
        <p className="muted small">No values in this period.</p>
      ) : (
        <TimeChart times={times} series={lines} height={180} testId={`chart-${title}`} />
      )}
    </div>
  );
}

const TRAFFIC: Record<string, { label: string; pick: Pick }[]> = {
  Requests: [{ label: 'predictions', pick: (w) => w.traffic?.predictions ?? null }],
  'Latency (ms)': [
    { label: 'p50', pick: (w) => w.traffic?.latencyP50Ms ?? null },
    { label: 'p95', pick: (w) => w.traffic?.latencyP95Ms ?? null },
    { label: 'p99', pick: (w) => w.traffic?.latencyP99Ms ?? null },
  ],
  'Errors and fallbacks': [
    { label: 'errors', pick: (w) => w.traffic?.errorRate ?? null },
    { label: 'fallbacks', pick: (w) => w.traffic?.fallbackRate ?? null },
  ],
  'Cost (USD)': [{ label: 'cost', pick: (w) => w.traffic?.costUsd ?? null }],
};

const QUALITY: Record<string, { label: string; pick: Pick }[]> = {
  'Accuracy: realised and estimated': [
    { label: 'realised', pick: (w) => w.realised.accuracy },
    { label: 'estimated', pick: (w) => w.estimated?.accuracy ?? null },
  ],
  'F1: realised and estimated': [
    { label: 'realised', pick: (w) => w.realised.f1 },
    { label: 'estimated', pick: (w) => w.estimated?.f1 ?? null },
  ],
};

export function PerformanceSection({ endpoint, period }: { endpoint: Endpoint; period: Period }) {
  const perf = useLoad(
    (c) => c.performance.endpoint(endpoint.name, { from: period.from, to: period.to, window: period.window }),
    [endpoint.name, period.from, period.to, period.window],
  );
  return (
    <Async state={perf}>
      {(p) =>
        p.series.length === 0 ? (
          <Section title="Traffic and performance">
            <Empty command={`plumb predict ${endpoint.name} --input '{"feature": 1}'`}>
              No predictions in this period.
            </Empty>
          </Section>
        ) : (
          <>
            <Section title={`Traffic (${p.window} windows)`}>
              <div className="chart-grid">
                {Object.entries(TRAFFIC).map(([title, figures]) => (
                  <Chart key={title} perf={p} title={title} figures={figures} />
                ))}
              </div>
            </Section>
            <Section title="Performance">
              <p className="muted small">
                Realised from ground truth as it arrives; estimated from the model's calibrated confidence
                before it does
                {p.calibration.length
                  ? ` (calibrated on ${p.calibration.map((c) => `${c.labelled.toLocaleString()} labels of ${c.modelVersion ?? 'the default'}`).join(', ')})`
                  : ''}
                .
              </p>
              <div className="chart-grid">
                {Object.entries(QUALITY).map(([title, figures]) => (
                  <Chart key={title} perf={p} title={title} figures={figures} />
                ))}
              </div>
            </Section>
          </>
        )
      }
    </Async>
  );
}
