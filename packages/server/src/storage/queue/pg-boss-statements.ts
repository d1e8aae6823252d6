import type { Job } from './job-queue.js';
import { type JobData, jobColumns, jobIdOf } from './pg-boss-rows.js';
import { PgBossSchedules } from './pg-boss-schedules.js';

// Bounds the work of one claim when many dead workers' jobs are settled at once.
const MAX_SETTLED_PER_CLAIM = 16;
export const LEASE_EXPIRED = 'lease expired: the worker stopped renewing it before the job finished';

// pg-boss's fetch, over several queues, by due time, with a lease and the claiming worker,
// in one statement. A job whose lease passed is claimable as if waiting, unless that was
// its last attempt: then the first CTE settles it as dead, whether or not it is read.
// Parameters: queues, now, lease (ms), worker id, now (ms), the lease-expired message.
export function claimStatement(s: string): string {
  const expired = `state = 'active' AND started_on + expire_in <= $2::timestamptz`;
  return `WITH dead AS (
         UPDATE ${s}.job j SET state = 'failed', completed_on = $2::timestamptz,
           output = coalesce(j.output, '{}'::jsonb) || jsonb_build_object('lastError', $6::text, 'updatedAt', $5::bigint)
         FROM (
           SELECT name, id FROM ${s}.job
           WHERE name = ANY($1::text[]) AND ${expired} AND retry_count >= retry_limit
           LIMIT ${MAX_SETTLED_PER_CLAIM} FOR UPDATE SKIP LOCKED
         ) d
         WHERE j.name = d.name AND j.id = d.id
       ), next AS (
         SELECT name, id FROM ${s}.job
         WHERE name = ANY($1::text[]) AND (
           (state < 'active' AND start_after <= $2::timestamptz) OR (${expired} AND retry_count < retry_limit))
         ORDER BY start_after, id
         LIMIT 1 FOR UPDATE SKIP LOCKED
       )
       UPDATE ${s}.job j SET
         state = 'active',
         started_on = $2::timestamptz,
         retry_count = CASE WHEN j.started_on IS NOT NULL THEN j.retry_count + 1 ELSE j.retry_count END,
         expire_in = $3::bigint * interval '1 millisecond',
         output = jsonb_build_object('workerId', $4::text,
           'lastError', CASE WHEN j.state = 'active' THEN to_jsonb($6::text) ELSE j.output->'lastError' END,
           'progress', j.output->'progress', 'updatedAt', $5::bigint)
       FROM next WHERE j.name = next.name AND j.id = next.id
       RETURNING ${jobColumns('j')}`;
}

/**
 * What the adapter's statements need beside pg-boss's own indexes: lookups by id alone, the
 * dedupe key held once among waiting and running jobs, and running jobs for lease checks.
 * Created on the parent tables, so every queue's partition gets them, now and later; under an
 * advisory lock, as processes starting together would otherwise race on them.
 */
export function indexStatements(s: string): string {
  return `
      BEGIN;
      SELECT pg_advisory_xact_lock(hashtext('plumb.pgboss.${s}'));
      CREATE INDEX IF NOT EXISTS plumb_job_id ON ${s}.job (id);
      CREATE INDEX IF NOT EXISTS plumb_archive_id ON ${s}.archive (id);
      CREATE UNIQUE INDEX IF NOT EXISTS plumb_job_dedupe ON ${s}.job (name, singleton_key)
        WHERE state < 'completed' AND singleton_key IS NOT NULL;
      CREATE INDEX IF NOT EXISTS plumb_job_active ON ${s}.job (name, started_on) WHERE state = 'active';
      ${PgBossSchedules.createTable(s)};
      COMMIT;
    `;
}

/** The job just sent, as it reads back, without reading it back. */
export function sentJob<P>(
  uuid: string,
  queue: string,
  text: string,
  options: { runAt: number; maxAttempts: number; dedupeKey: string | null },
): Job<P> {
  const data = JSON.parse(text) as JobData;
  return {
    id: jobIdOf(uuid),
    queue,
    payload: (data.payload ?? null) as P,
    status: 'queued',
    attempts: 0,
    maxAttempts: options.maxAttempts,
    runAt: new Date(options.runAt),
    leaseUntil: null,
    workerId: null,
    lastError: null,
    result: null,
    progress: null,
    dedupeKey: options.dedupeKey,
    scheduleName: data.scheduleName ?? null,
    scheduledFor: data.scheduledFor === undefined ? null : new Date(data.scheduledFor),
    createdAt: new Date(data.enqueuedAt),
    updatedAt: new Date(data.enqueuedAt),
  };
}
