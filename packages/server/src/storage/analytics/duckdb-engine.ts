import {
  DuckDBArrayValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { PlumbError } from '../../core/errors.js';
import type { Cell } from './sql-text.js';
import { quoteIdent, quoteLiteral } from './sql-text.js';

export { type Cell, quoteIdent, quoteLiteral } from './sql-text.js';

/** A file a query reads, and the name its user gave it (the path they uploaded it as). */
export interface FileLabel {
  localPath: string;
  name: string;
}

export interface AnalyticsEngineOptions {
  /** The only directories queries may read (the blob store's root); everything else is refused. */
  allowedDirectories: string[];
  threads?: number;
  memoryLimit?: string;
}

/**
 * DuckDB over the blob files: dataset scans, profiles, diffs, validation. File access is
 * confined to `allowedDirectories` and the configuration is then locked, so no SQL that runs
 * here (ours, or built from a user's expectation) can read other files or load extensions.
 */
export class AnalyticsEngine {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly directories: readonly string[],
    private readonly files: readonly FileLabel[] = [],
    private readonly owner = true,
  ) {}

  static async open(options: AnalyticsEngineOptions): Promise<AnalyticsEngine> {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      ...(options.threads ? { threads: String(options.threads) } : {}),
      ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
    });
    const connection = await instance.connect();
    try {
      const dirs = options.allowedDirectories.map((d) => quoteLiteral(d.endsWith('/') ? d : `${d}/`));
      await connection.run(`SET allowed_directories = [${dirs.join(', ')}]`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
    } finally {
      connection.closeSync();
    }
    return new AnalyticsEngine(instance, options.allowedDirectories);
  }

  /**
   * The same engine, whose errors name `files` as their user does instead of by their blob
   * path. Every error is also stripped of the SQL that failed and of any other stored path:
   * messages reach users, who know neither.
   */
  forFiles(files: readonly FileLabel[]): AnalyticsEngine {
    return new AnalyticsEngine(this.instance, this.directories, files, false);
  }

  private fail(error: unknown): PlumbError {
    return mapDuckError(error, { files: this.files, directories: this.directories });
  }

  /** Runs a query and returns plain JSON-able rows (BIGINT/DECIMAL as numbers, times as ISO text). */
  async query(sql: string, params: Cell[] = []): Promise<Record<string, Cell>[]> {
    const connection = await this.instance.connect();
    try {
      const reader = params.length
        ? await (async () => {
            const prepared = await connection.prepare(sql);
            for (const [i, p] of params.entries()) bind(prepared, i + 1, p);
            return prepared.runAndReadAll();
          })()
        : await connection.runAndReadAll(sql);
      const names = reader.columnNames();
      return reader.getRows().map((row) => {
        const out: Record<string, Cell> = {};
        row.forEach((v, i) => {
          out[names[i]!] = toCell(v);
        });
        return out;
      });
    } catch (error) {
      throw this.fail(error);
    } finally {
      connection.closeSync();
    }
  }

  /**
   * Streams a query's result in column chunks (about 2,048 rows each) so large scans never
   * hold the whole result. Values are converted as in `query`.
   *
   * DuckDB's streaming fetch ends a failed query exactly like a finished one (an empty chunk;
   * its Node bindings expose no error), so a conversion error on row 150,000 would silently
   * truncate the result. Every stream is therefore checked at its end: against `expectedRows`
   * when the caller knows the count, otherwise by a second pass that reads every column and
   * reports DuckDB's real error if there is one.
   */
  async *stream(
    sql: string,
    options: { expectedRows?: number } = {},
  ): AsyncGenerator<{ columns: string[]; types: string[]; values: Cell[][]; rows: number }> {
    const connection = await this.instance.connect();
    let streamed = 0;
    let columns: string[] = [];
    try {
      let result: Awaited<ReturnType<typeof connection.stream>>;
      try {
        result = await connection.stream(sql);
      } catch (error) {
        throw this.fail(error);
      }
      columns = result.columnNames();
      const types = result.columnTypes().map((t) => t.toString());
      // The next chunk is fetched while the caller works on this one, so DuckDB and JavaScript
      // run side by side instead of taking turns.
      let next: Promise<Awaited<ReturnType<typeof result.fetchChunk>>> | undefined = result.fetchChunk();
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof result.fetchChunk>>;
          try {
            chunk = await next;
          } catch (error) {
            next = undefined;
            throw this.fail(error);
          }
          if (!chunk || chunk.rowCount === 0) {
            next = undefined;
            break;
          }
          const values = columns.map((_, i) => chunk!.getColumnValues(i).map(toCell));
          next = result.fetchChunk();
          streamed += chunk.rowCount;
          yield { columns, types, values, rows: chunk.rowCount };
        }
      } finally {
        // A caller that stops early leaves one fetch in flight; settle it before closing.
        await next?.catch(() => null);
      }
    } finally {
      connection.closeSync();
    }
    if (options.expectedRows !== undefined && options.expectedRows === streamed) return;
    const counts = columns.map((c, i) => `count(${quoteIdent(c)}) AS c${i}`);
    const [check] = await this.query(
      `SELECT count(*) AS n${counts.length ? `, ${counts.join(', ')}` : ''} FROM (${sql}) AS streamed`,
    );
    const total = Number(check!.n);
    if (total !== streamed || (options.expectedRows !== undefined && options.expectedRows !== total)) {
      throw new PlumbError(
        'internal',
        `the scan stopped after ${streamed} of ${options.expectedRows ?? total} rows without an error from DuckDB`,
      );
    }
  }

  /** Closes DuckDB; a view from `forFiles` leaves it to the engine it came from. */
  close(): void {
    if (this.owner) this.instance.closeSync();
  }
}

