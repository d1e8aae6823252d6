import type { ColumnSchema } from '@plumb/sdk';
import type { AnalyticsEngine, Cell } from '../../../storage/analytics/duckdb-engine.js';
import { type DatasetSource, tableSql } from '../dataset-source.js';

/** Rows shown per failing expectation: enough to see the pattern, small enough for a report. */
export const SAMPLE_ROWS = 5;

/** Internal column names carry this prefix and are dropped from the rows shown to users. */
export const INTERNAL = '__plumb_';
export const ROW = `"${INTERNAL}row"`;
const FILE = `"${INTERNAL}file"`;

export interface FailingRowsQuery {
  /** Predicate over the numbered rows (all columns plus any `select` expressions). */
  where: string;
  /** Extra expressions (window functions) computed over all numbered rows before filtering. */
  select?: string;
  orderBy?: string;
  params: Cell[];
}

/**
 * Counts a source's rows and finds failing rows with their 1-based row number in their file
 * (`_row`; `_file`, the 1-based position among the source's paths, when there are several).
 * Rows are numbered by `row_number() OVER ()`, which DuckDB evaluates as a streaming window
 * that keeps scan order (insertion order is preserved by default); the numbering is done
 * before any filter, so it is the row's position in the file, not in the result.
 */
export class RowLocator {
  private constructor(
    private readonly engine: AnalyticsEngine,
    private readonly source: DatasetSource,
    readonly rowCount: number,
    /** Rows before each file, when rows are numbered per file. */
    private readonly fileOffsets: number[] | null,
  ) {}

  static async open(
    engine: AnalyticsEngine,
    source: DatasetSource,
    columns: ColumnSchema[],
  ): Promise<RowLocator> {
    const table = tableSql(source);
    // `file_index` is a virtual column of DuckDB's file readers; a real column of that name
    // hides it, and then rows are numbered across the whole version instead.
    const perFile = source.paths.length > 1 && !columns.some((c) => c.name === 'file_index');
    if (!perFile) {
      const [row] = await engine.query(`SELECT count(*) AS n FROM ${table}`);
      return new RowLocator(engine, source, Number(row?.n ?? 0), null);
    }
    const rows = await engine.query(
      `SELECT file_index AS f, count(*) AS n FROM ${table} GROUP BY 1 ORDER BY 1`,
    );
    const counts = new Array<number>(source.paths.length).fill(0);
    for (const r of rows) counts[Number(r.f)] = Number(r.n);
    const offsets: number[] = [];
    let total = 0;
    for (const n of counts) {
      offsets.push(total);
      total += n;
    }
    return new RowLocator(engine, source, total, offsets);
  }

  /** The source's rows with `${ROW}` (and the file index) in front, as a subquery. */
  numberedSql(): string {
    const file = this.fileOffsets ? `, file_index AS ${FILE}` : '';
    return `SELECT row_number() OVER () AS ${ROW}${file}, * FROM ${tableSql(this.source)}`;
  }

  async sample(query: FailingRowsQuery): Promise<Record<string, Cell>[]> {
    const inner = query.select
      ? `SELECT *, ${query.select} FROM (${this.numberedSql()})`
      : this.numberedSql();
    const sql = `SELECT * FROM (${inner}) WHERE ${query.where} ORDER BY ${query.orderBy ?? ROW} LIMIT ${SAMPLE_ROWS}`;
    const rows = await this.engine.query(sql, query.params);
    return rows.map((row) => this.present(row));
  }

  private present(row: Record<string, Cell>): Record<string, Cell> {
    const n = Number(row[`${INTERNAL}row`]);
    const out: Record<string, Cell> = {};
    if (this.fileOffsets) {
      const file = Number(row[`${INTERNAL}file`]);
      out._file = file + 1;
      out._row = n - (this.fileOffsets[file] ?? 0);
    } else {
      out._row = n;
    }
    for (const [key, value] of Object.entries(row)) {
      if (!key.startsWith(INTERNAL) && !(key in out)) out[key] = value;
    }
    return out;
  }
}
