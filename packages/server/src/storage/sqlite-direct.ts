import type SQLite from 'better-sqlite3';
import { isLockBusy, mapDriverError } from './db-errors.js';

/** What `attempt` answers when the connection or the write lock is taken: the caller goes through Kysely. */
export const HELD: unique symbol = Symbol('held');

/**
 * Direct statements on the server's SQLite connection for the few that run on every prediction
 * (the audit head read, the inference log's append). Through Kysely each one takes the driver's
 * connection mutex, a lock-wait wrapper and some ten promises; at 1,000 lone requests a second,
 * where nothing is amortized, that machinery cost more than the statements themselves.
 *
 * A direct statement runs only when the connection is free: no transaction open on it (a
 * Kysely transaction awaiting between its statements would otherwise take the statement in) and,
 * for a write, no query iterating on it. Otherwise, and when a write finds another connection holding the
 * write lock (busy timeout 0), `attempt` answers `HELD` without having changed anything, and the
 * caller takes the Kysely path, which waits its turn and for the lock without blocking the loop.
 */
export class SqliteDirect {
  private readonly transaction: SQLite.Transaction<(statements: [string, unknown[]][]) => void>;

  /** `prepare` is the connection's statement cache, the one Kysely's queries use. */
  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly prepare: (sql: string) => SQLite.Statement,
  ) {
    this.transaction = sqlite.transaction((statements: [string, unknown[]][]) => {
      for (const [sql, params] of statements) this.prepare(sql).run(params);
    });
  }

  /** The first row of a read, or `HELD`. */
  get<T>(sql: string, params: unknown[] = []): T | undefined | typeof HELD {
    return this.attempt(() => this.prepare(sql).get(...params) as T | undefined);
  }

  /**
   * Runs the statements, each `[sql, params]`, in one `begin immediate` transaction, or answers
   * `HELD` having written nothing. A statement's own failure (a constraint) rolls the whole
   * transaction back and is thrown, mapped as the adapter maps driver errors.
   */
  runInTransaction(statements: [sql: string, params: unknown[]][]): undefined | typeof HELD {
    return this.attempt(() => {
      this.transaction.immediate(statements);
      return undefined;
    });
  }

  private attempt<T>(fn: () => T): T | typeof HELD {
    if (this.sqlite.inTransaction) return HELD;
    try {
      return fn();
    } catch (error) {
      if (isHeld(error)) return HELD;
      throw mapDriverError(error);
    }
  }
}

/**
 * Another connection holds the write lock (`begin immediate` failed before changing anything),
 * or a query of this connection is still iterating (better-sqlite3 refuses to run another).
 */
function isHeld(error: unknown): boolean {
  return isLockBusy(error) || (error instanceof TypeError && /busy executing a query/.test(error.message));
}
