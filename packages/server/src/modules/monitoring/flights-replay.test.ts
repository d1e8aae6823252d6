import { DuckDBInstance } from '@duckdb/node-api';
import type { DriftReport, Monitor } from '@plumb/sdk';
import { jensenShannon, wasserstein } from '@plumb/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vegaData } from '../../testing/data.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

/**
 * flights-3m (January to June 2001) replayed in time order through the inference log: January
 * and February as the reference dataset, March to June as an endpoint's traffic, and a second
 * endpoint replaying other flights of January and February as the control. Deterministic
 * samples (DuckDB's hash of each row) keep it to seconds.
 */
const FEATURES = ['hour', 'weekday', 'delay', 'distance', 'origin', 'destination'] as const;
type Row = { time: number } & Record<(typeof FEATURES)[number], number | string>;

async function sample(where: string, limit: number): Promise<Row[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const result = await c.runAndReadAll(`
    SELECT CAST(epoch_ms(date) AS DOUBLE) AS time, CAST(hour(date) AS DOUBLE) AS hour,
           CAST(dayofweek(date) AS DOUBLE) AS weekday, CAST(delay AS DOUBLE) AS delay,
           CAST(distance AS DOUBLE) AS distance, origin, destination
    FROM read_parquet('${vegaData('flights-3m.parquet')}')
    WHERE ${where}
    ORDER BY hash(date, origin, destination, delay, distance) LIMIT ${limit}`);
  const rows = result.getRowObjects() as unknown as Row[];
  c.closeSync();
  return rows.sort((a, b) => a.time - b.time);
}

const REFERENCE = 'month(date) <= 2 AND hash(date, origin, destination, delay) % 2 = 0';
const CONTROL = 'month(date) <= 2 AND hash(date, origin, destination, delay) % 2 = 1';
const MONTHS = [3, 4, 5, 6];
const PER_MONTH = 10_000;

let t: TestPlumb;
let reference: Row[];
const traffic = new Map<number, Row[]>();

/** Through the inference log's ingest path, as the events route and serving record them. */
async function replay(endpoint: string, rows: Row[]) {
  const projectId = t.adminCtx.principal.projectId;
  for (let i = 0; i < rows.length; i += 5_000) {
    await t.plumb.services.events.record(
      rows.slice(i, i + 5_000).map((r) => ({
        projectId,
        time: new Date(r.time).toISOString(),
        endpoint,
        modelVersion: 'delays@v1',
        modelVersionId: null,
        arm: 'primary' as const,
        inputs: Object.fromEntries(FEATURES.map((f) => [f, r[f]])),
        outputs: null,
        latencyMs: null,
      })),
    );
  }
}

