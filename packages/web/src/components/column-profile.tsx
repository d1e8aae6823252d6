import type { ColumnSummary } from '@plumb/sdk';
import { formatNumber } from './ui.js';

const QUANTILES: [string, number][] = [
  ['p01', 0.01],
  ['p05', 0.05],
  ['p10', 0.1],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
];

interface Summary {
  kind?: string;
  count?: number;
  nulls?: number;
  nullFraction?: number | null;
  mean?: number | null;
  std?: number | null;
  min?: number | string | null;
  max?: number | string | null;
  quantiles?: Record<string, number | string> | null;
  topItems?: { value: unknown; estimate: number }[];
}

const W = 260;

/** Times are profiled as epoch milliseconds; people read them as dates. */
function formatterFor(type: string): (value: number) => string {
  if (/^(DATE|TIMESTAMP)/.test(type)) {
    return (value) =>
      new Date(value)
        .toISOString()
        .slice(0, type === 'DATE' ? 10 : 16)
        .replace('T', ' ');
  }
  return (value) => formatNumber(value);
}
const H = 90;

/**
 * The sketch's quantiles drawn as a histogram: each bar spans two neighbouring quantiles and
 * its area is the share of rows between them, so tall bars are where values crowd.
 */
function QuantileHistogram({ summary, format }: { summary: Summary; format(value: number): string }) {
  const q = summary.quantiles;
  const lo = summary.min;
  const hi = summary.max;
  if (!q || typeof lo !== 'number' || typeof hi !== 'number' || hi <= lo) return null;
  const points: [number, number][] = [[lo, 0]];
  for (const [key, p] of QUANTILES) {
    const v = q[key];
    if (typeof v === 'number') points.push([v, p]);
  }
  points.push([hi, 1]);
  const bars: { x0: number; x1: number; density: number }[] = [];
  for (let i = 1; i < points.length; i++) {
    const [x0, p0] = points[i - 1]!;
    const [x1, p1] = points[i]!;
    if (x1 > x0) bars.push({ x0, x1, density: (p1 - p0) / (x1 - x0) });
  }
  const top = Math.max(...bars.map((b) => b.density));
  const sx = (x: number) => ((x - lo) / (hi - lo)) * W;
  return (
    <svg className="histogram" viewBox={`0 0 ${W} ${H + 14}`} role="img" aria-label="distribution">
      {bars.map((b) => (
        <rect
          key={`${b.x0}-${b.x1}`}
          x={sx(b.x0)}
          width={Math.max(sx(b.x1) - sx(b.x0) - 0.5, 0.5)}
          y={H - (b.density / top) * H}
          height={(b.density / top) * H}
        />
      ))}
      <text x={0} y={H + 12}>
        {format(lo)}
      </text>
      <text x={W} y={H + 12} textAnchor="end">
        {format(hi)}
      </text>
    </svg>
  );
}

function TopValues({ summary }: { summary: Summary }) {
  const items = summary.topItems ?? [];
  const total = summary.count ?? 0;
  if (items.length === 0 || total === 0) return null;
  // Bars against the most frequent value, so a column of hundreds of values still shows its shape;
  // the share of all rows is in the figure beside each bar.
  const most = Math.max(...items.map((i) => i.estimate), 1);
  return (
    <ul className="top-values">
      {items.slice(0, 6).map((item) => (
        <li key={String(item.value)}>
          <span className="top-label" title={String(item.value)}>
            {String(item.value)}
          </span>
          <span className="top-bar">
            <span style={{ width: `${(item.estimate / most) * 100}%` }} />
          </span>
          <span className="top-count" title={`${formatNumber((item.estimate / total) * 100, 1)}% of rows`}>
            {item.estimate.toLocaleString()}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function ColumnProfileCard({
  name,
  type,
  summary,
}: {
  name: string;
  type: string;
  summary: ColumnSummary;
}) {
  const s = summary as Summary;
  const nullShare = s.nullFraction ?? null;
  const format = formatterFor(type);
  const temporal = /^(DATE|TIMESTAMP)/.test(type);
  return (
    <div className="profile-card" data-testid={`profile-${name}`}>
      <div className="profile-head">
        <strong>{name}</strong>
        <span className="muted small">{type}</span>
      </div>
      <div className="profile-stats small">
        <span>
          nulls {formatNumber(s.nulls ?? 0)}
          {nullShare !== null ? ` (${(nullShare * 100).toFixed(1)}%)` : ''}
        </span>
        <span>
          distinct {summary.distinctExact === false ? '≈' : ''}
          {formatNumber(summary.distinct ?? null)}
        </span>
        {typeof s.min === 'number' && typeof s.max === 'number' && temporal ? (
          <span>
            {format(s.min)} to {format(s.max)}
          </span>
        ) : null}
        {s.mean !== null && s.mean !== undefined && !temporal ? (
          <span>mean {formatNumber(s.mean)}</span>
        ) : null}
        {s.std !== null && s.std !== undefined && !temporal ? <span>std {formatNumber(s.std)}</span> : null}
      </div>
      <QuantileHistogram summary={s} format={format} />
      <TopValues summary={s} />
    </div>
  );
}
