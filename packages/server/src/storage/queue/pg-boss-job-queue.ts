import PgBoss from 'pg-boss';
import { type Clock, systemClock } from '../../core/clock.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Db, Executor } from '../database.js';
import type { EnqueueOptions, Job, JobQueue, ListJobsOptions, Schedule, ScheduleSpec } from './job-queue.js';
import {
  checkDuration,
  checkMaxAttempts,
  checkName,
  DEFAULT_MAX_ATTEMPTS,
  errorText,
  toJson,
} from './job-rows.js';
import {
  type JobData,
  jobColumns,
  type SqlRunner,
  STATES_OF_STATUS,
  sqlRunner,
  toJob,
  uuidOf,
} from './pg-boss-rows.js';
import { PgBossSchedules } from './pg-boss-schedules.js';
import { claimStatement, indexStatements, LEASE_EXPIRED, sentJob } from './pg-boss-statements.js';
import { type BackoffOptions, RetryBackoff } from './retry-backoff.js';

export interface PgBossJobQueueOptions {
  /** The PostgreSQL schema pg-boss keeps its tables in. Default `pgboss`. */
  schema?: string;
  clock?: Clock;
  backoff?: BackoffOptions;
  /**
   * Run pg-boss's maintenance in this process: archiving finished jobs, dropping old archives,
   * and failing jobs whose lease passed long ago. Default true; tests on a moved clock turn it off.
   */
  maintenance?: boolean;
}

const ARCHIVED_COLUMNS = `id, name, priority, data, state, retry_limit, retry_count, retry_delay,
  retry_backoff, start_after, started_on, singleton_key, singleton_on, expire_in, created_on, completed_on,
  keep_until, output, dead_letter, policy`;
// pg-boss moves a job still waiting this long after its start time to its archive, unrun.
const RETENTION_DAYS = 3650;

/**
 * The job queue on pg-boss: pg-boss owns the tables (one partition per queue), their
 * migrations, job creation (`send`, inside the caller's transaction), cancellation and the
 * maintenance that archives finished jobs. Where pg-boss 10 has no counterpart of the
 * contract (a lease per claim renewed by heartbeats, fencing by worker, claims over several
 * queues by due time, fresh attempts on retry, listing across the archive) the adapter runs
 * its own statements on pg-boss's tables, in pg-boss's own style (SKIP LOCKED claims).
 *
 * Every time the adapter writes comes from the injected clock, so in production the workers'
 * clocks must agree with each other to within a small part of a lease, as for the jobs table.
 */
export class PgBossJobQueue implements JobQueue {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly sql: SqlRunner;
  private readonly schedules: PgBossSchedules;

  private constructor(
    private readonly db: Db,
    private readonly boss: PgBoss,
    private readonly schema: string,
    private readonly clock: Clock,
    private readonly backoff: RetryBackoff,
  ) {
    this.sql = sqlRunner(db.kysely);
    this.schedules = new PgBossSchedules(db, schema, clock, (queue, payload, options, executor) =>
      this.send(queue, payload, options, executor),
    );
  }

  /** Installs or migrates pg-boss's schema (once, however many processes start at once). */
  static async open(db: Db, options: PgBossJobQueueOptions = {}): Promise<PgBossJobQueue> {
    if (db.dialect !== 'postgres') {
      throw new PlumbError('failed_precondition', 'the pg-boss job queue needs a PostgreSQL database');
    }
    const schema = options.schema ?? 'pgboss';
    if (!/^[a-z_][a-z0-9_]{0,50}$/.test(schema)) {
      throw new PlumbError('invalid_argument', `invalid pg-boss schema name ${JSON.stringify(schema)}`);
    }
    const backoff = new RetryBackoff(options.backoff);
    const maintenance = options.maintenance ?? true;
    const boss = new PgBoss({
      db: sqlRunner(db.kysely) as PgBoss.Db,
      schema,
      supervise: maintenance,
      // The adapter ticks its own schedules; see PgBossSchedules.
      schedule: false,
      migrate: true,
      archiveCompletedAfterSeconds: 24 * 60 * 60,
      // Dead jobs stay where `retry` finds them without a trip through the archive.
      archiveFailedAfterSeconds: 30 * 24 * 60 * 60,
      deleteAfterDays: 30,
    });
    boss.on('error', () => {
      // Maintenance errors are retried at its next interval; a failing database shows in claims.
    });
    await boss.start();
    const queue = new PgBossJobQueue(db, boss, schema, options.clock ?? systemClock, backoff);
    await sqlRunner(db.kysely).executeSql(indexStatements(schema));
    return queue;
  }

