import { open } from 'node:fs/promises';
import type { ColumnSchema, DatasetFormat } from '@plumb/sdk';
import { PlumbError } from '../../core/errors.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { quoteIdent, quoteLiteral } from '../../storage/analytics/sql-text.js';
import { diagnoseCsv } from './csv-diagnose.js';
import { type DatasetSource, requireFormat, tableSql } from './dataset-source.js';
import { nestedKind } from './validation/column-types.js';

export interface ScanFile {
  /** The path the user gave, for messages. */
  path: string;
  /** Where DuckDB reads it. */
  localPath: string;
  size: number;
}

export interface ScanResult {
  format: DatasetFormat;
  schema: ColumnSchema[];
  rowCount: number;
  sliceCounts: Record<string, number> | null;
}

/** Distinct slice values kept per version; more than this is not a slice column. */
const MAX_SLICES = 10_000;

/**
 * Columns a dataset may have. Every pass over a file (type checks, counts, profile sketches)
 * costs per column, and an 80,000-column CSV of 709 KB took 81 s to add; 4,096 is far past the
 * widest tabular training sets seen in practice. Checked from the header before DuckDB reads
 * the file.
 */
export const MAX_COLUMNS = 4096;
// The header is read up to this far; a longer header still counts its columns seen so far.
const HEADER_READ_BYTES = 4 * 2 ** 20;

/**
 * Reads every file of a new version before anything is recorded: one format, one schema, no
 * ragged rows, bad quoting, invalid UTF-8, duplicate or mixed-type columns, no empty files.
 * Every error names the file, and the line or column where it can.
 */
export async function scanFiles(
  engine: AnalyticsEngine,
  files: ScanFile[],
  options: { timeColumn?: string | undefined; sliceColumn?: string | undefined } = {},
): Promise<ScanResult> {
  const formats = new Set(files.map((f) => requireFormat(f.path)));
  if (formats.size > 1) {
    throw new PlumbError('invalid_argument', `a version holds one format; got ${[...formats].join(', ')}`);
  }
  const format = [...formats][0]!;
  let schema: ColumnSchema[] | null = null;
  let rowCount = 0;
  for (const file of files) {
    const fileSchema = await scanFile(engine, format, file);
    if (schema === null) schema = fileSchema.schema;
    else if (!sameSchema(schema, fileSchema.schema)) {
      throw new PlumbError(
        'invalid_argument',
        `${file.path}: its columns (${describe(fileSchema.schema)}) differ from ${files[0]!.path} (${describe(schema)})`,
      );
    }
    rowCount += fileSchema.rows;
  }
  const columns = schema!;
  for (const [option, column] of [
    ['time column', options.timeColumn],
    ['slice column', options.sliceColumn],
  ] as const) {
    if (column !== undefined && !columns.some((c) => c.name === column)) {
      throw new PlumbError(
        'invalid_argument',
        `the ${option} "${column}" is not a column (${describe(columns)})`,
      );
    }
  }
  if (options.timeColumn !== undefined) {
    const type = columns.find((c) => c.name === options.timeColumn)!.type;
    if (!/^(DATE|TIMESTAMP)/.test(type)) {
      throw new PlumbError(
        'invalid_argument',
        `the time column "${options.timeColumn}" holds ${type}, not dates or times`,
      );
    }
  }
  const source: DatasetSource = { format, paths: files.map((f) => f.localPath), columns };
  const sliceCounts = options.sliceColumn
    ? await countSlices(labelled(engine, files), source, options.sliceColumn)
    : null;
  return { format, schema: columns, rowCount, sliceCounts };
}

