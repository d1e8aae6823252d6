import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ColumnSchema, ValidationResult } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlumbError } from '../../../core/errors.js';
import { AnalyticsEngine } from '../../../storage/analytics/duckdb-engine.js';
import { type DatasetFormat, type DatasetSource, tableSql } from '../dataset-source.js';
import { parseSuite } from './validation-suite.js';
import { runSuite } from './validator.js';

const DATA = fileURLToPath(new URL('../../../../../../node_modules/vega-datasets/data/', import.meta.url));
const SEATTLE = join(DATA, 'seattle-weather.csv');

let dir: string;
let engine: AnalyticsEngine;
let writer: DuckDBInstance;

/** Runs SQL on a plain DuckDB (not the locked engine) to write fixtures into the temp directory. */
async function write(sql: string): Promise<void> {
  const connection = await writer.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
  }
}

async function columnsOf(source: DatasetSource): Promise<ColumnSchema[]> {
  const rows = await engine.query(`DESCRIBE SELECT * FROM ${tableSql(source)}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

async function validate(
  source: DatasetSource,
  yaml: string,
  extra: { now?: Date; timeColumn?: string } = {},
): Promise<ValidationResult[]> {
  const columns = await columnsOf(source);
  return runSuite(
    engine,
    { source, columns, now: extra.now ?? new Date('2024-01-25T00:00:00Z'), timeColumn: extra.timeColumn },
    parseSuite(yaml),
  );
}

const FORMAT_OPTIONS: Record<DatasetFormat, string> = {
  csv: '(FORMAT csv, HEADER)',
  jsonl: '(FORMAT json)',
  parquet: '(FORMAT parquet)',
};

/**
 * Twenty rows with one planted defect each: id 3 repeated on row 7, a null name on row 5,
 * name 'Gamma9' on row 9 (pattern and length), score 999.5 on row 12, kind 'z' on row 15.
 */
const FIXTURE = `
  SELECT CASE WHEN i = 7 THEN 3 ELSE i END AS id,
         CASE WHEN i = 5 THEN NULL WHEN i = 9 THEN 'Gamma9' ELSE ['alpha', 'beta', 'delta', 'omega'][i % 4 + 1] END AS name,
         CAST(CASE WHEN i = 12 THEN 999.5 ELSE i * 1.5 END AS DOUBLE) AS score,
         CASE WHEN i = 15 THEN 'z' ELSE ['a', 'b', 'c'][i % 3 + 1] END AS kind,
         DATE '2024-01-01' + CAST(i AS INTEGER) AS day,
         i % 2 = 0 AS flag
  FROM range(1, 21) r(i) ORDER BY i`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plumb-validation-'));
  writer = await DuckDBInstance.create(':memory:');
  engine = await AnalyticsEngine.open({ allowedDirectories: [DATA, dir] });
  for (const format of ['csv', 'jsonl', 'parquet'] as const) {
    await write(`COPY (${FIXTURE}) TO '${join(dir, `fixture.${format}`)}' ${FORMAT_OPTIONS[format]}`);
  }
  await write(`COPY (${FIXTURE} LIMIT 10) TO '${join(dir, 'part-1.csv')}' (FORMAT csv, HEADER)`);
  await write(`COPY (${FIXTURE} OFFSET 10) TO '${join(dir, 'part-2.csv')}' (FORMAT csv, HEADER)`);
});

afterAll(async () => {
  engine?.close();
  writer?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

const PASSING = `
name: all-pass
expectations:
  - { expect: present, column: score }
  - { expect: type, column: score, type: number }
  - { expect: type, column: score, type: double }
  - { expect: type, column: id, type: integer }
  - { expect: type, column: name, type: string }
  - { expect: type, column: flag, type: boolean }
  - { expect: type, column: day, type: date }
  - { expect: not_null, column: score }
  - { expect: max_null_fraction, column: name, value: 0.05 }
  - { expect: unique, column: score }
  - { expect: unique, columns: [id, score] }
  - { expect: between, column: score, min: 1.5, max: 999.5 }
  - { expect: between, column: day, min: '2024-01-02', max: '2024-01-21' }
  - { expect: in_set, column: kind, values: [a, b, c, z] }
  - { expect: in_set, column: id, values: [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20] }
  - { expect: in_set, column: flag, values: [true, false] }
  - { expect: matches, column: name, pattern: '^[A-Za-z0-9]+$' }
  - { expect: length, column: name, min: 4, max: 6 }
  - { expect: row_count, min: 20, max: 20 }
  - { expect: freshness, column: day, max_age: 7d }
`;

const FAILING = `
name: all-fail
expectations:
  - { expect: present, column: temperature }
  - { expect: type, column: score, type: integer }
  - { expect: not_null, column: name }
  - { expect: max_null_fraction, column: name, value: 0.01 }
  - { expect: unique, column: id }
  - { expect: between, column: score, min: 0, max: 100 }
  - { expect: in_set, column: kind, values: [a, b, c] }
  - { expect: matches, column: name, pattern: '^[a-z]+$' }
  - { expect: length, column: name, max: 5 }
  - { expect: row_count, min: 21 }
  - { expect: freshness, column: day, max_age: 36h }
  - { expect: unique, columns: [kind, flag] }
`;

describe.each(['csv', 'jsonl', 'parquet'] as const)('runSuite on %s', (format) => {
  const source = (): DatasetSource => ({ format, paths: [join(dir, `fixture.${format}`)] });

  it('passes every expectation kind on clean columns', async () => {
    const results = await validate(source(), PASSING);
    expect(results.filter((r) => !r.passed).map((r) => `${r.index}: ${r.message}`)).toEqual([]);
    expect(results).toHaveLength(20);
    expect(results.every((r) => r.failingRows === undefined)).toBe(true);
    expect(results[11]!.observed).toEqual({ min: 1.5, max: 999.5, outside: 0 });
    expect(results[11]!.message).toBe('"score" is in [1.5, 999.5] (seen 1.5 to 999.5)');
    expect(results[18]!.observed).toEqual({ rowCount: 20 });
    expect(results[19]!.observed).toMatchObject({ newest: '2024-01-21', ageSeconds: 4 * 86_400 });
  });

  it('fails every expectation kind on its planted defect, with the failing rows', async () => {
    const results = await validate(source(), FAILING);
    expect(results.map((r) => r.passed)).toEqual(new Array(12).fill(false));
    const rows = (i: number) => results[i]!.failingRows?.sample.map((r) => r._row);

    expect(results[0]!.message).toMatch(
      /column "temperature" is not in the version \(columns: id, name, score/,
    );
    expect(results[1]!.message).toMatch(/"score" is DOUBLE, expected integer/);

    expect(results[2]!.observed).toEqual({ nulls: 1, nullFraction: 0.05 });
    expect(results[2]!.failingRows).toEqual({
      count: 1,
      sample: [expect.objectContaining({ _row: 5, id: 5, name: null })],
    });
    expect(results[3]!.message).toBe('1 null in "name" (5% of 20 rows), above 1%');
    expect(rows(3)).toEqual([5]);

    expect(results[4]!.observed).toEqual({ duplicateKeys: 1, duplicateRows: 2 });
    expect(results[4]!.failingRows!.count).toBe(2);
    expect(results[4]!.failingRows!.sample.map((r) => [r._row, r.id])).toEqual([
      [3, 3],
      [7, 3],
    ]);

    expect(results[5]!.observed).toEqual({ min: 1.5, max: 999.5, outside: 1 });
    expect(results[5]!.failingRows!.sample).toEqual([expect.objectContaining({ _row: 12, score: 999.5 })]);
    expect(results[6]!.failingRows!.sample).toEqual([expect.objectContaining({ _row: 15, kind: 'z' })]);
    expect(results[7]!.failingRows!.sample).toEqual([expect.objectContaining({ _row: 9, name: 'Gamma9' })]);
    expect(results[8]!.observed).toEqual({ minLength: 4, maxLength: 6, outside: 1 });
    expect(rows(8)).toEqual([9]);
    expect(results.slice(5, 9).map((r) => r.message)).toEqual([
      '1 row has "score" outside [0, 100] (seen 1.5 to 999.5)',
      '1 row has "kind" outside {a, b, c}',
      '1 row has "name" not matching /^[a-z]+$/',
      '1 row has "name" of a length above 5 (seen 4 to 6)',
    ]);
    expect(results[9]!.message).toBe('20 rows, expected ≥ 21');
    expect(results[10]!.message).toBe('the newest "day" is 2024-01-21, 4d 0h old, older than 36h');

    // 20 rows over 7 (kind, flag) pairs; all but ('z', false) repeat; the sample groups each key's rows.
    expect(results[11]!.observed).toEqual({ columns: ['kind', 'flag'], duplicateKeys: 6, duplicateRows: 19 });
    expect(results[11]!.column).toBeUndefined();
    const sample = results[11]!.failingRows!.sample;
    expect(sample).toHaveLength(5);
    expect(sample.slice(0, 3).map((r) => [r._row, r.kind, r.flag])).toEqual([
      [1, 'b', false],
      [7, 'b', false],
      [13, 'b', false],
    ]);
  });
});

describe('runSuite details', () => {
  const csv = (): DatasetSource => ({ format: 'csv', paths: [join(dir, 'fixture.csv')] });

  it('numbers failing rows per file when a version has several files', async () => {
    const source: DatasetSource = {
      format: 'csv',
      paths: [join(dir, 'part-1.csv'), join(dir, 'part-2.csv')],
    };
    const results = await validate(source, FAILING);
    expect(results[9]!.observed).toEqual({ rowCount: 20 });
    expect(results[2]!.failingRows!.sample.map((r) => [r._file, r._row])).toEqual([[1, 5]]);
    expect(results[5]!.failingRows!.sample.map((r) => [r._file, r._row])).toEqual([[2, 2]]);
    expect(results[6]!.failingRows!.sample.map((r) => [r._file, r._row])).toEqual([[2, 5]]);
    expect(results[4]!.failingRows!.sample.map((r) => [r._file, r._row])).toEqual([
      [1, 3],
      [1, 7],
    ]);
  });

  it('numbers rows by their place in a large file, not by scan parallelism', async () => {
    await write(
      `COPY (SELECT i, CASE WHEN i % 250000 = 0 THEN NULL ELSE i END AS v FROM range(1, 1000001) r(i)) TO '${join(dir, 'large.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 20000)`,
    );
    const [result] = await validate(
      { format: 'parquet', paths: [join(dir, 'large.parquet')] },
      'name: n\nexpectations: [{ expect: not_null, column: v }]',
    );
    expect(result!.failingRows).toEqual({
      count: 4,
      sample: [250000, 500000, 750000, 1000000].map((n) => ({ _row: n, i: n, v: null })),
    });
  });

  it('defaults freshness to the time column and needs one otherwise', async () => {
    const yaml = 'name: f\nexpectations: [{ expect: freshness, max_age: 5d }]';
    const [withTime] = await validate(csv(), yaml, { timeColumn: 'day' });
    expect(withTime).toMatchObject({
      passed: true,
      column: 'day',
      message: 'the newest "day" is 2024-01-21, 4d 0h old (max 5d)',
    });
    const [without] = await validate(csv(), yaml);
    expect(without).toMatchObject({ passed: false, message: expect.stringMatching(/needs a column/) });
    const [wrongType] = await validate(
      csv(),
      'name: f\nexpectations: [{ expect: freshness, column: score, max_age: 5d }]',
    );
    expect(wrongType!.message).toBe('"score" holds DOUBLE, not dates or times');
  });

  it('fails one expectation whose bound DuckDB cannot convert, and evaluates the rest', async () => {
    const results = await validate(
      csv(),
      `name: b
expectations:
  - { expect: not_null, column: score }
  - { expect: between, column: day, min: 'last tuesday' }
  - { expect: between, column: score, min: '10' }
  - { expect: in_set, column: score, values: [a] }
  - { expect: row_count, min: 1 }
  - { expect: not_null, column: name }`,
    );
    expect(results.map((r) => r.passed)).toEqual([true, false, false, false, true, false]);
    expect(results[1]!.message).toMatch(
      /^could not be evaluated: .*invalid date field format: "last tuesday"/,
    );
    expect(results[2]!.message).toBe('"score" holds DOUBLE: its bounds must be numbers');
    expect(results[3]!.message).toBe('"score" holds DOUBLE: the set must list numbers');
    expect(results[5]!.failingRows!.sample[0]!._row).toBe(5);
  });

  it('compares bounds beyond the 64-bit integers with integer and float columns alike', async () => {
    // id is BIGINT (1..20, 3 twice), score DOUBLE (1.5..30 and 999.5).
    const results = await validate(
      csv(),
      `name: huge
expectations:
  - { expect: between, column: id, min: -1e300, max: 1e300 }
  - { expect: between, column: id, min: 1e300 }
  - { expect: between, column: id, max: -1e300 }
  - { expect: between, column: id, min: 2, max: 1.5e19 }
  - { expect: between, column: score, min: -1e300, max: 1e300 }
  - { expect: between, column: score, min: 1e300 }
  - { expect: between, column: score, max: -1e300 }
  - { expect: in_set, column: id, values: [1e300, 1, 2] }`,
    );
    expect(results.map((r) => r.observed)).toEqual([
      { min: 1, max: 20, outside: 0 },
      { min: 1, max: 20, outside: 20 },
      { min: 1, max: 20, outside: 20 },
      { min: 1, max: 20, outside: 1 },
      { min: 1.5, max: 999.5, outside: 0 },
      { min: 1.5, max: 999.5, outside: 20 },
      { min: 1.5, max: 999.5, outside: 20 },
      { outside: 18 },
    ]);
    expect(results.map((r) => r.passed)).toEqual([true, false, false, false, true, false, false, false]);
    expect(results[1]!.message).toBe('20 rows have "id" below 1e+300 (seen 1 to 20)');

    // Every integer and float width DuckDB reads from Parquet.
    const types = ['TINYINT', 'INTEGER', 'UBIGINT', 'HUGEINT', 'FLOAT', 'DECIMAL(9,2)'];
    await write(
      `COPY (SELECT ${types.map((t, i) => `CAST(i AS ${t}) AS c${i}`).join(', ')} FROM range(1, 6) r(i)) TO '${join(dir, 'widths.parquet')}' (FORMAT parquet)`,
    );
    const bounds = ['min: -1e300, max: 1e300', 'min: 1e300', 'max: -1e300', 'min: 2, max: 1e19'];
    const widths = await validate(
      { format: 'parquet', paths: [join(dir, 'widths.parquet')] },
      `name: widths\nexpectations:\n${types
        .flatMap((_, i) => bounds.map((b) => `  - { expect: between, column: c${i}, ${b} }`))
        .join('\n')}`,
    );
    expect(widths.map((r) => (r.observed as { outside: number } | null)?.outside)).toEqual(
      types.flatMap(() => [0, 5, 5, 1]),
    );
  });

  it('still throws when the version itself cannot be read', async () => {
    const error = await validate({ format: 'csv', paths: [join(dir, 'missing.csv')] }, PASSING).catch(
      (e) => e,
    );
    expect(PlumbError.is(error)).toBe(true);
  });

  it('passes the example suite of the format on seattle-weather', async () => {
    const source: DatasetSource = { format: 'csv', paths: [SEATTLE] };
    const columns = await columnsOf(source);
    const suite = parseSuite(`
name: weather-quality
expectations:
  - { expect: present, column: temp_max }
  - { expect: type, column: temp_max, type: number }
  - { expect: not_null, column: weather }
  - { expect: max_null_fraction, column: wind, value: 0.01 }
  - { expect: unique, column: date }
  - { expect: between, column: temp_max, min: -20, max: 45 }
  - { expect: in_set, column: weather, values: [drizzle, rain, sun, snow, fog] }
  - { expect: matches, column: weather, pattern: '^[a-z]+$' }
  - { expect: length, column: weather, min: 3, max: 7 }
  - { expect: row_count, min: 1000, max: 5000 }
  - { expect: freshness, column: date, max_age: 400d }
  - { expect: drift, column: temp_max, test: psi, max: 0.2 }
`);
    const results = await runSuite(
      engine,
      { source, columns, now: new Date('2016-06-01T00:00:00Z'), reference: { source, columns } },
      suite,
    );
    expect(results.filter((r) => !r.passed).map((r) => r.message)).toEqual([]);
    expect(results[5]!.observed).toEqual({ min: -1.6, max: 35.6, outside: 0 });
    expect(results[9]!.observed).toEqual({ rowCount: 1461 });
    expect(results[10]!.observed).toMatchObject({ newest: '2015-12-31', ageSeconds: 153 * 86_400 });
    expect(results[11]!.observed).toMatchObject({ value: 0 });

    const later = await runSuite(engine, { source, columns, now: new Date('2017-03-01T00:00:00Z') }, suite);
    expect(later[10]!.passed).toBe(false);
    expect(later[11]).toMatchObject({
      passed: false,
      message: expect.stringMatching(/drift needs a reference version/),
    });
  });
});

describe('user text never becomes SQL', () => {
  const INJECTION = `'); select * from read_csv('/etc/passwd`;
  const WEIRD = `x") FROM read_csv('/etc/passwd') --`;
  let source: DatasetSource;

  beforeAll(async () => {
    const path = join(dir, 'quotes.csv');
    await writeFile(
      path,
      [
        `id,"${WEIRD.replaceAll('"', '""')}",note`,
        `1,a,O'Brien`,
        `2,b,"""); drop table t; --"`,
        `3,,${INJECTION}`,
      ].join('\n'),
    );
    source = { format: 'csv', paths: [path] };
  });

  it('treats a pattern as a pattern', async () => {
    const results = await validate(
      source,
      `name: q
expectations:
  - { expect: matches, column: note, pattern: "${INJECTION}" }
  - { expect: matches, column: note, pattern: "^(O'Brien|\\"\\\\); drop table t; --|.*passwd)$" }
  - { expect: row_count, min: 3, max: 3 }`,
    );
    expect(results[0]).toMatchObject({
      passed: false,
      message: expect.stringMatching(/^could not be evaluated: unexpected \)/),
    });
    expect(results[0]!.message).not.toMatch(/root:/);
    expect(results[1]).toMatchObject({ passed: true, observed: { mismatches: 0 } });
    expect(results[2]!.passed).toBe(true);
  });

  it('compares quoted values as values', async () => {
    const results = await validate(
      source,
      `name: q
expectations:
  - { expect: in_set, column: note, values: ["O'Brien", '"); drop table t; --'] }
  - { expect: between, column: note, min: "' OR 1=1 --" }`,
    );
    expect(results[0]).toMatchObject({ passed: false, observed: { outside: 1 } });
    expect(results[0]!.failingRows!.sample).toEqual([{ _row: 3, id: 3, [WEIRD]: null, note: INJECTION }]);
    // Compared as text: only '"); drop…' sorts before the quote that starts the bound.
    expect(results[1]).toMatchObject({ passed: false, observed: { outside: 1 } });
    expect(results[1]!.failingRows!.sample.map((r) => r._row)).toEqual([2]);
  });

  it('quotes column names that hold quotes, and never uses names outside the schema', async () => {
    const weird = WEIRD;
    const columns = await columnsOf(source);
    expect(columns.map((c) => c.name)).toContain(weird);
    const results = await runSuite(
      engine,
      { source, columns, now: new Date() },
      {
        name: 'q',
        expectations: [
          { expect: 'not_null', column: weird },
          { expect: 'unique', column: weird },
          { expect: 'not_null', column: `note" IS NULL OR 1=1 OR "note` },
          { expect: 'matches', column: `x') FROM read_csv('/etc/passwd') --`, pattern: '.*' },
        ],
      },
    );
    expect(results[0]).toMatchObject({ passed: false, observed: { nulls: 1 } });
    expect(results[0]!.failingRows!.sample).toEqual([expect.objectContaining({ _row: 3, [weird]: null })]);
    expect(results[1]!.passed).toBe(true);
    expect(results[2]!.message).toMatch(/^column "note" IS NULL OR 1=1 OR "note" is not in the version/);
    expect(results[3]!.message).toMatch(/is not in the version/);
  });
});
