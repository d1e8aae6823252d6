import { extname } from 'node:path';
import { PlumbError } from '../../core/errors.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { quoteLiteral } from '../../storage/analytics/sql-text.js';

export type DatasetFormat = 'csv' | 'jsonl' | 'parquet';

const EXTENSIONS: Record<string, DatasetFormat> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

export function detectFormat(path: string): DatasetFormat | null {
  return EXTENSIONS[extname(path).toLowerCase()] ?? null;
}

export function requireFormat(path: string): DatasetFormat {
  const format = detectFormat(path);
  if (!format) {
    throw new PlumbError(
      'invalid_argument',
      `${path}: unsupported file type; use .csv, .jsonl (.ndjson) or .parquet`,
    );
  }
  return format;
}

/** One scannable table: a version's files, all of one format, as local paths. */
export interface DatasetSource {
  format: DatasetFormat;
  /** Local paths DuckDB reads (blob files), in the version's path order. */
  paths: string[];
  /** The paths the files were added under, in the same order: what messages call them. */
  names?: string[];
  /**
   * The recorded schema. With it, CSV is read with these types instead of detecting them,
   * which otherwise costs a full extra pass over every file on every query.
   */
  columns?: { name: string; type: string }[];
}

/** The engine, with errors that name the sources' files as their users named them. */
export function engineFor(engine: AnalyticsEngine, ...sources: DatasetSource[]): AnalyticsEngine {
  return engine.forFiles(
    sources.flatMap((s) => s.paths.map((localPath, i) => ({ localPath, name: s.names?.[i] ?? 'a file' }))),
  );
}

/**
 * The DuckDB table expression reading a source. Without a recorded schema, CSV types are
 * detected from the first 102,400 rows: detecting over the whole file held about twice the
 * file's size in memory. A later value that does not fit its column's type then fails the
 * full read with its line number, and errors are never skipped.
 */
export function tableSql(source: DatasetSource): string {
  const list = `[${source.paths.map(quoteLiteral).join(', ')}]`;
  switch (source.format) {
    case 'csv':
      if (source.columns?.length) {
        const types = source.columns
          .map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`)
          .join(', ');
        return `read_csv(${list}, header = true, delim = ',', quote = '"', escape = '"', auto_detect = false, columns = {${types}}, strict_mode = true, ignore_errors = false, null_padding = false)`;
      }
      return `read_csv(${list}, header = true, delim = ',', quote = '"', escape = '"', auto_detect = true, sample_size = 102400, strict_mode = true, ignore_errors = false, null_padding = false)`;
    case 'jsonl':
      return `read_json(${list}, format = 'newline_delimited', records = true, sample_size = 102400)`;
    case 'parquet':
      return `read_parquet(${list})`;
  }
}
