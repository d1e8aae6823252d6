// Row diff benchmark: diffRows (a multiset comparison of two versions in DuckDB) over a
// million-row pair, as CSV and as Parquet. b drops every 1000th row of a and adds 2,000 new
// ones. Generating the files is not timed. Run after `npm run build`:
//   node bench/datasets/diff.mjs [rows=1000000] [repeats=3]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { diffRows } from '../../packages/server/dist/modules/datasets/diff/row-diff.js';
import { AnalyticsEngine } from '../../packages/server/dist/storage/analytics/duckdb-engine.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 3);
// The same limit the server gives DuckDB.
const MEMORY_LIMIT = '1GB';
const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-diff-'));
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const columns = ['id', 'name', 'score', 'day'];

const select = (where, extra) =>
  `SELECT i AS id, 'name-' || (i % 9973) AS name, i * 0.25 AS score, DATE '2020-01-01' + CAST(i % 1000 AS INTEGER) AS day FROM range(1, ${rows + 1}) r(i) ${where} ${extra}`;
const a = select('', '');
const b = select(
  'WHERE i % 1000 <> 0',
  `UNION ALL SELECT 2000000 + i, 'new', 0, DATE '2021-01-01' FROM range(2000) r(i)`,
);

const writer = await DuckDBInstance.create(':memory:');
const engine = await AnalyticsEngine.open({ allowedDirectories: [dir], memoryLimit: MEMORY_LIMIT });
try {
  for (const [format, options] of [
    ['csv', '(FORMAT csv, HEADER)'],
    ['parquet', '(FORMAT parquet)'],
  ]) {
    const path = (name) => join(dir, `${name}.${format}`);
    const connection = await writer.connect();
    await connection.run(`COPY (${a}) TO '${path('a')}' ${options}`);
    await connection.run(`COPY (${b}) TO '${path('b')}' ${options}`);
    connection.closeSync();
    const source = (name) => ({ format, paths: [path(name)] });
    const times = [];
    let diff;
    for (let i = 0; i < repeats; i++) {
      const start = process.hrtime.bigint();
      diff = await diffRows(engine, source('a'), source('b'), columns);
      times.push(seconds(start));
    }
    const expected = { added: 2000, removed: Math.floor(rows / 1000) };
    if (diff.added !== expected.added || diff.removed !== expected.removed) {
      throw new Error(`wrong diff: ${JSON.stringify(diff)}`);
    }
    const best = Math.min(...times);
    const mb = (statSync(path('a')).size + statSync(path('b')).size) / 1e6;
    console.log(
      `${format}: ${diff.rowsA.toLocaleString('en-US')} + ${diff.rowsB.toLocaleString('en-US')} rows (${mb.toFixed(0)} MB): best ${best.toFixed(2)} s of ${repeats} (${times.map((t) => t.toFixed(2)).join(', ')}) = ${((diff.rowsA + diff.rowsB) / best / 1e6).toFixed(2)} M rows/s`,
    );
  }
} finally {
  engine.close();
  writer.closeSync();
  rmSync(dir, { recursive: true, force: true });
}
