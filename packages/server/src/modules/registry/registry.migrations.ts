import type { Kysely } from 'kysely';
import type { RegistryTables } from './registry.tables.js';

export const registryMigrations = {
  '0020_registry': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('risk_class', 'text', (c) => c.notNull())
        .addColumn('gated_aliases', 'text', (c) => c.notNull())
        .addColumn('approval_required', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('models_project_name', ['project_id', 'name'])
        .execute();

      // No foreign key to runs: modules do not reach into each other's tables; the service
      // checks the run through the runs service before registering.
      await db.schema
        .createTable('model_versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('artifact_kind', 'text', (c) => c.notNull())
        .addColumn('blob_ref', 'text')
        .addColumn('artifact_size', 'bigint')
        .addColumn('upstream_url', 'text')
        .addColumn('upstream_model', 'text')
        .addColumn('signature', 'text')
        .addColumn('run_id', 'text')
        .addColumn('metrics', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('card', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('status_changed_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('model_versions_number', ['model_id', 'version'])
        .execute();
      await db.schema.createIndex('model_versions_blob').on('model_versions').column('blob_ref').execute();
      await db.schema.createIndex('model_versions_run').on('model_versions').column('run_id').execute();

      await db.schema
        .createTable('model_version_inputs')
        .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('dataset_version_id', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_version_inputs_pk', ['version_id', 'dataset_version_id'])
        .execute();

      // The primary key is what makes a first move of an alias a compare-and-set: of two
      // concurrent inserts, one fails.
      await db.schema
        .createTable('model_aliases')
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_aliases_pk', ['model_id', 'alias'])
        .execute();
      await db.schema.createIndex('model_aliases_version').on('model_aliases').column('version_id').execute();

      await db.schema
        .createTable('model_alias_history')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('from_version_id', 'text')
        .addColumn('to_version_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('model_alias_history_seq', ['model_id', 'alias', 'seq'])
        .execute();

      await db.schema
        .createTable('promotion_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('expected_version_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addColumn('comment', 'text')
        .execute();
      await db.schema
        .createIndex('promotion_requests_model_status')
        .on('promotion_requests')
        .columns(['model_id', 'status'])
        .execute();
      await db.schema
        .createIndex('promotion_requests_version')
        .on('promotion_requests')
        .column('version_id')
        .execute();
    },
  },
  // Models written before the risk floor was applied on write: high and unacceptable models
  // whose stored policy leaves champion ungated or approval off. Reads apply the floor anyway;
  // this makes the stored policy say what is in force. Written out here, not imported, so the
  // migration stays what it was when later code changes.
  'registry/0001_risk_floor': {
    async up(db: Kysely<unknown>) {
      const kysely = db as unknown as Kysely<RegistryTables>;
      const rows = await kysely
        .selectFrom('models')
        .select(['id', 'gated_aliases'])
        .where('risk_class', 'in', ['high', 'unacceptable'])
        .execute();
      for (const row of rows) {
        const gated = JSON.parse(row.gated_aliases) as string[];
        await kysely
          .updateTable('models')
          .set({
            gated_aliases: JSON.stringify(gated.includes('champion') ? gated : ['champion', ...gated]),
            approval_required: 1,
          })
          .where('id', '=', row.id)
          .execute();
      }
    },
  },
  // Where an OpenAI-compatible upstream's API key is read: JSON `{"env": NAME}` or `{"file": NAME}`.
  'registry/0002_upstream_credential': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('model_versions').addColumn('upstream_credential', 'text').execute();
    },
  },
  // What authorized a pipeline's move: its run (JSON) and the approvals it waited for (JSON array).
  'registry/0003_alias_move_authorization': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('model_alias_history').addColumn('pipeline_run', 'text').execute();
      await db.schema.alterTable('model_alias_history').addColumn('approved_by', 'text').execute();
    },
  },
};
