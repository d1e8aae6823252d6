import { type Kysely, sql } from 'kysely';

/** Tables holding blob refs before ownership existed, and how to reach each one's project. */
const REFERENCES = [
  {
    tables: ['dataset_files', 'dataset_versions', 'datasets'],
    select: sql`select d.project_id as project_id, f.blob_ref as ref, f.size as size, v.created_at as created_at
      from dataset_files f join dataset_versions v on v.id = f.version_id join datasets d on d.id = v.dataset_id`,
  },
  {
    tables: ['run_artifacts', 'runs'],
    select: sql`select r.project_id as project_id, a.blob_ref as ref, a.size as size, a.created_at as created_at
      from run_artifacts a join runs r on r.id = a.run_id`,
  },
  {
    tables: ['model_versions', 'models'],
    select: sql`select m.project_id as project_id, v.blob_ref as ref, v.artifact_size as size, v.created_at as created_at
      from model_versions v join models m on m.id = v.model_id where v.blob_ref is not null`,
  },
];

export const blobsMigrations = {
  'blobs/0001_blob_owners': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('blob_owners')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('blob_owners_pk', ['project_id', 'ref'])
        .execute();
      // Garbage collection and the upload path look rows up by ref across projects.
      await db.schema.createIndex('blob_owners_ref').on('blob_owners').column('ref').execute();

      // Blobs referenced before ownership existed stay visible to the projects referencing them.
      // This one-time backfill reads other modules' tables; on a fresh database they may not
      // exist yet (or be empty), so each source is used only when its tables are there.
      const tables = await db.introspection.getTables();
      // PostgreSQL lists every schema's tables; only those on our search path count.
      const schema = tables.some((t) => t.schema !== undefined)
        ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
        : undefined;
      const present = new Set(tables.filter((t) => t.schema === schema).map((t) => t.name));
      const sources = REFERENCES.filter((r) => r.tables.every((t) => present.has(t)));
      if (sources.length === 0) return;
      const union = sql.join(
        sources.map((s) => s.select),
        sql` union all `,
      );
      await sql`insert into blob_owners (project_id, ref, size, created_at, created_by)
        select project_id, ref, max(size), min(created_at), 'system'
        from (${union}) refs group by project_id, ref`.execute(db);
    },
  },
};
