import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registryKit } from '../registry/registry.test-kit.js';
import { MAX_COLUMNS } from './dataset-scanner.js';

const csvOf = (columns: number, rows = 2) => {
  const header = Array.from({ length: columns }, (_, i) => `c${i}`).join(',');
  const row = Array.from({ length: columns }, (_, i) => String(i % 10)).join(',');
  return Buffer.from(`${header}\n${`${row}\n`.repeat(rows)}`);
};

describe('the column bound of a dataset version', () => {
  let t: TestPlumb;
  beforeAll(async () => {
    t = await createTestPlumb();
  });
  afterAll(() => t.dispose());

  const add = async (name: string, path: string, bytes: Buffer) => {
    const ref = await registryKit.upload(t, bytes);
    return t.call('POST', `/api/v1/datasets/${name}/versions`, { body: { files: [{ path, ref }] } });
  };

  it('refuses an 80,000-column CSV from its header, naming the limit', async () => {
    const response = await add('wide', 'wide.csv', csvOf(80_000));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'invalid_argument',
      message: `wide.csv: it has more than ${MAX_COLUMNS} columns; a dataset may have at most ${MAX_COLUMNS}`,
      details: { file: 'wide.csv', maxColumns: MAX_COLUMNS },
    });
    expect((await t.call('GET', '/api/v1/datasets')).json().items).toEqual([]);
  });

  it('counts only commas outside quotes, so a quoted comma is not a column', async () => {
    // 100 columns whose names hold 50 commas each: 5,100 commas, 100 columns.
    const names = Array.from({ length: 100 }, (_, i) => `"c${i}${','.repeat(50)}"`);
    const quoted = Buffer.from(`${names.join(',')}\n${Array(100).fill('1').join(',')}\n`);
    const response = await add('quoted', 'quoted.csv', quoted);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().version.schema).toHaveLength(100);
  });

  it('refuses a Parquet file with too many columns once DuckDB has described it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumb-wide-'));
    try {
      const path = join(dir, 'wide.parquet');
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const select = Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => `${i} AS k${i}`).join(', ');
      await connection.run(`COPY (SELECT ${select}) TO '${path}' (FORMAT parquet)`);
      connection.closeSync();
      instance.closeSync();
      const response = await add('keys', 'wide.parquet', readFileSync(path));
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'invalid_argument',
        message: `wide.parquet: it has ${MAX_COLUMNS + 1} columns; a dataset may have at most ${MAX_COLUMNS}`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
