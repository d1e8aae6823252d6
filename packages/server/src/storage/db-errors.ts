import { PlumbError } from '../core/errors.js';

/**
 * Maps a driver error to PlumbError so domain code never sees SQLite or PostgreSQL codes.
 * Unknown errors pass through unchanged (they become `internal` at the edge).
 */
export function mapDriverError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof PlumbError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') {
    return new PlumbError('already_exists', 'a record with the same key already exists', {
      cause: error,
      details: { constraint: (error as { constraint?: string }).constraint ?? error.message },
    });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') {
    return new PlumbError('failed_precondition', 'the record refers to something that does not exist', {
      cause: error,
    });
  }
  if (code === 'SQLITE_BUSY' || code === '40001' || code === '40P01') {
    return new PlumbError('conflict', 'the database was busy with a conflicting change; try again', {
      cause: error,
    });
  }
  if (
    code === 'ECONNREFUSED' ||
    code === '57P01' ||
    code === '57P03' ||
    code === '08006' ||
    code === '08001' ||
    code === 'SQLITE_CANTOPEN'
  ) {
    return new PlumbError('unavailable', `database unavailable: ${error.message}`, { cause: error });
  }
  return error;
}

/**
 * SQLite: another connection holds the lock this statement needed (busy timeout 0), so it
 * changed nothing and may be tried again. BUSY_SNAPSHOT is not that: the transaction's snapshot
 * is stale, and only a new transaction helps (`begin immediate` avoids it).
 */
export function isLockBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY') && code !== 'SQLITE_BUSY_SNAPSHOT';
}
