import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from './duckdb-engine.js';

describe('analytics engine', () => {
  let dir: string;
  let engine: AnalyticsEngine;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-duck-'));
    writeFileSync(join(dir, 'ok.csv'), 'a,b\n1,x\n41,y\n');
    engine = await AnalyticsEngine.open({ allowedDirectories: [dir] });
  });
  afterAll(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads files in its allowed directories, converting values at the edge', async () => {
    const rows = await engine.query(
      `SELECT count(*) AS n, sum(a) AS s, avg(a)::DECIMAL(10,2) AS m, DATE '2026-01-02' AS d, TIMESTAMP '2026-01-02 03:04:05' AS t FROM read_csv('${join(dir, 'ok.csv')}')`,
    );
    expect(rows).toEqual([{ n: 2, s: 42, m: 21, d: '2026-01-02', t: '2026-01-02T03:04:05.000Z' }]);
  });

  it('never lets a stream that failed midway look finished', async () => {
    // DuckDB's streaming fetch ends a failed query like a finished one; the engine must notice.
    const rows = Array.from({ length: 150_000 }, (_, i) => `${i},${i === 149_999 ? 'oops' : i}`);
    writeFileSync(join(dir, 'late.csv'), `a,b\n${rows.join('\n')}\n`);
    const sql = `SELECT * FROM read_csv('${join(dir, 'late.csv')}', header = true, auto_detect = false, columns = {'a': 'BIGINT', 'b': 'BIGINT'})`;
    const drain = async (options = {}) => {
      let n = 0;
      for await (const chunk of engine.stream(sql, options)) n += chunk.rows;
      return n;
    };
    await expect(drain()).rejects.toThrow(/Could not convert string "oops"/);
    await expect(drain({ expectedRows: 150_000 })).rejects.toThrow(/Could not convert string "oops"/);
    writeFileSync(join(dir, 'fine.csv'), `a,b\n${rows.slice(0, -1).join('\n')}\n`);
    let n = 0;
    for await (const chunk of engine.stream(sql.replace('late.csv', 'fine.csv'), { expectedRows: 149_999 }))
      n += chunk.rows;
    expect(n).toBe(149_999);
  });

  it('names files as their users do, without the SQL, the stored paths or the reader options', async () => {
    const rows = Array.from({ length: 150_000 }, (_, i) => `${i},${i === 149_999 ? 'oops' : i}`);
    const late = join(dir, 'late-labelled.csv');
    writeFileSync(late, `a,b\n${rows.join('\n')}\n`);
    const labelled = engine.forFiles([{ localPath: late, name: 'sales/2024.csv' }]);
    const sql = `SELECT a, b FROM read_csv('${late}', header = true, auto_detect = true)`;
    const drain = async () => {
      for await (const _ of labelled.stream(sql)) {
        // reading is the point
      }
    };
    const internals = [dir, 'read_csv', 'SELECT', 'LINE 1', 'Possible solutions', 'sample_size', 'Error:'];
    const streamed = await drain().catch((e: Error) => e.message);
    expect(streamed).toMatch(/^sales\/2024\.csv: CSV Error on Line: 150001\nOriginal Line: 149999,oops/);
    for (const leak of internals) expect(streamed).not.toContain(leak);

    // A file gone from the store, and one no label covers.
    const gone = join(dir, 'gone.parquet');
    const missing = await engine
      .forFiles([{ localPath: gone, name: 'flights.parquet' }])
      .query(`SELECT * FROM read_parquet(['${gone}', '${join(dir, 'other.parquet')}'])`)
      .catch((e: Error) => e.message);
    expect(missing).toMatch(
      /^flights\.parquet: No files found that match the pattern "(flights\.parquet|a stored file)"/,
    );
    for (const leak of internals) expect(missing).not.toContain(leak);

    const column = await labelled
      .query(`SELECT nope FROM read_csv('${late}')`)
      .catch((e: Error) => e.message);
    expect(column).toMatch(/^sales\/2024\.csv: Referenced column "nope" not found/);
    for (const leak of internals) expect(column).not.toContain(leak);
  });

  it('binds parameters instead of splicing them', async () => {
    const rows = await engine.query('SELECT $1 AS v, $2 + 1 AS n', ["'); DROP TABLE x; --", 41]);
    expect(rows).toEqual([{ v: "'); DROP TABLE x; --", n: 42 }]);
  });

  it('refuses every file outside them, by any path or function', async () => {
    for (const sql of [
      "SELECT * FROM read_csv('/etc/passwd')",
      `SELECT * FROM read_text('${dir}/../../etc/hostname')`,
      "SELECT * FROM glob('/etc/*')",
      "COPY (SELECT 1) TO '/tmp/plumb-escape.csv'",
    ]) {
      await expect(engine.query(sql), sql).rejects.toMatchObject({
        code: expect.stringMatching(/permission_denied|invalid_argument/),
      });
    }
  });

  it('cannot be reconfigured to lift the confinement', async () => {
    await expect(engine.query('SET enable_external_access = true')).rejects.toThrow(/locked|Cannot/);
    await expect(engine.query("SET allowed_directories = ['/']")).rejects.toThrow(/locked|Cannot/);
  });
});
