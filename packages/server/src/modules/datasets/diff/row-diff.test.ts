import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlumbError } from '../../../core/errors.js';
import { AnalyticsEngine } from '../../../storage/analytics/duckdb-engine.js';
import type { DatasetSource } from '../dataset-source.js';
import { diffRows } from './row-diff.js';

const DATA = fileURLToPath(new URL('../../../../../../node_modules/vega-datasets/data/', import.meta.url));
const SEATTLE = join(DATA, 'seattle-weather.csv');
const WEATHER = ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather'];

let dir: string;
let engine: AnalyticsEngine;
let writer: DuckDBInstance;

async function write(sql: string): Promise<void> {
  const connection = await writer.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
  }
}

const csv = (name: string): DatasetSource => ({ format: 'csv', paths: [join(dir, name)] });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plumb-diff-'));
  writer = await DuckDBInstance.create(':memory:');
  engine = await AnalyticsEngine.open({ allowedDirectories: [DATA, dir] });
});

afterAll(async () => {
  engine?.close();
  writer?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('diffRows', () => {
  beforeAll(async () => {
    // (3, c) is three times in a and five times in b; (2, b) leaves; (4, d) becomes (4, D).
    await writeFile(join(dir, 'a.csv'), 'id,name\n1,a\n2,b\n3,c\n3,c\n4,d\n3,c\n');
    await writeFile(join(dir, 'b.csv'), 'id,name\n3,c\n1,a\n3,c\n4,D\n3,c\n5,e\n3,c\n3,c\n');
    await write(
      `COPY (SELECT CAST(id AS DOUBLE) AS id, name FROM read_csv('${join(dir, 'b.csv')}')) TO '${join(dir, 'b.parquet')}' (FORMAT parquet)`,
    );
    await writeFile(join(dir, 'b.jsonl'), `${['{"id":1,"name":"a"}', '{"id":3,"name":"c"}'].join('\n')}\n`);
  });

  it('counts rows as a multiset', async () => {
    const diff = await diffRows(engine, csv('a.csv'), csv('b.csv'), ['id', 'name']);
    expect(diff).toEqual({
      rowsA: 6,
      rowsB: 8,
      added: 4,
      removed: 2,
      unchanged: 4,
      sampleAdded: expect.any(Array),
      sampleRemoved: expect.any(Array),
    });
    const sorted = (rows: Record<string, unknown>[]) =>
      [...rows].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(sorted(diff.sampleAdded)).toEqual([
      { id: 3, name: 'c' },
      { id: 4, name: 'D' },
      { id: 5, name: 'e' },
    ]);
    expect(sorted(diff.sampleRemoved)).toEqual([
      { id: 2, name: 'b' },
      { id: 4, name: 'd' },
    ]);
  });

  it('matches values across formats and numeric types', async () => {
    const diff = await diffRows(
      engine,
      csv('a.csv'),
      { format: 'parquet', paths: [join(dir, 'b.parquet')] },
      ['id', 'name'],
    );
    expect(diff).toMatchObject({ rowsA: 6, rowsB: 8, added: 4, removed: 2, unchanged: 4 });
    const json = await diffRows(engine, csv('a.csv'), { format: 'jsonl', paths: [join(dir, 'b.jsonl')] }, [
      'id',
      'name',
    ]);
    expect(json).toMatchObject({ rowsA: 6, rowsB: 2, added: 0, removed: 4, unchanged: 2, sampleAdded: [] });
  });

  it('compares only the given columns', async () => {
    const diff = await diffRows(engine, csv('a.csv'), csv('b.csv'), ['id']);
    expect(diff).toMatchObject({ added: 3, removed: 1, unchanged: 5 });
  });

  it('finds nothing between a version and itself', async () => {
    const diff = await diffRows(engine, csv('a.csv'), csv('a.csv'), ['id', 'name']);
    expect(diff).toEqual({
      rowsA: 6,
      rowsB: 6,
      added: 0,
      removed: 0,
      unchanged: 6,
      sampleAdded: [],
      sampleRemoved: [],
    });
  });

  it('treats versions with no column in common as disjoint', async () => {
    const diff = await diffRows(engine, csv('a.csv'), csv('b.csv'), []);
    expect(diff).toMatchObject({ rowsA: 6, rowsB: 8, added: 8, removed: 6, unchanged: 0 });
    expect(diff.sampleAdded).toHaveLength(5);
    expect(diff.sampleRemoved[0]).toEqual({ id: 1, name: 'a' });
  });

  it('rejects a column named twice, and names a column missing from a version', async () => {
    await expect(diffRows(engine, csv('a.csv'), csv('b.csv'), ['id', 'id'])).rejects.toThrow(/twice/);
    const error = await diffRows(engine, csv('a.csv'), csv('b.csv'), ['id', 'label']).catch((e) => e);
    expect(PlumbError.is(error, 'invalid_argument')).toBe(true);
    expect(error.message).toMatch(/label/);
  });

  it('finds 10 dropped and 3 changed rows of seattle-weather', async () => {
    await write(`
      COPY (
        SELECT date, precipitation,
               CASE WHEN n IN (100, 700, 1400) THEN temp_max + 0.1 ELSE temp_max END AS temp_max,
               temp_min, wind, weather
        FROM (SELECT row_number() OVER () AS n, * FROM read_csv('${SEATTLE}'))
        WHERE n NOT IN (1, 2, 50, 365, 366, 800, 801, 1200, 1460, 1461)
      ) TO '${join(dir, 'seattle-edited.csv')}' (FORMAT csv, HEADER)`);
    const diff = await diffRows(
      engine,
      { format: 'csv', paths: [SEATTLE] },
      csv('seattle-edited.csv'),
      WEATHER,
    );
    expect(diff).toMatchObject({ rowsA: 1461, rowsB: 1451, added: 3, removed: 13, unchanged: 1448 });
    expect(diff.sampleAdded.map((r) => r.date).sort()).toEqual(['2012-04-09', '2013-11-30', '2015-10-31']);
    expect(diff.sampleRemoved).toHaveLength(5);
    for (const row of diff.sampleRemoved) expect(Object.keys(row)).toEqual(WEATHER);
  });

  describe('a pair too large to sample by eye', () => {
    // b drops every 1000th row of a and adds 2,000 new ones; ids stay unique. What a million-row
    // pair costs is measured in bench/datasets/diff.mjs.
    const N = 100_000;
    const rows = (where: string, extra: string) =>
      `SELECT i AS id, 'name-' || (i % 9973) AS name, i * 0.25 AS score, DATE '2020-01-01' + CAST(i % 1000 AS INTEGER) AS day FROM range(1, ${N + 1}) r(i) ${where} ${extra}`;
    const a = rows('', '');
    const b = rows(
      'WHERE i % 1000 <> 0',
      `UNION ALL SELECT 2000000 + i, 'new', 0, DATE '2021-01-01' FROM range(2000) r(i)`,
    );

    it.each([
      ['csv', '(FORMAT csv, HEADER)'],
      ['parquet', '(FORMAT parquet)'],
    ] as const)('counts every row as %s', async (format, options) => {
      await write(`COPY (${a}) TO '${join(dir, `big-a.${format}`)}' ${options}`);
      await write(`COPY (${b}) TO '${join(dir, `big-b.${format}`)}' ${options}`);
      const source = (name: string): DatasetSource => ({ format, paths: [join(dir, `${name}.${format}`)] });
      const diff = await diffRows(engine, source('big-a'), source('big-b'), ['id', 'name', 'score', 'day']);
      expect(diff).toMatchObject({
        rowsA: N,
        rowsB: N - N / 1000 + 2000,
        added: 2000,
        removed: N / 1000,
        unchanged: N - N / 1000,
      });
      expect(diff.sampleAdded).toHaveLength(5);
      expect(diff.sampleAdded.every((r) => r.name === 'new')).toBe(true);
      expect(diff.sampleRemoved).toHaveLength(5);
      expect(diff.sampleRemoved.every((r) => Number(r.id) % 1000 === 0)).toBe(true);
    });
  });
});
