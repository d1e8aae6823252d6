import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ColumnSchema } from '@plumb/sdk';
import { jensenShannon, ks2samp, psi, wasserstein } from '@plumb/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../../storage/analytics/duckdb-engine.js';
import { type DatasetSource, tableSql } from '../dataset-source.js';
import { checkDrift, type DriftSide } from './drift-check.js';
import type { DriftTest } from './validation-suite.js';

const DATA = fileURLToPath(new URL('../../../../../../node_modules/vega-datasets/data/', import.meta.url));
const SEATTLE = join(DATA, 'seattle-weather.csv');

let dir: string;
let engine: AnalyticsEngine;
let first: DriftSide;
let last: DriftSide;

/** The year's rows of seattle-weather, read in JavaScript, independently of DuckDB. */
function year(y: string): { temp: number[]; wind: number[]; weather: string[]; epoch: number[] } {
  const lines = readFileSync(SEATTLE, 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((l) => l.split(',')).filter((r) => r[0]!.startsWith(y));
  return {
    temp: rows.map((r) => Number(r[2])),
    wind: rows.map((r) => Number(r[4])),
    weather: rows.map((r) => r[5]!),
    epoch: rows.map((r) => Date.parse(r[0]!) / 1000),
  };
}

async function side(source: DatasetSource): Promise<DriftSide> {
  const rows = await engine.query(`DESCRIBE SELECT * FROM ${tableSql(source)}`);
  const columns: ColumnSchema[] = rows.map((r) => ({
    name: String(r.column_name),
    type: String(r.column_type),
  }));
  return { source, columns };
}

function drift(column: string, test: DriftTest, max = 1e9) {
  return { expect: 'drift' as const, column, test, max };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plumb-drift-'));
  const writer = await DuckDBInstance.create(':memory:');
  const connection = await writer.connect();
  for (const y of ['2012', '2015']) {
    await connection.run(
      `COPY (SELECT * FROM read_csv('${SEATTLE}') WHERE year(date) = ${y}) TO '${join(dir, `${y}.csv`)}' (FORMAT csv, HEADER)`,
    );
  }
  await connection.run(
    `COPY (SELECT CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN 'NaN'::DOUBLE WHEN i % 10 = 2 THEN 'inf'::DOUBLE ELSE i END AS temp_max FROM range(100) r(i)) TO '${join(dir, 'gaps.parquet')}' (FORMAT parquet)`,
  );
  await connection.run(
    `COPY (SELECT CAST(temp_max AS VARCHAR) || ' C' AS temp_max FROM read_csv('${SEATTLE}')) TO '${join(dir, 'text.csv')}' (FORMAT csv, HEADER)`,
  );
  connection.closeSync();
  writer.closeSync();
  engine = await AnalyticsEngine.open({ allowedDirectories: [DATA, dir] });
  first = await side({ format: 'csv', paths: [join(dir, '2012.csv')] });
  last = await side({ format: 'csv', paths: [join(dir, '2015.csv')] });
});