function bind(
  prepared: {
    bindVarchar(i: number, v: string): void;
    bindDouble(i: number, v: number): void;
    bindBoolean(i: number, v: boolean): void;
    bindNull(i: number): void;
    bindBigInt(i: number, v: bigint): void;
  },
  index: number,
  value: Cell,
): void {
  if (value === null) prepared.bindNull(index);
  else if (typeof value === 'string') prepared.bindVarchar(index, value);
  else if (typeof value === 'boolean') prepared.bindBoolean(index, value);
  // A JavaScript number past ±2^63 is an integer too, and no BIGINT holds it.
  else if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) prepared.bindBigInt(index, BigInt(value));
  else prepared.bindDouble(index, value);
}

/** DuckDB values → JSON cells, at the edge: BIGINT and DECIMAL become numbers, times ISO text. */
export function toCell(value: DuckDBValue): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    const ms = Number(value.micros / 1000n);
    return Number.isFinite(ms) ? new Date(ms).toISOString() : String(value);
  }
  if (value instanceof DuckDBDateValue) return String(value);
  // Lists, structs and maps as JSON text: DuckDB's own rendering leaves strings unquoted.
  if (isNested(value)) return JSON.stringify(toJson(value));
  return String(value);
}

function isNested(value: DuckDBValue): boolean {
  return (
    value instanceof DuckDBListValue ||
    value instanceof DuckDBArrayValue ||
    value instanceof DuckDBStructValue ||
    value instanceof DuckDBMapValue
  );
}

function toJson(value: DuckDBValue): unknown {
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(toJson);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toJson(v)]));
  }
  if (value instanceof DuckDBMapValue) {
    return Object.fromEntries(value.entries.map((e) => [String(toCell(e.key)), toJson(e.value)]));
  }
  return toCell(value);
}

/**
 * DuckDB's messages are precise (file, line, column) but written for the author of the query:
 * they quote the SQL ("LINE 1: SELECT … read_parquet(['/…/blobs/sha256/…'])"), the blob paths
 * and the reader's options. Users see what is wrong, with the file named as they named it.
 */
export function mapDuckError(
  error: unknown,
  context: { files?: readonly FileLabel[]; directories?: readonly string[] } = {},
): PlumbError {
  if (error instanceof PlumbError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  if (/Permission Error/.test(raw)) {
    return new PlumbError('permission_denied', 'that file is outside the data Plumb may read', {
      cause: error,
    });
  }
  const message = userMessage(raw, context.files ?? [], context.directories ?? []);
  if (/Out of Memory/i.test(raw)) {
    return new PlumbError('unavailable', `the analytics engine ran out of memory: ${message}`, {
      cause: error,
    });
  }
  return new PlumbError('invalid_argument', message, { cause: error });
}

/** Lines of DuckDB's message after which only advice about its own SQL and options follows. */
const ADVICE =
  /^(LINE \d+:|Possible (solutions|fixes)|Column \S+ is being converted|This type was (auto-detected|either)|\s+file = )/;

function userMessage(raw: string, files: readonly FileLabel[], directories: readonly string[]): string {
  const lines: string[] = [];
  for (const line of raw.split('\n')) {
    if (ADVICE.test(line)) break;
    if (line.trim() !== '') lines.push(line.trim());
  }
  let text = lines.slice(0, 4).join('\n');
  // Longest first, so a path that extends another is replaced whole.
  for (const file of [...files].sort((a, b) => b.localPath.length - a.localPath.length)) {
    text = text.replaceAll(file.localPath, file.name);
  }
  for (const dir of directories) {
    const root = dir.endsWith('/') ? dir.slice(0, -1) : dir;
    text = text.replace(new RegExp(`${escapeRegExp(root)}[^\\s'"\\],)]*`, 'g'), 'a stored file');
  }
  // "Candidate bindings: read_csv.amount" and the like name our table functions.
  text = text.replace(/\bread_(csv|json|parquet)\w*\./g, '');
  // "Conversion Error: …": the class of error says nothing a user can act on.
  text = text.replace(/^[A-Z][A-Za-z ]* Error: /, '');
  // One file read: the message leads with it, as every other error about a file does.
  if (files.length === 1 && !text.startsWith(`${files[0]!.name}: `)) text = `${files[0]!.name}: ${text}`;
  return text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
