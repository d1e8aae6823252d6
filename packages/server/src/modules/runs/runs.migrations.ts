import type { Kysely } from 'kysely';

export const runsMigrations = {
  '0010_runs': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('code_version', 'text')
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('metric_count', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      // Lists are per project, newest first, optionally by name or status.
      await db.schema.createIndex('runs_project_id').on('runs').columns(['project_id', 'id']).execute();
      await db.schema.createIndex('runs_project_name').on('runs').columns(['project_id', 'name']).execute();

      await db.schema
        .createTable('run_tags')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_tags_pk', ['run_id', 'key'])
        .execute();
      await db.schema.createIndex('run_tags_key_value').on('run_tags').columns(['key', 'value']).execute();

      await db.schema
        .createTable('run_inputs')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('dataset_version_id', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_inputs_pk', ['run_id', 'dataset_version_id'])
        .execute();
      await db.schema
        .createIndex('run_inputs_dataset_version')
        .on('run_inputs')
        .column('dataset_version_id')
        .execute();

      // No foreign key on the point tables: they take thousands of rows per batch and the
      // service already checks the run under a lock in the same transaction.
      await db.schema
        .createTable('run_metrics')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_metrics_pk', ['run_id', 'seq'])
        .execute();
      await db.schema
        .createIndex('run_metrics_history')
        .on('run_metrics')
        .columns(['run_id', 'key', 'step', 'seq'])
        .execute();

      await db.schema
        .createTable('run_latest_metrics')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_latest_metrics_pk', ['run_id', 'key'])
        .execute();

      await db.schema
        .createTable('run_artifacts')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('blob_ref', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_artifacts_pk', ['run_id', 'path'])
        .execute();
      await db.schema.createIndex('run_artifacts_blob').on('run_artifacts').column('blob_ref').execute();
    },
  },
};