afterAll(async () => {
  engine?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('drift between the first and last year of seattle-weather', () => {
  const ref = year('2012');
  const cur = year('2015');

  it('reads the years the test expects', () => {
    expect(ref.temp).toHaveLength(366);
    expect(cur.temp).toHaveLength(365);
  });

  it('gives the stats functions’ values for numeric columns', async () => {
    const run = async (column: string, test: DriftTest) =>
      (await checkDrift(engine, drift(column, test), last, first)).observed;
    const bins = psi(ref.temp, cur.temp, { bins: 10 });
    expect(await run('temp_max', 'psi')).toEqual({
      test: 'psi',
      value: bins.value,
      max: 1e9,
      kind: 'numeric',
      referenceValues: 366,
      currentValues: 365,
      ignored: 0,
    });
    expect(bins.value).toBeGreaterThan(0);
    const ks = ks2samp(ref.temp, cur.temp);
    expect(await run('temp_max', 'ks')).toMatchObject({ value: ks.statistic, pValue: ks.pValue });
    expect(await run('temp_max', 'wasserstein')).toMatchObject({ value: wasserstein(ref.temp, cur.temp) });
    expect(await run('temp_max', 'jensen_shannon')).toMatchObject({
      value: jensenShannon(bins.refCounts, bins.curCounts),
    });
    expect(await run('wind', 'psi')).toMatchObject({ value: psi(ref.wind, cur.wind, { bins: 10 }).value });
  });

  it('compares dates as epoch seconds', async () => {
    const verdict = await checkDrift(engine, drift('date', 'wasserstein'), last, first);
    expect(verdict.observed).toMatchObject({ kind: 'temporal', value: wasserstein(ref.epoch, cur.epoch) });
    // Three years apart, give or take the leap day.
    expect((verdict.observed as { value: number }).value / 86_400).toBeCloseTo(365 * 3 + 0.5, 0);
  });

  it('compares categories over the union of both years', async () => {
    const categories = [...new Set([...ref.weather, ...cur.weather])].sort();
    const counts = (values: string[]) => categories.map((c) => values.filter((v) => v === c).length);
    const p = counts(ref.weather);
    const q = counts(cur.weather);
    const js = await checkDrift(engine, drift('weather', 'jensen_shannon'), last, first);
    expect(js.observed).toMatchObject({ kind: 'categorical', value: jensenShannon(p, q), categories: 5 });

    // The stats psi over category codes, one bin per category, is the same sum.
    const codes = (values: string[]) => values.map((v) => categories.indexOf(v));
    const edges = categories.slice(1).map((_, i) => i + 0.5);
    const expected = psi(codes(ref.weather), codes(cur.weather), { edges }).value;
    const got = await checkDrift(engine, drift('weather', 'psi'), last, first);
    expect((got.observed as { value: number }).value).toBeCloseTo(expected, 12);
    // 2015 logs no snow (an empty category, where PSI's epsilon stands in) and ten times the fog.
    expect(expected).toBeGreaterThan(0.1);
  });

  it('passes at or under the max and fails above it', async () => {
    const value = psi(ref.temp, cur.temp, { bins: 10 }).value;
    const ok = await checkDrift(engine, drift('temp_max', 'psi', value), last, first);
    expect(ok.passed).toBe(true);
    expect(ok.message).toMatch(/^psi of "temp_max" is [\d.]+ \(max [\d.]+\)$/);
    const bad = await checkDrift(engine, drift('temp_max', 'psi', value / 2), last, first);
    expect(bad.passed).toBe(false);
    expect(bad.message).toMatch(/, above the max/);
    const same = await checkDrift(engine, drift('temp_max', 'ks', 0), first, first);
    expect(same).toMatchObject({ passed: true, observed: { value: 0 } });
  });
});

describe('drift that cannot be computed fails with a reason', () => {
  it('needs a reference', async () => {
    const verdict = await checkDrift(engine, drift('temp_max', 'psi'), last, undefined);
    expect(verdict).toEqual({
      passed: false,
      observed: null,
      message: expect.stringMatching(/needs a reference version/),
    });
  });

  it('refuses ks and wasserstein on categories', async () => {
    for (const test of ['ks', 'wasserstein'] as const) {
      const verdict = await checkDrift(engine, drift('weather', test), last, first);
      expect(verdict.passed).toBe(false);
      expect(verdict.message).toBe(
        `${test} compares numbers and "weather" holds VARCHAR: use psi or jensen_shannon`,
      );
    }
  });

  it('names a column missing on either side, and a column whose kind changed', async () => {
    expect((await checkDrift(engine, drift('rainfall', 'psi'), last, first)).message).toMatch(
      /^column "rainfall" is not in the version/,
    );
    const narrow: DriftSide = { ...first, columns: first.columns.filter((c) => c.name !== 'wind') };
    expect((await checkDrift(engine, drift('wind', 'psi'), last, narrow)).message).toMatch(
      /^column "wind" is not in the reference version/,
    );
    const text = await side({ format: 'csv', paths: [join(dir, 'text.csv')] });
    expect((await checkDrift(engine, drift('temp_max', 'psi'), text, first)).message).toBe(
      '"temp_max" holds VARCHAR here but DOUBLE in the reference; drift compares like with like',
    );
  });

  it('leaves out nulls, NaN and infinities, and counts them', async () => {
    const gaps = await side({ format: 'parquet', paths: [join(dir, 'gaps.parquet')] });
    const verdict = await checkDrift(engine, drift('temp_max', 'wasserstein'), gaps, gaps);
    // 100 rows: 10 null (not read), 10 NaN and 10 infinite (left out: 20 a side), 70 values.
    expect(verdict.observed).toMatchObject({ value: 0, referenceValues: 70, currentValues: 70, ignored: 40 });
  });
});
