import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
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
import { isLockBusy, mapDriverError } from './db-errors.js';
import type { Database } from './schema.js';
import { SqliteDirect } from './sqlite-direct.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type DialectName = 'sqlite' | 'postgres';

/** How long a statement waits for another connection's write lock before failing, as busy_timeout did. */
const LOCK_WAIT_MS = 5000;

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  /** PostgreSQL schema holding Plumb's tables; undefined on SQLite. */
  schema?: string;
  /** The SQLite database file, which another connection (a thread's) may open; undefined in memory and on PostgreSQL. */
  file?: string;
  /** SQLite: direct statements for the per-prediction hot path, used when the connection is free. */
  direct?: SqliteDirect;
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
  /** SQLite: how long a write waits for another connection's lock before failing; default 5 s. */
  lockWaitMs?: number;
}

/** Opens the metadata database named by URL: `sqlite:PATH`, `:memory:` or `postgres://…`. */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Db {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  return openSqlite(url, options.lockWaitMs);
}

function openSqlite(url: string, lockWaitMs = LOCK_WAIT_MS): Db {
  const memory = url === ':memory:' || url === 'sqlite::memory:';
  const path = memory ? ':memory:' : pathFromUrl(url);
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last
  // transactions, which FULL would prevent at a large cost per commit.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // No busy timeout: SQLite's waits by sleeping the calling thread, which here is the event loop
  // that answers requests. A write that finds another connection holding the lock (the inference
  // log's writer thread, the job thread, the WAL checkpointer, a `plumb` process) waits for it
  // asynchronously instead (SqliteLockWait), leaving the loop and the connection to other work.
  sqlite.pragma('busy_timeout = 0');
  const statements = withStatementCache(sqlite);
  const kysely = new Kysely<Database>({
    dialect: withMappedErrors(new SqliteDialect({ database: statements }), {
      beginImmediate: true,
      lockWait: new SqliteLockWait(sqlite, lockWaitMs),
    }),
  });
  const checkpointer = memory ? undefined : new WalCheckpointer(sqlite, path);
  return {
    kysely,
    dialect: 'sqlite',
    direct: new SqliteDirect(sqlite, (sql) => statements.prepare(sql)),
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
function withMappedErrors(
  dialect: Dialect,
  options: { beginImmediate?: boolean; lockWait?: SqliteLockWait } = {},
): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () =>
      new MappedErrorsDriver(dialect.createDriver(), options.beginImmediate === true, options.lockWait),
  };
}

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');

/**
 * Waits for SQLite's write lock without blocking the thread. A statement that finds the lock
 * taken fails at once (busy timeout 0) and is tried again after a pause of 1 ms, growing to
 * 10 ms, for up to `LOCK_WAIT_MS`; during each pause the connection is released, so the reads
 * of other requests run meanwhile (outside a transaction nothing is half done: the statement
 * that failed changed nothing). Inside a transaction, which began holding the lock, a statement
 * never finds it taken.
 */
class SqliteLockWait {
  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly limitMs: number,
  ) {}

  /**
   * Runs `attempt` until it does not fail for a lock held elsewhere, calling `pause` (which
   * releases the connection, sleeps, and takes it again) between tries.
   */
  async retry<T>(attempt: () => Promise<T>, pause: (ms: number) => Promise<void>): Promise<T> {
    const deadline = Date.now() + this.limitMs;
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isLockBusy(error) || this.sqlite.inTransaction || Date.now() >= deadline) throw error;
        await pause(Math.min(10, 1 + tries));
      }
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long a chain of queries may hold the event loop before the next one waits for a turn of it. */
const YIELD_MS = 5;

/**
 * better-sqlite3 answers synchronously, so a chain of awaited queries (a job folding a minute of
 * inference events 500 at a time, a long read loop) resolves in microtasks and never lets the
 * event loop run: on a server that runs jobs on its own loop, the first traffic fold after start
 * held it for 839 ms at 95,000 events. Once such a chain has run for `YIELD_MS` without a turn of
 * the loop, the next query waits for one, so requests are answered in between. Only where a
 * query takes the connection, never inside a transaction, which keeps the connection throughout.
 */
class LoopTurns {
  /** When a query first ran since the loop's last turn; undefined once that turn has come. */
  private since: number | undefined;

  async take(): Promise<void> {
    const now = performance.now();
    if (this.since === undefined) {
      this.since = now;
      setImmediate(() => {
        this.since = undefined;
      });
      return;
    }
    if (now - this.since >= YIELD_MS) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

class MappedErrorsDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly beginImmediate: boolean,
    private readonly lockWait?: SqliteLockWait,
    // SQLite alone: PostgreSQL's queries are asynchronous and give the loop its turns.
    private readonly turns = lockWait ? new LoopTurns() : undefined,
  ) {}
  init() {
    return this.inner.init().catch((e) => Promise.reject(mapDriverError(e)));
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.turns?.take();
    let connection: DatabaseConnection;
    try {
      connection = await this.inner.acquireConnection();
    } catch (e) {
      throw mapDriverError(e);
    }
    const lockWait = this.lockWait;
    if (!lockWait) return new MappedErrorsConnection(connection);
    return new MappedErrorsConnection(connection, (attempt) =>
      lockWait.retry(attempt, (ms) => this.pause(connection, ms)),
    );
  }
  /** Lets other queries use the (single) connection while this one waits for the write lock. */
  private async pause(connection: DatabaseConnection, ms: number): Promise<void> {
    await this.inner.releaseConnection(connection);
    await sleep(ms);
    const again = await this.inner.acquireConnection();
    // SQLite's driver has one connection; holding the same one again keeps Kysely's reference good.
    if (again !== connection) throw new Error('the SQLite driver handed out a second connection');
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    if (!this.beginImmediate) return this.inner.beginTransaction(unwrap(connection), settings);
    const inner = unwrap(connection);
    try {
      if (!this.lockWait) await inner.executeQuery(BEGIN_IMMEDIATE);
      else
        await this.lockWait.retry(
          () => inner.executeQuery(BEGIN_IMMEDIATE),
          (ms) => this.pause(inner, ms),
        );
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

type Retry = <T>(attempt: () => Promise<T>) => Promise<T>;

class MappedErrorsConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly retry?: Retry,
  ) {}
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      if (!this.retry) return await this.inner.executeQuery<R>(query);
      return await this.retry(() => this.inner.executeQuery<R>(query));
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
