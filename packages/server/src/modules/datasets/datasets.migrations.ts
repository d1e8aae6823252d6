import type { Kysely } from 'kysely';
import { deserializeProfiles, summarizeProfiles } from './dataset-profiler.js';
import type { DatasetTables } from './datasets.tables.js';

export const datasetMigrations = {
  '0004_datasets': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('datasets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('datasets_project_name', ['project_id', 'name'])
        .execute();
      await db.schema
        .createTable('dataset_versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('schema', 'text', (c) => c.notNull())
        .addColumn('row_count', 'bigint', (c) => c.notNull())
        .addColumn('byte_size', 'bigint', (c) => c.notNull())
        .addColumn('time_column', 'text')
        .addColumn('slice_column', 'text')
        .addColumn('slice_counts', 'text')
        .addColumn('profile_status', 'text', (c) => c.notNull())
        .addColumn('profile_error', 'text')
        .addColumn('profile', 'text')
        .addColumn('produced_by_run', 'text')
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('validation_status', 'text', (c) => c.notNull())
        .addColumn('validation_report_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('dataset_versions_number', ['dataset_id', 'version'])
        .addUniqueConstraint('dataset_versions_content', ['dataset_id', 'content_hash'])
        .execute();
      await db.schema
        .createTable('dataset_files')
        .addColumn('version_id', 'text', (c) => c.notNull().references('dataset_versions.id'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('blob_ref', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('dataset_files_pk', ['version_id', 'path'])
        .execute();
      await db.schema.createIndex('dataset_files_blob').on('dataset_files').column('blob_ref').execute();
      await db.schema
        .createTable('dataset_parents')
        .addColumn('version_id', 'text', (c) => c.notNull().references('dataset_versions.id'))
        .addColumn('parent_id', 'text', (c) => c.notNull().references('dataset_versions.id'))
        .addPrimaryKeyConstraint('dataset_parents_pk', ['version_id', 'parent_id'])
        .execute();
      await db.schema
        .createIndex('dataset_parents_parent')
        .on('dataset_parents')
        .column('parent_id')
        .execute();
      await db.schema
        .createTable('dataset_consumers')
        .addColumn('version_id', 'text', (c) => c.notNull().references('dataset_versions.id'))
        .addColumn('consumer_kind', 'text', (c) => c.notNull())
        .addColumn('consumer_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('dataset_consumers_pk', ['version_id', 'consumer_kind', 'consumer_id'])
        .execute();
      await db.schema
        .createTable('validation_reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('version_id', 'text', (c) => c.notNull().references('dataset_versions.id'))
        .addColumn('suite_name', 'text', (c) => c.notNull())
        .addColumn('suite', 'text', (c) => c.notNull())
        .addColumn('reference_version_id', 'text')
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('results', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('validation_reports_version')
        .on('validation_reports')
        .column('version_id')
        .execute();
    },
  },
  // The summary people read is stored beside the sketches, so listing versions never
  // deserializes sketches (about 2 ms per version with five columns).
  '0005_dataset_profile_summary': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('dataset_versions').addColumn('profile_summary', 'text').execute();
    },
  },
  // Which job profiles a version, so `dataset show` can say how far it got.
  'datasets/0001_profile_job': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('dataset_versions').addColumn('profile_job_id', 'text').execute();
    },
  },
  // Versions profiled before the summary column existed have sketches and no summary; without
  // this they would show no profile at all after an upgrade.
  'datasets/0002_backfill_profile_summary': {
    async up(db: Kysely<unknown>) {
      const kysely = db as unknown as Kysely<DatasetTables>;
      const rows = await kysely
        .selectFrom('dataset_versions')
        .select(['id', 'profile'])
        .where('profile', 'is not', null)
        .where('profile_summary', 'is', null)
        .execute();
      for (const row of rows) {
        const summary = JSON.stringify(summarizeProfiles(deserializeProfiles(row.profile!)));
        await kysely
          .updateTable('dataset_versions')
          .set({ profile_summary: summary })
          .where('id', '=', row.id)
          .execute();
      }
    },
  },
};
