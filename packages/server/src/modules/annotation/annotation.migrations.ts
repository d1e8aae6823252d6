import { type Kysely, sql } from 'kysely';

export const annotationMigrations = {
  'annotation/0001_projects': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('annotation_projects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('schema_yaml', 'text', (c) => c.notNull())
        .addColumn('schema', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('guidelines_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('annotation_projects_name', ['project_id', 'name'])
        .execute();
      await db.schema
        .createTable('annotation_guidelines')
        .addColumn('annotation_project_id', 'text', (c) => c.notNull().references('annotation_projects.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('markdown', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('annotation_guidelines_pk', ['annotation_project_id', 'version'])
        .execute();
      await db.schema
        .createTable('annotation_items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('annotation_project_id', 'text', (c) => c.notNull().references('annotation_projects.id'))
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('source_kind', 'text', (c) => c.notNull())
        .addColumn('source_ref', 'text', (c) => c.notNull())
        .addColumn('source_key', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('is_gold', 'integer', (c) => c.notNull())
        .addColumn('gold_answer', 'text')
        .addColumn('target', 'integer')
        .addColumn('taken', 'integer', (c) => c.notNull())
        .addColumn('labelled', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('agreement', 'double precision')
        .addColumn('consensus', 'text')
        .addColumn('consensus_source', 'text')
        .addColumn('spot_check', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('annotation_items_source', ['annotation_project_id', 'source_key'])
        // The overlap, enforced by the database: whatever the interleaving of transactions,
        // an update that would hand out one slot too many fails instead.
        .addCheckConstraint('annotation_items_within_overlap', sql`target is null or taken <= target`)
        .execute();
      await db.schema
        .createIndex('annotation_items_queue')
        .on('annotation_items')
        .columns(['annotation_project_id', 'is_gold', 'status', 'ordinal'])
        .execute();
      await db.schema
        .createTable('annotation_assignments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('annotation_project_id', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull().references('annotation_items.id'))
        .addColumn('annotator', 'text', (c) => c.notNull())
        .addColumn('annotator_name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('guidelines_version', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('assigned_ms', 'bigint', (c) => c.notNull())
        .addColumn('assigned_at', 'text', (c) => c.notNull())
        // Nobody is given the same item twice, even asking twice at once.
        .addUniqueConstraint('annotation_assignments_once', ['item_id', 'annotator'])
        .execute();
      await db.schema
        .createIndex('annotation_assignments_annotator')
        .on('annotation_assignments')
        .columns(['annotation_project_id', 'annotator', 'status'])
        .execute();
      await db.schema
        .createIndex('annotation_assignments_lease')
        .on('annotation_assignments')
        .columns(['annotation_project_id', 'status', 'assigned_ms'])
        .execute();
      await db.schema
        .createTable('annotation_labels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('annotation_project_id', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull().references('annotation_items.id'))
        .addColumn('assignment_id', 'text', (c) => c.notNull())
        .addColumn('annotator', 'text', (c) => c.notNull())
        .addColumn('annotator_name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('guidelines_version', 'integer', (c) => c.notNull())
        .addColumn('correct', 'integer')
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('duration_ms', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('annotation_labels_once', ['item_id', 'annotator'])
        .execute();
      await db.schema
        .createIndex('annotation_labels_project')
        .on('annotation_labels')
        .columns(['annotation_project_id', 'id'])
        .execute();
      await db.schema
        .createTable('annotation_reviews')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('annotation_project_id', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull().references('annotation_items.id'))
        .addColumn('reviewer', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('annotation_calibrations')
        .addColumn('annotation_project_id', 'text', (c) => c.notNull())
        .addColumn('annotator', 'text', (c) => c.notNull())
        .addColumn('items', 'integer', (c) => c.notNull())
        .addColumn('correct', 'integer', (c) => c.notNull())
        .addColumn('score', 'double precision')
        .addColumn('completed_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('annotation_calibrations_pk', ['annotation_project_id', 'annotator'])
        .execute();
      await db.schema
        .createTable('annotation_exports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('annotation_project_id', 'text', (c) => c.notNull())
        .addColumn('dataset_version_id', 'text', (c) => c.notNull())
        .addColumn('dataset_ref', 'text', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('left_out', 'integer', (c) => c.notNull())
        .addColumn('lineage', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
