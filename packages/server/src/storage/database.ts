import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  PostgresDialect,
  type QueryResult,
  SqliteDialect,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import { pathFromUrl } from '../core/config.js';
import { mapDriverError } from './db-errors.js';
import type { Database } from './schema.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  /** PostgreSQL schema holding Plumb's tables; undefined on SQLite. */
  schema?: string;
  /** The SQLite database file, which another connection (a thread's) may open; undefined in memory and on PostgreSQL. */
  file?: string;
  close(): Promise<void>;
}

export type Executor = Kysely<Database>;

// pg returns int8 (bigint, count(*)) as strings; our integers are millisecond times and counts,
// far below 2^53, so they are converted to numbers once, here.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface OpenDatabaseOptions {
  /** PostgreSQL schema to use (created if missing); tests use one schema per suite. */
  schema?: string;
  poolSize?: number;
}

/** Opens the metadata database named by URL: `sqlite:PATH`, `:memory:` or `postgres://…`. */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Db {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  return openSqlite(url);
}

function openSqlite(url: string): Db {
  const memory = url === ':memory:' || url === 'sqlite::memory:';
  const path = memory ? ':memory:' : pathFromUrl(url);
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last
  // transactions, which FULL would prevent at a large cost per commit.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({
    dialect: withMappedErrors(new SqliteDialect({ database: withStatementCache(sqlite) }), {
      beginImmediate: true,
    }),
  });
  const checkpointer = memory ? undefined : new WalCheckpointer(sqlite, path);
  return {
    kysely,
    dialect: 'sqlite',
    ...(memory ? {} : { file: path }),
    close: async () => {
      await checkpointer?.close();
      await kysely.destroy();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing was the largest single cost of a
 * logged prediction (about 11% of the server's CPU at 1,000 predictions a second). Statements
 * are kept by their SQL text, least recently used first out; one still being iterated is busy,
 * and then a fresh statement is prepared for the overlapping query.
 */
function withStatementCache(sqlite: SQLite.Database, size = 500) {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SQLite.Statement {
      const cached = statements.get(sql);
      if (cached) {
        if (cached.busy) return sqlite.prepare(sql);
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > size) statements.delete(statements.keys().next().value as string);
      return statement;
    },
  };
}

function openPostgres(url: string, options: OpenDatabaseOptions): Db {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new TypeError(`invalid PostgreSQL schema name ${schema}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const kysely = new Kysely<Database>({ dialect: withMappedErrors(new PostgresDialect({ pool })) });
  return {
    kysely,
    dialect: 'postgres',
    schema: schema ?? 'public',
    close: () => kysely.destroy(),
  };
}

/**
 * Wraps a dialect so every driver error is mapped to PlumbError inside the adapter.
 * `beginImmediate` (SQLite): a transaction takes the write lock when it begins. Other
 * connections write the same file (the inference log's writer thread, job threads, `plumb`
 * processes); a deferred transaction that read before one of them committed could not write
 * afterwards (SQLITE_BUSY_SNAPSHOT, which no busy timeout retries), while one that begins with
 * the lock waits for the other writer as the busy timeout allows and then reads current data.
 */
function withMappedErrors(dialect: Dialect, options: { beginImmediate?: boolean } = {}): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () => new MappedErrorsDriver(dialect.createDriver(), options.beginImmediate === true),
  };
}

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');

class MappedErrorsDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly beginImmediate: boolean,
  ) {}
  init() {
    return this.inner.init().catch((e) => Promise.reject(mapDriverError(e)));
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    let connection: DatabaseConnection;
    try {
      connection = await this.inner.acquireConnection();
    } catch (e) {
      throw mapDriverError(e);
    }
    return new MappedErrorsConnection(connection);
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    if (!this.beginImmediate) return this.inner.beginTransaction(unwrap(connection), settings);
    try {
      await unwrap(connection).executeQuery(BEGIN_IMMEDIATE);
    } catch (e) {
      throw mapDriverError(e);
    }
  }
  commitTransaction(connection: DatabaseConnection) {
    return this.inner.commitTransaction(unwrap(connection)).catch((e) => Promise.reject(mapDriverError(e)));
  }
  rollbackTransaction(connection: DatabaseConnection) {
    return this.inner.rollbackTransaction(unwrap(connection));
  }
  releaseConnection(connection: DatabaseConnection) {
    return this.inner.releaseConnection(unwrap(connection));
  }
  destroy() {
    return this.inner.destroy();
  }
}

class MappedErrorsConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (e) {
      throw mapDriverError(e);
    }
  }
  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (e) {
      throw mapDriverError(e);
    }
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof MappedErrorsConnection ? connection.inner : connection;
}

/** Creates a PostgreSQL schema if needed; used by tests and by deployments that share a database. */
export async function ensurePostgresSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await client.end();
  }
}

export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
