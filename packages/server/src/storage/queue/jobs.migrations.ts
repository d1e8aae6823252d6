import { type Kysely, sql } from 'kysely';

export const jobsMigrations = {
  '0003_jobs': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint')
        .addColumn('worker_id', 'text')
        .addColumn('last_error', 'text')
        .addColumn('result', 'text')
        .addColumn('progress', 'text')
        .addColumn('dedupe_key', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // Claims walk this in (run_at, id) order and stop at the first match. It holds only the
      // backlog and running jobs, never the finished history, so claims stay fast however many
      // jobs have run. Queries must repeat the predicate literally for either planner to use it.
      await db.schema
        .createIndex('jobs_active')
        .on('jobs')
        .columns(['run_at', 'id'])
        .where(sql<boolean>`status in ('queued', 'running')`)
        .execute();
      // Partial and unique: two concurrent enqueues with the same key cannot both insert, while
      // finished jobs keep their key without blocking new ones. Literal SQL because DDL takes
      // no bind parameters.
      await db.schema
        .createIndex('jobs_dedupe_active')
        .on('jobs')
        .columns(['queue', 'dedupe_key'])
        .unique()
        .where(sql<boolean>`dedupe_key is not null and status in ('queued', 'running')`)
        .execute();
    },
  },
  'jobs/0002_dead_letters_and_schedules': {
    async up(db: Kysely<unknown>) {
      // A job that used up its attempts is now `dead`, kept apart from jobs still retrying.
      await sql`update jobs set status = 'dead' where status = 'failed'`.execute(db);
      await db.schema.alterTable('jobs').addColumn('schedule_name', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('scheduled_for', 'bigint').execute();
      // One job per schedule tick, however many processes tick at once: the insert of a tick
      // already enqueued conflicts here and does nothing. Kept for finished jobs too, so a tick
      // is never enqueued twice.
      await db.schema
        .createIndex('jobs_schedule_tick')
        .on('jobs')
        .columns(['schedule_name', 'scheduled_for'])
        .unique()
        .where(sql<boolean>`schedule_name is not null`)
        .execute();
      await db.schema
        .createTable('job_schedules')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('cron', 'text', (c) => c.notNull())
        .addColumn('time_zone', 'text', (c) => c.notNull())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('next_run_at', 'bigint', (c) => c.notNull())
        .addColumn('last_run_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // Every worker poll asks for the due schedules.
      await db.schema
        .createIndex('job_schedules_next_run')
        .on('job_schedules')
        .column('next_run_at')
        .execute();
    },
  },
};
