import { setQuery, useLocation } from '../router.js';

const HOUR = 3_600_000;

/** The periods an endpoint's charts can show, and the window the performance figures use for each. */
export const RANGES = {
  '24h': { ms: 24 * HOUR, window: '1h', label: 'Last day' },
  '7d': { ms: 7 * 24 * HOUR, window: '1h', label: 'Last week' },
  '30d': { ms: 30 * 24 * HOUR, window: '6h', label: 'Last 30 days' },
  '1y': { ms: 365 * 24 * HOUR, window: '1d', label: 'Last year' },
} as const;
export type RangeKey = keyof typeof RANGES;

export interface Period {
  key: RangeKey;
  from: string;
  to: string;
  window: string;
}

/**
 * The period ends at the endpoint's latest prediction (rounded up to the hour), not at the
 * clock: replayed or paused traffic still shows.
 */
export function periodOf(key: RangeKey, latest: string | null): Period {
  const end = Math.ceil((latest ? Date.parse(latest) : Date.now()) / HOUR) * HOUR + HOUR;
  const range = RANGES[key];
  return {
    key,
    from: new Date(end - range.ms).toISOString(),
    to: new Date(end).toISOString(),
    window: range.window,
  };
}

export function useRangeKey(): RangeKey {
  const value = useLocation().query.get('range');
  return value && value in RANGES ? (value as RangeKey) : '7d';
}

export function RangePicker({ value }: { value: RangeKey }) {
  return (
    <select aria-label="period" value={value} onChange={(e) => setQuery('range', e.target.value)}>
      {Object.entries(RANGES).map(([key, r]) => (
        <option key={key} value={key}>
          {r.label}
        </option>
      ))}
    </select>
  );
}
