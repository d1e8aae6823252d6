import type { EvalRun } from '@plumb/sdk';

export interface ReportRow {
  slice: string;
  rows: number;
  metric: string;
  candidate: number | null;
  baseline: number | null;
  /** Candidate minus baseline. */
  delta: number | null;
  /** From the gate's checks on this slice and metric: fail if any failed, pass if any passed. */
  gate: 'pass' | 'fail' | null;
  note: string | null;
}

/** One row per slice and metric, the table `plumb eval report` and the HTML report show. */
export function reportRows(run: EvalRun): ReportRow[] {
  const result = run.result;
  if (!result) return [];
  const checks = run.decision?.checks ?? [];
  return result.slices.flatMap((slice) =>
    result.metrics.map((metric): ReportRow => {
      const candidate = slice.candidate[metric] ?? null;
      const baseline = slice.baseline?.[metric] ?? null;
      const mine = checks.filter((c) => c.slice === slice.name && c.metric === metric && c.status !== 'skip');
      return {
        slice: slice.name,
        rows: slice.rows,
        metric,
        candidate,
        baseline,
        delta: candidate !== null && baseline !== null ? candidate - baseline : null,
        gate: mine.some((c) => c.status === 'fail') ? 'fail' : mine.length > 0 ? 'pass' : null,
        note: slice.notes[metric] ?? null,
      };
    }),
  );
}

/** Four decimals for metrics; deltas carry their sign. */
export function formatValue(x: number | null, signed = false): string {
  if (x === null) return '-';
  const text = x.toFixed(4);
  return signed && x >= 0 ? `+${text}` : text;
}
