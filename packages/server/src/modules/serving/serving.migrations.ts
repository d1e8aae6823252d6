import type { Kysely } from 'kysely';
import { pricesMigration } from './openai-prices.migration.js';

export const servingMigrations = {
  'serving/0001_endpoints': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('endpoints_name', ['project_id', 'name'])
        .execute();

      await db.schema
        .createTable('serving_review_queue')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('prediction_id', 'text', (c) => c.notNull())
        .addColumn('model_version', 'text')
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('output', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('confidence', 'double precision', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // Read per endpoint, oldest first.
      await db.schema
        .createIndex('serving_review_queue_endpoint')
        .on('serving_review_queue')
        .columns(['endpoint_id', 'id'])
        .execute();

      await db.schema
        .createTable('serving_shadow_stats')
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('shadow', 'text', (c) => c.notNull())
        .addColumn('compared', 'bigint', (c) => c.notNull())
        .addColumn('failed', 'bigint', (c) => c.notNull())
        .addColumn('dropped', 'bigint', (c) => c.notNull())
        .addColumn('label_compared', 'bigint', (c) => c.notNull())
        .addColumn('label_agreed', 'bigint', (c) => c.notNull())
        .addColumn('score_compared', 'bigint', (c) => c.notNull())
        .addColumn('abs_score_diff_sum', 'double precision', (c) => c.notNull())
        .addColumn('latency_diff_sum_ms', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('serving_shadow_stats_pk', ['endpoint_id', 'shadow'])
        .execute();
    },
  },
  'serving/0100_prices': pricesMigration,
};