async function monitor(endpoint: string, window: string): Promise<Monitor> {
  const res = await t.call('POST', '/api/v1/monitors', {
    body: { endpoint, reference: 'flights@v1', window, features: [...FEATURES] },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function drift(id: string, from: string, to: string): Promise<DriftReport> {
  const res = await t.call('GET', `/api/v1/monitors/${id}/drift?from=${from}&to=${to}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** The exact statistic of the raw rows, as the monitor's test defines it. */
function exact(test: string, feature: (typeof FEATURES)[number], cur: Row[]): number {
  if (test === 'wasserstein') {
    const ref = reference.map((r) => r[feature] as number);
    const mean = ref.reduce((a, b) => a + b, 0) / ref.length;
    const std = Math.sqrt(ref.reduce((a, b) => a + (b - mean) ** 2, 0) / ref.length);
    return (
      wasserstein(
        ref,
        cur.map((r) => r[feature] as number),
      ) / Math.max(std, 0.001)
    );
  }
  const keys = [...new Set([...reference, ...cur].map((r) => String(r[feature])))];
  const counts = (rows: Row[]) => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(String(r[feature]), (m.get(String(r[feature])) ?? 0) + 1);
    return keys.map((k) => m.get(k) ?? 0);
  };
  return jensenShannon(counts(reference), counts(cur), { base: Math.E });
}

function monthRange(m: number): [string, string] {
  return [new Date(Date.UTC(2001, m - 1, 1)).toISOString(), new Date(Date.UTC(2001, m, 1)).toISOString()];
}

beforeAll(async () => {
  t = await createTestPlumb();
  reference = await sample(REFERENCE, 20_000);
  for (const m of MONTHS) traffic.set(m, await sample(`month(date) = ${m}`, PER_MONTH));
  const csv = [FEATURES.join(','), ...reference.map((r) => FEATURES.map((f) => r[f]).join(','))].join('\n');
  const blob = await t.call('POST', '/api/v1/blobs', {
    body: Buffer.from(`${csv}\n`),
    headers: { 'content-type': 'application/octet-stream' },
  });
  const added = await t.call('POST', '/api/v1/datasets/flights/versions', {
    body: {
      files: [{ path: 'flights-jan-feb.csv', ref: blob.json().ref }],
      message: 'January and February 2001',
    },
  });
  expect(added.statusCode, added.body).toBe(201);
}, 120_000);
afterAll(() => t?.dispose());

describe('replaying flights-3m through the inference log', () => {
  it('finds the delay drift of May, agrees with the exact statistics where it decides, and its control raises nothing', async () => {
    const traffickedMonitor = await monitor('flights', '1w');
    // 30-day windows: in a week of this sample an airport appears a few times, and two samples
    // of 220 airports that small differ by a Jensen–Shannon distance near 0.1 by chance alone.
    const controlMonitor = await monitor('flights-control', '30d');
    // Evidently's defaults for a reference above 1,000 rows.
    expect(traffickedMonitor.features.map((f) => [f.feature, f.test])).toEqual([
      ['hour', 'wasserstein'],
      ['weekday', 'wasserstein'],
      ['delay', 'wasserstein'],
      ['distance', 'wasserstein'],
      ['origin', 'jensenshannon'],
      ['destination', 'jensenshannon'],
    ]);
    for (const m of MONTHS) await replay('flights', traffic.get(m)!);
    await replay('flights-control', await sample(CONTROL, 20_000));
    await t.plumb.services.profileWriter.flush();

    const verdicts: Record<string, string> = {};
    for (const m of MONTHS) {
      const [from, to] = monthRange(m);
      const report = await drift(traffickedMonitor.id, from, to);
      for (const f of report.features) {
        const e = exact(f.test, f.feature as (typeof FEATURES)[number], traffic.get(m)!);
        verdicts[`${m}:${f.feature}`] = `${f.verdict} (${f.statistic?.toFixed(3)}, exact ${e.toFixed(3)})`;
        // The exact statistic lies within the bounds the estimate states...
        expect(e, `${m} ${f.feature}`).toBeGreaterThanOrEqual(f.low! - 1e-9);
        expect(e, `${m} ${f.feature}`).toBeLessThanOrEqual(f.high! + 1e-9);
        // ...so a decided verdict is the exact one.
        if (f.verdict !== 'indeterminate') expect(f.drifted, `${m} ${f.feature}`).toBe(e >= f.threshold);
      }
    }
    expect(verdicts['5:delay']).toMatch(/^drift/);

    const control = await drift(controlMonitor.id, '2001-01-01T00:00:00Z', '2001-03-01T00:00:00Z');
    expect(control.features).toHaveLength(FEATURES.length);
    expect(control.features.filter((f) => f.verdict === 'drift')).toEqual([]);
    expect(control.datasetDrifted).toBe(false);
    const windows = await t.plumb.services.monitors.windowSignals(
      t.adminCtx.principal.projectId,
      controlMonitor.id,
      Date.UTC(2001, 0, 1),
      Date.UTC(2001, 2, 1),
    );
    expect(windows.length).toBe(3);
    expect(windows.filter((w) => w.datasetDrifted)).toEqual([]);
  }, 120_000);
});
