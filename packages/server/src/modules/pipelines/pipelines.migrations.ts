import { type Kysely, PostgresAdapter } from 'kysely';

export const pipelinesMigrations = {
  'pipelines/0001_pipelines': {
    async up(db: Kysely<unknown>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      await db.schema
        .createTable('pipelines')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .addColumn('webhook_secret', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('pipelines_project_name', ['project_id', 'name'])
        .execute();
      await db.schema
        .createTable('pipeline_versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('yaml', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('base_dir', 'text')
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('pipeline_versions_number', ['pipeline_id', 'version'])
        .execute();
      await db.schema
        .createTable('pipeline_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id'))
        .addColumn('pipeline_name', 'text', (c) => c.notNull())
        .addColumn('version_id', 'text', (c) => c.notNull().references('pipeline_versions.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('trigger_kind', 'text', (c) => c.notNull())
        .addColumn('trigger_detail', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addUniqueConstraint('pipeline_runs_dedup', ['pipeline_id', 'dedup_key'])
        .execute();
      await db.schema
        .createIndex('pipeline_runs_project')
        .on('pipeline_runs')
        .columns(['project_id', 'id'])
        .execute();
      await db.schema
        .createTable('pipeline_steps')
        .addColumn('run_id', 'text', (c) => c.notNull().references('pipeline_runs.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('outputs', 'text')
        .addColumn('cache_key', 'text')
        .addColumn('cached_from', 'text')
        .addColumn('approval', 'text')
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('error', 'text')
        .addPrimaryKeyConstraint('pipeline_steps_pk', ['run_id', 'name'])
        .execute();
      // Cache look-ups: the newest successful step with this key.
      await db.schema
        .createIndex('pipeline_steps_cache')
        .on('pipeline_steps')
        .columns(['cache_key'])
        .execute();
      await db.schema
        .createTable('pipeline_attempts')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('error', 'text')
        .addColumn('exit_code', 'integer')
        .addPrimaryKeyConstraint('pipeline_attempts_pk', ['run_id', 'step', 'attempt'])
        .execute();
      await db.schema
        .createTable('pipeline_logs')
        .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) => c.primaryKey())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('pipeline_logs_run')
        .on('pipeline_logs')
        .columns(['run_id', 'seq'])
        .execute();
      await db.schema
        .createTable('pipeline_approvals')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('pipeline_approvals_pk', ['run_id', 'step', 'actor'])
        .execute();
    },
  },
};
