import type { Kysely, Migration } from 'kysely';

export const performanceMigrations: Record<string, Migration> = {
  'performance/0001_outcomes_traffic': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('performance_outcomes')
        .addColumn('prediction_id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('model_version', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('predicted_label', 'text')
        .addColumn('score', 'double precision')
        .addColumn('actual_label', 'text')
        .addColumn('actual_value', 'double precision')
        .addColumn('segments', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('performance_outcomes_endpoint_time')
        .on('performance_outcomes')
        .columns(['project_id', 'endpoint', 'time'])
        .execute();
      await db.schema
        .createTable('performance_traffic')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('model_version', 'text', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('predictions', 'bigint', (c) => c.notNull())
        .addColumn('errors', 'bigint', (c) => c.notNull())
        .addColumn('fallbacks', 'bigint', (c) => c.notNull())
        .addColumn('cost_usd', 'double precision', (c) => c.notNull())
        .addColumn('prompt_tokens', 'bigint', (c) => c.notNull())
        .addColumn('completion_tokens', 'bigint', (c) => c.notNull())
        .addColumn('latency', 'text')
        .addColumn('scores', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('performance_traffic_pk', [
          'project_id',
          'endpoint',
          'window_start',
          'model_version',
        ])
        .execute();
      await db.schema
        .createTable('performance_cursors')
        .addColumn('project_id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  'performance/0002_traffic_days': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('performance_traffic_days')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('model_version', 'text', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('hours', 'bigint', (c) => c.notNull())
        .addColumn('predictions', 'bigint', (c) => c.notNull())
        .addColumn('errors', 'bigint', (c) => c.notNull())
        .addColumn('fallbacks', 'bigint', (c) => c.notNull())
        .addColumn('cost_usd', 'double precision', (c) => c.notNull())
        .addColumn('prompt_tokens', 'bigint', (c) => c.notNull())
        .addColumn('completion_tokens', 'bigint', (c) => c.notNull())
        .addColumn('latency', 'text')
        .addColumn('scores', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('performance_traffic_days_pk', [
          'project_id',
          'endpoint',
          'window_start',
          'model_version',
        ])
        .execute();
    },
  },
};