async function scanFile(
  anyEngine: AnalyticsEngine,
  format: DatasetFormat,
  file: ScanFile,
): Promise<{ schema: ColumnSchema[]; rows: number }> {
  if (file.size === 0) throw new PlumbError('invalid_argument', `${file.path}: the file is empty`);
  const source: DatasetSource = { format, paths: [file.localPath] };
  // Errors from here on name the file as the user does, without SQL or blob paths.
  const engine = labelled(anyEngine, [file]);
  const fail = async (error: unknown): Promise<never> => {
    if (format === 'csv') {
      const problem = await diagnoseCsv(file.localPath);
      if (problem)
        throw new PlumbError('invalid_argument', `${file.path}: ${problem.message}`, {
          details: { file: file.path, line: problem.line },
        });
    }
    const message = error instanceof Error ? error.message : String(error);
    const clean = message.split('\n').slice(0, 3).join(' ');
    const hint =
      format === 'parquet' && /magic bytes|footer/i.test(message) ? ' (this is not a Parquet file)' : '';
    throw new PlumbError('invalid_argument', `${clean}${hint}`, {
      details: { file: file.path },
      cause: error,
    });
  };

  if (format === 'csv') {
    await checkCsvColumnCount(file);
    await checkCsvHeader(engine, file);
  }
  let schema: ColumnSchema[];
  let rows: number;
  try {
    // Types come from the first rows; the passes after this one reuse them.
    const described = await engine.query(`DESCRIBE SELECT * FROM ${tableSql(source)}`);
    schema = described.map((d) => {
      const type = String(d.column_type);
      const nested = nestedKind(type);
      return { name: String(d.column_name), type, ...(nested ? { nested } : {}) };
    });
    if (schema.length > MAX_COLUMNS) throw tooManyColumns(file, schema.length);
    // count(*) alone is answered without converting a single value; counting every column
    // makes DuckDB read and type-check the whole file, so a value that does not fit fails here.
    const counts = schema.map((c, i) => `count(${quoteIdent(c.name)}) AS c${i}`).join(', ');
    const counted = await engine.query(
      `SELECT count(*) AS n, ${counts} FROM ${tableSql({ ...source, columns: schema })}`,
    );
    rows = Number(counted[0]!.n);
  } catch (error) {
    return fail(error);
  }
  if (rows === 0) throw new PlumbError('invalid_argument', `${file.path}: the file has no rows`);
  if (format === 'jsonl') await checkJsonTypes(engine, file, schema);
  else if (format === 'csv') await checkMixedText(engine, file, { ...source, columns: schema }, schema);
  return { schema, rows };
}

function tooManyColumns(file: ScanFile, columns: number, atLeast = false): PlumbError {
  return new PlumbError(
    'invalid_argument',
    `${file.path}: it has ${atLeast ? 'more than ' : ''}${columns} columns; a dataset may have at most ${MAX_COLUMNS}`,
    { details: { file: file.path, columns, maxColumns: MAX_COLUMNS } },
  );
}

/** Counts the header's fields (commas outside double quotes) from its bytes, before any scan. */
async function checkCsvColumnCount(file: ScanFile): Promise<void> {
  const handle = await open(file.localPath, 'r');
  let columns = 1;
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let quoted = false;
    for (let offset = 0; offset < HEADER_READ_BYTES; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) {
        const b = buffer[i];
        if (b === 0x22) quoted = !quoted;
        else if (quoted) continue;
        else if (b === 0x2c) {
          if (++columns > MAX_COLUMNS) throw tooManyColumns(file, MAX_COLUMNS, true);
        } else if (b === 0x0a || b === 0x0d) return;
      }
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

async function checkCsvHeader(engine: AnalyticsEngine, file: ScanFile): Promise<void> {
  let header: Record<string, unknown> | undefined;
  try {
    [header] = await engine.query(
      `SELECT * FROM read_csv(${quoteLiteral(file.localPath)}, header = false, delim = ',', quote = '"', escape = '"', all_varchar = true, null_padding = true) LIMIT 1`,
    );
  } catch {
    return; // the full scan reports structural errors with their line
  }
  const names = Object.values(header ?? {}).map((v) => String(v ?? ''));
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name.trim() === '')
      throw new PlumbError('invalid_argument', `${file.path}: column ${i + 1} of the header has no name`);
    if (seen.has(name))
      throw new PlumbError('invalid_argument', `${file.path}: the header names column "${name}" twice`);
    seen.add(name);
  }
}

/**
 * A text column most of whose values are numbers holds a typo or a stray marker ("N/A",
 * "three") that would silently turn a numeric feature into text: rejected, naming the row.
 * Columns that are mostly text (names, codes) may contain digits freely.
 */
