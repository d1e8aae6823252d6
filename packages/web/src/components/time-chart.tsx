import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Drawn dashed, e.g. a band's min and max around the last value. */
  dash?: boolean;
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/**
 * A time series chart. `times` are Unix seconds; a threshold, when given, is drawn as a red
 * horizontal line. uPlot draws hundreds of thousands of points at once, so a year of hourly
 * buckets needs no thinning here.
 */
export function TimeChart({
  times,
  series,
  threshold,
  height = 220,
  testId,
}: {
  times: number[];
  series: ChartSeries[];
  threshold?: number | null;
  height?: number;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const lines: uPlot.Series[] = series.map((s) => {
      // Isolated values between gaps draw no line; sparse series show their points instead.
      const sparse = s.values.filter((v) => v !== null).length < 60;
      return {
        label: s.label,
        stroke: s.color,
        width: 1.5,
        spanGaps: false,
        points: { show: sparse, size: 5, fill: s.color },
        ...(s.dash ? { dash: [4, 4] } : {}),
      };
    });
    const data: uPlot.AlignedData = [times, ...series.map((s) => s.values)];
    if (threshold !== undefined && threshold !== null) {
      lines.push({ label: 'threshold', stroke: '#dc2626', width: 1, dash: [6, 4], points: { show: false } });
      data.push(times.map(() => threshold));
    }
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 300),
        height,
        series: [{}, ...lines],
        axes: [{ stroke: '#64748b' }, { stroke: '#64748b', size: 56 }],
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 300), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [times, series, threshold, height]);
  return <div className="chart" ref={box} data-testid={testId} />;
}
