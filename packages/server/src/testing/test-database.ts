import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { migrate } from '../main.js';
import { type Db, dropPostgresSchema, ensurePostgresSchema, openDatabase } from '../storage/database.js';

export interface TestDatabase {
  db: Db;
  /** Closes the database and removes its file or schema. */
  dispose(): Promise<void>;
}

export type Backend = 'sqlite' | 'postgres';

/** PostgreSQL is tested when PLUMB_TEST_DATABASE_URL is set (CI sets it); SQLite always. */
export function testBackends(): Backend[] {
  return process.env.PLUMB_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

let counter = 0;

/** A fresh, migrated database: a temporary SQLite file, or a new PostgreSQL schema. */
export async function createTestDatabase(backend: Backend = 'sqlite'): Promise<TestDatabase> {
  if (backend === 'postgres') {
    const url = process.env.PLUMB_TEST_DATABASE_URL;
    if (!url) throw new Error('PLUMB_TEST_DATABASE_URL is not set');
    const schema = `plumb_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
    await ensurePostgresSchema(url, schema);
    const db = openDatabase(url, { schema, poolSize: 5 });
    await migrate(db);
    return {
      db,
      dispose: async () => {
        await db.close();
        await dropPostgresSchema(url, schema);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'plumb-db-'));
  const db = openDatabase(`sqlite:${join(dir, 'plumb.db')}`);
  await migrate(db);
  return {
    db,
    dispose: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs the same suite on every backend: the storage conformance rule that every adapter passes
 * the same tests. Without PLUMB_TEST_DATABASE_URL the PostgreSQL variant is registered as
 * skipped, so the test summary counts what was left out instead of hiding it.
 */
export function describeEachBackend(name: string, suite: (backend: Backend) => void): void {
  describe(`${name} [sqlite]`, () => suite('sqlite'));
  const postgres = testBackends().includes('postgres') ? describe : describe.skip;
  postgres(`${name} [postgres]`, () => suite('postgres'));
}
