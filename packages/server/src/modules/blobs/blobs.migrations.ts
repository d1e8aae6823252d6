import { type Kysely, PostgresAdapter, sql } from 'kysely';

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
      const present = new Set((await tableNames(db)).map((r) => r.name));
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

/**
 * The tables of our own schema. Not Kysely's introspection: on PostgreSQL it reads every
 * schema's catalog, and fails when another schema is dropped meanwhile (parallel test runs).
 */
async function tableNames(db: Kysely<unknown>): Promise<{ name: string }[]> {
  const query =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? sql<{ name: string }>`select c.relname as name from pg_class c
          join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = current_schema() and c.relkind in ('r', 'p')`
      : sql<{ name: string }>`select name from sqlite_master where type = 'table'`;
  return (await query.execute(db)).rows;
}
