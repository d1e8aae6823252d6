import { type Kysely, PostgresAdapter } from 'kysely';

export const eventsMigrations = {
  'events/0001_inference_log': {
    async up(db: Kysely<unknown>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      // A sequence as primary key: on SQLite an INTEGER PRIMARY KEY is the rowid itself, so
      // appends go to the end of the table's b-tree.
      await db.schema
        .createTable('inference_events')
        .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('endpoint', 'text')
        .addColumn('model_version', 'text')
        .addColumn('model_version_id', 'text')
        .addColumn('arm', 'text', (c) => c.notNull())
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('score', 'double precision')
        .addColumn('confidence', 'double precision')
        .addColumn('latency_ms', 'double precision')
        .addColumn('prompt_tokens', 'bigint')
        .addColumn('completion_tokens', 'bigint')
        .addColumn('cost_usd', 'double precision')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('trace_id', 'text')
        .addColumn('error', 'text')
        .execute();
      // One secondary index on purpose: on SQLite each one cost about a fifth of the ingest rate
      // (bench/events/run.mjs). Lists walk a project's events by time, newest first, and filter
      // the rest; a tail and retention walk the primary key.
      await db.schema
        .createIndex('inference_events_project_time')
        .on('inference_events')
        .columns(['project_id', 'time'])
        .execute();

      // No foreign key to the events: retention deletes both, feedback first.
      await db.schema
        .createTable('inference_feedback')
        .addColumn('prediction_id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('value', 'double precision')
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
};
