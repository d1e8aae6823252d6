import { type ExpressionBuilder, sql } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../database.js';
import type { Database } from '../schema.js';
import { DbJobSchedules } from './db-job-schedules.js';
import type {
  EnqueueOptions,
  Job,
  JobQueue,
  JobStatus,
  ListJobsOptions,
  Schedule,
  ScheduleSpec,
} from './job-queue.js';
import {
  checkDuration,
  checkMaxAttempts,
  checkName,
  DEFAULT_MAX_ATTEMPTS,
  errorText,
  type JobRow,
  toJob,
  toJson,
} from './job-rows.js';
import { type BackoffOptions, RetryBackoff } from './retry-backoff.js';

export type { BackoffOptions } from './retry-backoff.js';

export interface DbJobQueueOptions {
  clock?: Clock;
  backoff?: BackoffOptions;
}

// Bounds the work of one claim when many dead workers' jobs are settled at once; the rest are
// settled by the next claims.
const MAX_SETTLED_PER_CLAIM = 16;
// Literal, as in the partial indexes, so both planners can prove the index applies (SQLite
// cannot with bound parameters).
const ACTIVE = sql<boolean>`status in ('queued', 'running')`;
const LEASE_EXPIRED = 'lease expired: the worker stopped renewing it before the job finished';

/**
 * The job queue over the `jobs` table, one code path for SQLite and PostgreSQL. A claim is one
 * statement: update the oldest claimable job only if it is still claimable (compare-and-set),
 * returning it, so of concurrent claimers exactly one wins each job.
 */
export class DbJobQueue implements JobQueue {
  private readonly clock: Clock;
  private readonly backoff: RetryBackoff;
  private readonly schedules: DbJobSchedules;

  constructor(
    private readonly db: Db,
    options: DbJobQueueOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.backoff = new RetryBackoff(options.backoff);
    this.schedules = new DbJobSchedules(db, this.clock);
  }

