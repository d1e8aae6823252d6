import type { RunMetricPoint, RunParamValue, RunSummary } from '@plumb/sdk';
import type { RunLatestMetricsTable, RunMetricsTable, RunsTable, RunTagsTable } from './runs.tables.js';

// Conversions between stored rows and the wire shapes of runs.

export function toSummary(row: RunsTable, tags: RunTagsTable[]): RunSummary {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    status: row.status,
    codeVersion: row.code_version,
    params: JSON.parse(row.params) as Record<string, RunParamValue>,
    tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
    createdAt: row.created_at,
    createdBy: row.created_by,
    finishedAt: row.finished_at,
  };
}

export function toPoint(row: { key: string; value: number; step: number; time: number }): RunMetricPoint {
  return { key: row.key, value: row.value, step: row.step, time: new Date(row.time).toISOString() };
}

export function timeOf(time: number | string | undefined, now: number): number {
  if (time === undefined) return now;
  return typeof time === 'number' ? time : Date.parse(time);
}

/** Per key, the point that wins by (step, time, seq): the same order the SQL upsert applies. */
export function latestPerKey(rows: RunMetricsTable[]): RunLatestMetricsTable[] {
  const latest = new Map<string, RunMetricsTable>();
  for (const row of rows) {
    const best = latest.get(row.key);
    if (!best || row.step > best.step || (row.step === best.step && row.time >= best.time)) {
      latest.set(row.key, row);
    }
  }
  return [...latest.values()].map((r) => ({
    run_id: r.run_id,
    key: r.key,
    step: r.step,
    value: r.value,
    time: r.time,
    seq: r.seq,
  }));
}

/** `key=value` matches that value; a bare `key` matches any run with the tag. */
export function parseTagFilter(tag: string): { key: string; value?: string } {
  const eq = tag.indexOf('=');
  return eq < 0 ? { key: tag } : { key: tag.slice(0, eq), value: tag.slice(eq + 1) };
}

export const isStepSeq = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((n) => Number.isSafeInteger(n));

export function groupByRun<R extends { run_id: string }>(rows: R[]): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const row of rows) {
    const list = out.get(row.run_id);
    if (list) list.push(row);
    else out.set(row.run_id, [row]);
  }
  return out;
}
