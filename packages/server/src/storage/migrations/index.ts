import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { auditMigrations } from '../../core/audit/audit.migrations.js';
import { accessMigrations } from '../../modules/access/access.migrations.js';
import { datasetMigrations } from '../../modules/datasets/datasets.migrations.js';
import { evalsMigrations } from '../../modules/evals/evals.migrations.js';
import { registryMigrations } from '../../modules/registry/registry.migrations.js';
import { runsMigrations } from '../../modules/runs/runs.migrations.js';
import { jobsMigrations } from '../queue/jobs.migrations.js';
import type { Database } from '../schema.js';

/**
 * The one migration set, for SQLite and PostgreSQL alike. Modules own their migrations; names
 * start with a global sequence number because Kysely applies them in name order.
 */
const migrations: Record<string, Migration> = {
  ...accessMigrations,
  ...auditMigrations,
  ...jobsMigrations,
  ...runsMigrations,
  ...datasetMigrations,
  ...registryMigrations,
  ...evalsMigrations,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies pending migrations; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<string[]> {
  // Naming the schema keeps Kysely from mistaking another schema's bookkeeping tables for ours.
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