  async enqueue<P>(
    queue: string,
    payload: P,
    options: EnqueueOptions = {},
    executor: Executor = this.db.kysely,
  ): Promise<Job<P>> {
    checkName('queue', queue);
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    checkMaxAttempts(maxAttempts);
    const dedupeKey = options.dedupeKey ?? null;
    if (dedupeKey !== null) checkName('dedupeKey', dedupeKey);
    const now = this.now();
    const runAt = options.runAt === undefined ? now : options.runAt.getTime();
    if (!Number.isFinite(runAt)) throw new PlumbError('invalid_argument', 'runAt must be a valid date');
    const row: JobRow = {
      id: newId('job'),
      queue,
      payload: toJson(payload, 'payload'),
      status: 'queued',
      attempts: 0,
      max_attempts: maxAttempts,
      run_at: runAt,
      lease_until: null,
      worker_id: null,
      last_error: null,
      result: null,
      progress: null,
      dedupe_key: dedupeKey,
      schedule_name: null,
      scheduled_for: null,
      created_at: now,
      updated_at: now,
    };
    // A conflict can only come from the partial unique index on the dedupe key. DO NOTHING
    // rather than catching the violation, which would abort the caller's PostgreSQL transaction.
    // The loop covers the existing job finishing between the insert and the read.
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await executor
        .insertInto('jobs')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return toJob<P>(inserted);
      const existing = await executor
        .selectFrom('jobs')
        .selectAll()
        .where('queue', '=', queue)
        .where('dedupe_key', '=', dedupeKey)
        .where(ACTIVE)
        .executeTakeFirst();
      if (existing) return toJob<P>(existing);
    }
    throw new PlumbError('conflict', 'the job with this dedupe key kept changing; try again', {
      details: { queue, dedupeKey },
    });
  }

  async claim(queues: readonly string[], workerId: string, leaseMs: number): Promise<Job | null> {
    if (queues.length === 0) return null;
    checkName('workerId', workerId);
    checkDuration('leaseMs', leaseMs);
    const postgres = this.db.dialect === 'postgres';
    // A running job past its lease on its last attempt is settled as dead by whichever claim
    // finds it, then the claim looks for the next job.
    const settle = sql<boolean>`status = 'running' and attempts >= max_attempts`;
    const lastError = sql<string>`case when status = 'running' then ${LEASE_EXPIRED} else last_error end`;
    for (let settled = 0; settled < MAX_SETTLED_PER_CLAIM; settled++) {
      const now = this.now();
      // The cast types the parameter for PostgreSQL, which cannot infer it next to NULL.
      const leaseUntil = sql<number>`cast(${now + leaseMs} as bigint)`;
      const row = await this.db.kysely
        .updateTable('jobs')
        .set({
          status: sql<JobStatus>`case when ${settle} then 'dead' else 'running' end`,
          worker_id: sql<string>`case when ${settle} then worker_id else ${workerId} end`,
          lease_until: sql<number | null>`case when ${settle} then null else ${leaseUntil} end`,
          attempts: sql<number>`case when ${settle} then attempts else attempts + 1 end`,
          last_error: lastError,
          updated_at: now,
        })
        .where('id', '=', (eb) =>
          eb
            .selectFrom('jobs')
            .select('id')
            .where('queue', 'in', queues)
            .where((inner) => claimable(inner, now))
            .orderBy('run_at')
            .orderBy('id')
            .limit(1)
            // Measured with 16 concurrent claimers on PostgreSQL: ~800 claims+completions/s
            // with SKIP LOCKED, ~360 without, where claimers queue on the same row lock and
            // 1.5 claims per job come back empty. SQLite runs the whole statement under its
            // single writer lock, so it cannot race.
            .$if(postgres, (qb) => qb.forUpdate().skipLocked()),
        )
        // The compare-and-set: the row must still be claimable when the update reaches it.
        .where((eb) => claimable(eb, now))
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      if (row.status === 'running') return toJob(row);
    }
    return null;
  }

  async heartbeat(jobId: string, workerId: string, leaseMs: number, progress?: unknown): Promise<boolean> {
    checkDuration('leaseMs', leaseMs);
    const now = this.now();
    const result = await this.db.kysely
      .updateTable('jobs')
      .set({
        lease_until: now + leaseMs,
        updated_at: now,
        ...(progress === undefined ? {} : { progress: toJson(progress, 'progress') }),
      })
      .where('id', '=', jobId)
      .where('worker_id', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async complete(jobId: string, workerId: string, result?: unknown): Promise<Job | null> {
    const now = this.now();
    const row = await this.db.kysely
      .updateTable('jobs')
      .set({ status: 'succeeded', result: toJson(result, 'result'), lease_until: null, updated_at: now })
      .where('id', '=', jobId)
      .where('worker_id', '=', workerId)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async fail(jobId: string, workerId: string, error: unknown): Promise<Job | null> {
    const current = await this.db.kysely
      .selectFrom('jobs')
      .select(['attempts', 'max_attempts'])
      .where('id', '=', jobId)
      .where('worker_id', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (!current) return null;
    const now = this.now();
    const final = current.attempts >= current.max_attempts;
    const row = await this.db.kysely
      .updateTable('jobs')
      .set({
        ...(final
          ? { status: 'dead' }
          : { status: 'queued', worker_id: null, run_at: now + this.backoff.delayMs(current.attempts) }),
        lease_until: null,
        last_error: errorText(error),
        updated_at: now,
      })
      .where('id', '=', jobId)
      .where('worker_id', '=', workerId)
      .where('status', '=', 'running')
      .where('attempts', '=', current.attempts)
      .returningAll()
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async cancel(jobId: string): Promise<Job> {
    const row = await this.db.kysely
      .updateTable('jobs')
      .set({ status: 'cancelled', lease_until: null, updated_at: this.now() })
      .where('id', '=', jobId)
      .where(ACTIVE)
      .returningAll()
      .executeTakeFirst();
    if (row) return toJob(row);
    const job = await this.mustGet(jobId);
    if (job.status === 'cancelled') return job;
    throw new PlumbError('failed_precondition', `job ${jobId} already ended as ${job.status}`, {
      details: { jobId, status: job.status },
    });
  }

  async retry(jobId: string): Promise<Job> {
    const now = this.now();
    let row: JobRow | undefined;
    try {
      row = await this.db.kysely
        .updateTable('jobs')
        // The last error stays for the record until the next attempt replaces it.
        .set({
          status: 'queued',
          attempts: 0,
          run_at: now,
          lease_until: null,
          worker_id: null,
          updated_at: now,
        })
        .where('id', '=', jobId)
        .where('status', 'in', ['dead', 'cancelled'])
        .returningAll()
        .executeTakeFirst();
    } catch (e) {
      if (!PlumbError.is(e, 'already_exists')) throw e;
      throw new PlumbError(
        'already_exists',
        `job ${jobId} cannot be queued again: another job with its dedupe key is queued or running`,
        { details: { jobId }, cause: e },
      );
    }
    if (row) return toJob(row);
    const job = await this.mustGet(jobId);
    throw new PlumbError(
      'failed_precondition',
      `job ${jobId} is ${job.status}; only dead or cancelled jobs can be retried`,
      { details: { jobId, status: job.status } },
    );
  }

  schedule(name: string, spec: ScheduleSpec): Promise<Schedule> {
    return this.schedules.schedule(name, spec);
  }

  unschedule(name: string): Promise<boolean> {
    return this.schedules.unschedule(name);
  }

  listSchedules(): Promise<Schedule[]> {
    return this.schedules.list();
  }

  tickSchedules(now?: Date): Promise<Job[]> {
    return this.schedules.tick(now);
  }

  async get(id: string): Promise<Job | null> {
    const row = await this.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async list(options: ListJobsOptions = {}): Promise<Job[]> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new PlumbError('invalid_argument', 'limit must be an integer from 1 to 500', {
        details: { limit },
      });
    }
    const rows = await this.db.kysely
      .selectFrom('jobs')
      .selectAll()
      .$if(options.queue !== undefined, (qb) => qb.where('queue', '=', options.queue!))
      .$if(options.status !== undefined, (qb) => qb.where('status', '=', options.status!))
      .$if(options.before !== undefined, (qb) => qb.where('id', '<', options.before!))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => toJob(row));
  }

  private async mustGet(jobId: string): Promise<Job> {
    const job = await this.get(jobId);
    if (!job) throw new PlumbError('not_found', `job ${jobId} does not exist`, { details: { jobId } });
    return job;
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

/**
 * Queued and due, or running with a lease that has passed (its worker is presumed gone). A job
 * was claimed only once due, so `run_at <= now` holds for both and bounds the index range.
 */
function claimable(eb: ExpressionBuilder<Database, 'jobs'>, now: number) {
  return eb.and([
    ACTIVE,
    eb('run_at', '<=', now),
    eb.or([eb('status', '=', 'queued'), eb('lease_until', '<=', now)]),
  ]);
}