  /** Stops pg-boss's maintenance timers; the database stays open (it is the caller's). */
  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, close: false, wait: true });
  }

  async enqueue<P>(
    queue: string,
    payload: P,
    options: EnqueueOptions = {},
    executor?: Executor,
  ): Promise<Job<P>> {
    checkName('queue', queue);
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    checkMaxAttempts(maxAttempts);
    const dedupeKey = options.dedupeKey ?? null;
    if (dedupeKey !== null) checkName('dedupeKey', dedupeKey);
    const now = this.now();
    const runAt = options.runAt === undefined ? now : options.runAt.getTime();
    if (!Number.isFinite(runAt)) throw new PlumbError('invalid_argument', 'runAt must be a valid date');
    return this.send(queue, { payload, enqueuedAt: now }, { runAt, maxAttempts, dedupeKey }, executor);
  }

  /** Creates the job through pg-boss; with a dedupe key already held, returns that job instead. */
  private async send<P>(
    queue: string,
    data: JobData,
    options: { runAt: number; maxAttempts: number; dedupeKey: string | null },
    executor?: Executor,
  ): Promise<Job<P>> {
    const text = toJson(data, 'payload');
    await this.ensureQueue(queue);
    const db = executor ? sqlRunner(executor) : this.sql;
    for (let attempt = 0; attempt < 3; attempt++) {
      // A pre-serialized object reaches the jsonb column as JSON, whatever the payload's type.
      const uuid = await this.boss.send(queue, text as unknown as object, {
        id: uuidOf(newId('job'))!,
        startAfter: new Date(options.runAt),
        retryLimit: options.maxAttempts - 1,
        retentionDays: RETENTION_DAYS,
        ...(options.dedupeKey === null ? {} : { singletonKey: options.dedupeKey }),
        db: db as PgBoss.Db,
      });
      if (uuid) return sentJob<P>(uuid, queue, text, options);
      // Null only when the dedupe index refused the row (pg-boss inserts with DO NOTHING, which
      // leaves the caller's transaction usable).
      const { rows } = await db.executeSql(
        `SELECT ${jobColumns()} FROM ${this.schema}.job
             WHERE name = $1 AND singleton_key = $2 AND state < 'completed'`,
        [queue, options.dedupeKey],
      );
      if (rows[0]) return toJob<P>(rows[0]);
    }
    throw new PlumbError('conflict', 'the job with this dedupe key kept changing; try again', {
      details: { queue, dedupeKey: options.dedupeKey },
    });
  }

  async claim(queues: readonly string[], workerId: string, leaseMs: number): Promise<Job | null> {
    if (queues.length === 0) return null;
    checkName('workerId', workerId);
    checkDuration('leaseMs', leaseMs);
    const now = this.now();
    const at = new Date(now).toISOString();
    const { rows } = await this.sql.executeSql(claimStatement(this.schema), [
      queues,
      at,
      leaseMs,
      workerId,
      now,
      LEASE_EXPIRED,
    ]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  async heartbeat(jobId: string, workerId: string, leaseMs: number, progress?: unknown): Promise<boolean> {
    checkDuration('leaseMs', leaseMs);
    const uuid = uuidOf(jobId);
    if (!uuid) return false;
    const now = this.now();
    const patch =
      progress === undefined ? '{}' : JSON.stringify({ progress: JSON.parse(toJson(progress, 'progress')) });
    const { rows } = await this.sql.executeSql(
      `UPDATE ${this.schema}.job SET
         expire_in = ($2::timestamptz - started_on) + $3::bigint * interval '1 millisecond',
         output = output || $4::jsonb || jsonb_build_object('updatedAt', $5::bigint)
       WHERE id = $1 AND state = 'active' AND output->>'workerId' = $6
       RETURNING 1 AS renewed`,
      [uuid, new Date(now).toISOString(), leaseMs, patch, now, workerId],
    );
    return rows.length > 0;
  }

  async complete(jobId: string, workerId: string, result?: unknown): Promise<Job | null> {
    const value = toJson(result, 'result');
    const uuid = uuidOf(jobId);
    if (!uuid) return null;
    const now = this.now();
    const { rows } = await this.sql.executeSql(
      `UPDATE ${this.schema}.job SET state = 'completed', completed_on = $2::timestamptz,
         output = output || jsonb_build_object('result', $3::jsonb, 'updatedAt', $4::bigint)
       WHERE id = $1 AND state = 'active' AND output->>'workerId' = $5
       RETURNING ${jobColumns()}`,
      [uuid, new Date(now).toISOString(), value, now, workerId],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async fail(jobId: string, workerId: string, error: unknown): Promise<Job | null> {
    const uuid = uuidOf(jobId);
    if (!uuid) return null;
    const current = await this.sql.executeSql(
      `SELECT retry_count FROM ${this.schema}.job WHERE id = $1 AND state = 'active' AND output->>'workerId' = $2`,
      [uuid, workerId],
    );
    if (!current.rows[0]) return null;
    const retryCount = Number(current.rows[0].retry_count);
    const now = this.now();
    const retryAt = new Date(now + this.backoff.delayMs(retryCount + 1)).toISOString();
    // As pg-boss's fail: retried until retry_limit, then failed (dead) and kept.
    const { rows } = await this.sql.executeSql(
      `UPDATE ${this.schema}.job SET
         state = (CASE WHEN retry_count >= retry_limit THEN 'failed' ELSE 'retry' END)::${this.schema}.job_state,
         start_after = CASE WHEN retry_count >= retry_limit THEN start_after ELSE $3::timestamptz END,
         completed_on = CASE WHEN retry_count >= retry_limit THEN $2::timestamptz END,
         output = output || jsonb_build_object(
           'workerId', CASE WHEN retry_count >= retry_limit THEN $4::text END,
           'lastError', $5::text, 'updatedAt', $6::bigint)
       WHERE id = $1 AND state = 'active' AND output->>'workerId' = $4 AND retry_count = $7
       RETURNING ${jobColumns()}`,
      [uuid, new Date(now).toISOString(), retryAt, workerId, errorText(error), now, retryCount],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async cancel(jobId: string): Promise<Job> {
    const job = await this.mustGet(jobId);
    if (job.status === 'queued' || job.status === 'running') {
      await this.boss.cancel(job.queue, uuidOf(job.id)!);
      await this.sql.executeSql(
        `UPDATE ${this.schema}.job SET output = coalesce(output, '{}'::jsonb) || jsonb_build_object('updatedAt', $3::bigint)
         WHERE name = $1 AND id = $2 AND state = 'cancelled'`,
        [job.queue, uuidOf(job.id), this.now()],
      );
    }
    const after = await this.mustGet(jobId);
    if (after.status === 'cancelled') return after;
    throw new PlumbError('failed_precondition', `job ${jobId} already ended as ${after.status}`, {
      details: { jobId, status: after.status },
    });
  }

  async retry(jobId: string): Promise<Job> {
    const uuid = uuidOf(jobId);
    const now = this.now();
    const at = new Date(now).toISOString();
    const fresh = `state = 'created', retry_count = 0, started_on = NULL, completed_on = NULL,
      start_after = $2::timestamptz, keep_until = $2::timestamptz + interval '${RETENTION_DAYS} days',
      output = coalesce(output, '{}'::jsonb) || jsonb_build_object('workerId', NULL, 'updatedAt', $3::bigint)`;
    try {
      if (uuid) {
        let { rows } = await this.sql.executeSql(
          `UPDATE ${this.schema}.job SET ${fresh}
           WHERE id = $1 AND state IN ('failed', 'cancelled') RETURNING ${jobColumns()}`,
          [uuid, at, now],
        );
        // pg-boss's maintenance may have moved it to the archive: bring it back.
        if (!rows[0]) {
          await this.db.kysely.transaction().execute(async (trx) => {
            const t = sqlRunner(trx);
            await t.executeSql(
              `INSERT INTO ${this.schema}.job (${ARCHIVED_COLUMNS})
               SELECT ${ARCHIVED_COLUMNS} FROM ${this.schema}.archive WHERE id = $1 AND state IN ('failed', 'cancelled')`,
              [uuid],
            );
            await t.executeSql(`DELETE FROM ${this.schema}.archive WHERE id = $1`, [uuid]);
            ({ rows } = await t.executeSql(
              `UPDATE ${this.schema}.job SET ${fresh}
               WHERE id = $1 AND state IN ('failed', 'cancelled') RETURNING ${jobColumns()}`,
              [uuid, at, now],
            ));
          });
        }
        if (rows[0]) return toJob(rows[0]);
      }
    } catch (e) {
      if (!PlumbError.is(e, 'already_exists')) throw e;
      throw new PlumbError(
        'already_exists',
        `job ${jobId} cannot be queued again: another job with its dedupe key is queued or running`,
        { details: { jobId }, cause: e },
      );
    }
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
    const uuid = uuidOf(id);
    if (!uuid) return null;
    const { rows } = await this.sql.executeSql(
      `SELECT ${jobColumns()} FROM ${this.schema}.job WHERE id = $1
       UNION ALL SELECT ${jobColumns()} FROM ${this.schema}.archive WHERE id = $1
       LIMIT 1`,
      [uuid],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** Newest first, across waiting, running, finished and archived jobs. */
  async list(options: ListJobsOptions = {}): Promise<Job[]> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new PlumbError('invalid_argument', 'limit must be an integer from 1 to 500', {
        details: { limit },
      });
    }
    const values: unknown[] = [];
    const where: string[] = [];
    if (options.queue !== undefined) where.push(`name = $${values.push(options.queue)}`);
    if (options.status !== undefined) {
      where.push(`state::text = ANY($${values.push(STATES_OF_STATUS[options.status] ?? [])}::text[])`);
    }
    if (options.before !== undefined) {
      const before = uuidOf(options.before);
      if (!before) return [];
      where.push(`id < $${values.push(before)}::uuid`);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // Only finished jobs are ever archived.
    const archived =
      options.status === 'queued' || options.status === 'running'
        ? ''
        : `UNION ALL (SELECT ${jobColumns()} FROM ${this.schema}.archive ${filter} ORDER BY id DESC LIMIT ${limit})`;
    const { rows } = await this.sql.executeSql(
      `SELECT * FROM (
         (SELECT ${jobColumns()} FROM ${this.schema}.job ${filter} ORDER BY id DESC LIMIT ${limit})
         ${archived}
       ) jobs ORDER BY id DESC LIMIT ${limit}`,
      values,
    );
    return rows.map((row) => toJob(row));
  }

  /**
   * pg-boss needs each queue created (its partition) before the first job is sent to it. Two
   * processes creating the same queue at once can deadlock in pg-boss's create_queue; the
   * loser tries again and finds the queue there.
   */
  private ensureQueue(name: string): Promise<void> {
    let creating = this.queues.get(name);
    if (!creating) {
      creating = (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            if (!(await this.boss.getQueue(name))) await this.boss.createQueue(name);
            return;
          } catch (e) {
            if (!PlumbError.is(e, 'conflict') || attempt >= 5) throw e;
          }
        }
      })();
      this.queues.set(name, creating);
      creating.catch(() => this.queues.delete(name));
    }
    return creating;
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
