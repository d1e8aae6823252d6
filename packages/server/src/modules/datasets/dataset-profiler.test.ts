import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { vegaData } from '../../testing/data.js';
import { EXACT_DISTINCT_LIMIT, profileSource, summarizeProfiles } from './dataset-profiler.js';
import { scanFiles } from './dataset-scanner.js';

let dir: string;
let engine: AnalyticsEngine;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plumb-profiler-'));
  engine = await AnalyticsEngine.open({ allowedDirectories: [dir, vegaData('')] });
});
afterAll(() => {
  engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function profileFile(path: string, name = path) {
  const scan = await scanFiles(engine, [{ path: name, localPath: path, size: readFileSync(path).length }]);
  const source = { format: scan.format, paths: [path] };
  const profiles = await profileSource(engine, source, scan.schema, undefined, scan.rowCount);
  return { schema: scan.schema, summary: summarizeProfiles(profiles) };
}

describe('distinct counts', () => {
  it('counts a small column exactly: every one of seattle-weather’s 1,461 dates', async () => {
    const lines = readFileSync(vegaData('seattle-weather.csv'), 'utf8').trim().split('\n').slice(1);
    const dates = new Set(lines.map((l) => l.split(',')[0]));
    const weathers = new Set(lines.map((l) => l.split(',')[5]));
    const { summary } = await profileFile(vegaData('seattle-weather.csv'));
    expect(dates.size).toBe(1461);
    expect(summary.date).toMatchObject({
      distinct: dates.size,
      distinctExact: true,
      distinctRelativeError: 0,
    });
    expect(summary.weather).toMatchObject({ distinct: weathers.size, distinctExact: true });
  });

  it('falls back to the HyperLogLog estimate past the limit, and says it is one', async () => {
    const n = 3 * EXACT_DISTINCT_LIMIT;
    const rows = Array.from({ length: n }, (_, i) => `${i},k${i % 7},${i % (EXACT_DISTINCT_LIMIT + 1)}`);
    const path = join(dir, 'wide.csv');
    writeFileSync(path, `id,key,edge\n${rows.join('\n')}\n`);
    const { summary } = await profileFile(path);
    const id = summary.id!;
    expect(id.distinctExact).toBe(false);
    expect(id.distinctRelativeError).toBeCloseTo(1.04 / 128, 12);
    // Within three standard errors of the truth.
    expect(Math.abs(id.distinct - n)).toBeLessThanOrEqual(3 * id.distinctRelativeError * n);
    expect(summary.key).toMatchObject({ distinct: 7, distinctExact: true });
    // One more than the limit is already an estimate.
    expect(summary.edge!.distinctExact).toBe(false);
  });

  it('counts like the profile: NaN is missing, and long text counts whole', async () => {
    const path = join(dir, 'nan.parquet');
    const writer = await DuckDBInstance.create(':memory:');
    const connection = await writer.connect();
    await connection.run(
      `COPY (SELECT CASE WHEN i % 3 = 0 THEN 'NaN'::DOUBLE ELSE i % 5 END AS x, repeat('w', 20000) || (i % 2) AS text FROM range(30) t(i)) TO '${path}' (FORMAT parquet)`,
    );
    connection.closeSync();
    writer.closeSync();
    const { summary } = await profileFile(path);
    // i % 5 over the i not divisible by 3 takes all five values.
    expect(summary.x).toMatchObject({ nulls: 10, distinct: 5, distinctExact: true });
    expect(summary.text).toMatchObject({ distinct: 2, distinctExact: true });
  });
});

describe('nested columns', () => {
  const expected = {
    l: { type: 'BIGINT[]', nested: 'list' },
    s: { type: 'STRUCT(x BIGINT, y VARCHAR)', nested: 'struct' },
  };

  it('accepts JSONL lists and objects, records their type and profiles their JSON text', async () => {
    const path = join(dir, 'events.jsonl');
    writeFileSync(
      path,
      [
        '{"id":1,"l":[1,2],"s":{"x":1,"y":"q"}}',
        '{"id":2,"l":[3],"s":{"x":2,"y":"r"}}',
        '{"id":3,"l":[1,2],"s":null}',
        '',
      ].join('\n'),
    );
    const { schema, summary } = await profileFile(path, 'events.jsonl');
    expect(schema).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'l', ...expected.l },
      { name: 's', ...expected.s },
    ]);
    expect(summary.l).toMatchObject({
      kind: 'categorical',
      count: 3,
      nulls: 0,
      distinct: 2,
      distinctExact: true,
    });
    expect(summary.l!.topItems[0]).toMatchObject({ value: '[1,2]', estimate: 2 });
    expect(summary.s).toMatchObject({ kind: 'categorical', nulls: 1, distinct: 2 });
    expect(summary.s!.topItems.map((t) => t.value).sort()).toEqual(['{"x":1,"y":"q"}', '{"x":2,"y":"r"}']);
  });

  it('accepts Parquet lists, structs and maps', async () => {
    const path = join(dir, 'nested.parquet');
    const writer = await DuckDBInstance.create(':memory:');
    const connection = await writer.connect();
    await connection.run(
      `COPY (SELECT i AS id, [i, i + 1] AS l, {'x': i, 'y': 'v' || i} AS s, MAP {'k': i % 2} AS m FROM range(5) t(i)) TO '${path}' (FORMAT parquet)`,
    );
    connection.closeSync();
    writer.closeSync();
    const { schema, summary } = await profileFile(path, 'nested.parquet');
    expect(schema).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'l', ...expected.l },
      { name: 's', ...expected.s },
      { name: 'm', type: 'MAP(VARCHAR, BIGINT)', nested: 'map' },
    ]);
    expect(summary.l).toMatchObject({ kind: 'categorical', distinct: 5 });
    expect(summary.m).toMatchObject({ kind: 'categorical', distinct: 2 });
  });
});