async function checkMixedText(
  engine: AnalyticsEngine,
  file: ScanFile,
  source: DatasetSource,
  schema: ColumnSchema[],
): Promise<void> {
  const text = schema.filter((c) => c.type === 'VARCHAR');
  if (text.length === 0) return;
  const parts = text.map(
    (c, i) =>
      `count(${quoteIdent(c.name)}) AS n${i}, count(*) FILTER (WHERE TRY_CAST(${quoteIdent(c.name)} AS DOUBLE) IS NOT NULL) AS d${i}`,
  );
  const [counts] = await engine.query(`SELECT ${parts.join(', ')} FROM ${tableSql(source)}`);
  for (const [i, column] of text.entries()) {
    const nonNull = Number(counts![`n${i}`]);
    const numeric = Number(counts![`d${i}`]);
    if (numeric * 2 > nonNull && numeric < nonNull) {
      const col = quoteIdent(column.name);
      const [first] = await engine.query(
        `SELECT rn, v FROM (SELECT row_number() OVER () AS rn, ${col} AS v FROM ${tableSql(source)}) WHERE v IS NOT NULL AND TRY_CAST(v AS DOUBLE) IS NULL LIMIT 1`,
      );
      const row = Number(first!.rn);
      throw new PlumbError(
        'invalid_argument',
        `${file.path}: column "${column.name}" mixes numbers and text: line ${row + 1} has ${JSON.stringify(first!.v)} where ${numeric} of ${nonNull} values are numbers`,
        { details: { file: file.path, column: column.name, line: row + 1 } },
      );
    }
  }
}

/** JSON values of one field must share a kind (numbers, strings, booleans, objects, arrays). */
async function checkJsonTypes(
  engine: AnalyticsEngine,
  file: ScanFile,
  schema: ColumnSchema[],
): Promise<void> {
  const objects = `read_json_objects(${quoteLiteral(file.localPath)}, format = 'newline_delimited')`;
  for (const column of schema) {
    const path = quoteLiteral(`$.${JSON.stringify(column.name)}`);
    const kinds = await engine.query(
      `SELECT k, min(rn) AS first FROM (SELECT row_number() OVER () AS rn, CASE WHEN json_type(json, ${path}) IN ('BIGINT','UBIGINT','DOUBLE') THEN 'number' ELSE lower(json_type(json, ${path})) END AS k FROM ${objects}) WHERE k IS NOT NULL AND k <> 'null' GROUP BY k ORDER BY first`,
    );
    if (kinds.length > 1) {
      const [a, b] = kinds;
      throw new PlumbError(
        'invalid_argument',
        `${file.path}: field "${column.name}" holds ${a!.k} values and, from line ${b!.first}, ${b!.k} values`,
        { details: { file: file.path, column: column.name, line: Number(b!.first) } },
      );
    }
  }
}

async function countSlices(
  engine: AnalyticsEngine,
  source: DatasetSource,
  column: string,
): Promise<Record<string, number>> {
  const rows = await engine.query(
    `SELECT CAST(${quoteIdent(column)} AS VARCHAR) AS s, count(*) AS n FROM ${tableSql(source)} GROUP BY 1 ORDER BY 2 DESC LIMIT ${MAX_SLICES + 1}`,
  );
  if (rows.length > MAX_SLICES) {
    throw new PlumbError(
      'invalid_argument',
      `the slice column "${column}" has more than ${MAX_SLICES} distinct values`,
    );
  }
  return Object.fromEntries(rows.map((r) => [r.s === null ? '(null)' : String(r.s), Number(r.n)]));
}

function labelled(engine: AnalyticsEngine, files: ScanFile[]): AnalyticsEngine {
  return engine.forFiles(files.map((f) => ({ localPath: f.localPath, name: f.path })));
}

function sameSchema(a: ColumnSchema[], b: ColumnSchema[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i]!.name && c.type === b[i]!.type);
}

function describe(schema: ColumnSchema[]): string {
  return schema.map((c) => `${c.name} ${c.type}`).join(', ');
}
