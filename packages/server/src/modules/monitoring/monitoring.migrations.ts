import { type Kysely, PostgresAdapter } from 'kysely';

export const monitoringMigrations = {
  'monitoring/0001_profiles_monitors': {
    async up(db: Kysely<unknown>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      await db.schema
        .createTable('monitoring_profiles')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('model_version', 'text', (c) => c.notNull())
        .addColumn('feature', 'text', (c) => c.notNull())
        .addColumn('level_ms', 'bigint', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('part', 'text', (c) => c.notNull())
        .addColumn('events', 'bigint', (c) => c.notNull())
        .addColumn('profile', postgres ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        // Reads walk one endpoint's windows of one level in time order.
        .addPrimaryKeyConstraint('monitoring_profiles_pk', [
          'project_id',
          'endpoint',
          'level_ms',
          'window_start',
          'model_version',
          'feature',
          'part',
        ])
        .execute();
      await db.schema
        .createTable('monitoring_rollups')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('level_ms', 'bigint', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('rolled_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('monitoring_rollups_pk', [
          'project_id',
          'endpoint',
          'level_ms',
          'window_start',
        ])
        .execute();
      await db.schema
        .createTable('monitoring_monitors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('reference_version_id', 'text', (c) => c.notNull())
        .addColumn('window_ms', 'bigint', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('reference_data', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('monitoring_monitors_project_endpoint')
        .on('monitoring_monitors')
        .columns(['project_id', 'endpoint'])
        .execute();
      await db.schema
        .createTable('monitoring_window_results')
        .addColumn('monitor_id', 'text', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('window_end', 'bigint', (c) => c.notNull())
        .addColumn('share_drifted', 'double precision', (c) => c.notNull())
        .addColumn('dataset_drifted', 'integer', (c) => c.notNull())
        .addColumn('features', 'text', (c) => c.notNull())
        .addColumn('computed_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('monitoring_window_results_pk', ['monitor_id', 'window_start'])
        .execute();
    },
  },
  'monitoring/0002_window_series': {
    async up(db: Kysely<unknown>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      // Each window's statistics and verdicts as numbers, which charts read without JSON.
      await db.schema
        .alterTable('monitoring_window_results')
        .addColumn('series', postgres ? 'bytea' : 'blob')
        .execute();
    },
  },
};
