import type { Executor } from '../database.js';

/**
 * A durable queue of jobs (pipeline steps, scheduled and background work).
 *
 * Contract every backend keeps (the jobs table, DbJobQueue; pg-boss, PgBossJobQueue):
 * - Jobs survive restarts. Payloads and results are JSON; anything else is `invalid_argument`.
 * - Delivery is at least once: a job is held by one worker at a time under a lease, and a job
 *   whose worker stops renewing the lease (crash, hang, lost connection) is claimed again once
 *   the lease has passed. Handlers must therefore be idempotent.
 * - `claim` hands each claimable job to exactly one caller, however many claim concurrently,
 *   oldest first (by `runAt`). Every claim counts as an attempt, including one whose lease ran
 *   out; after `maxAttempts` the job is `dead` with the last error: kept, listable and
 *   re-queueable with `retry`, never claimed again on its own.
 * - `cancel` ends a queued or running job as `cancelled` at once. A queued job never runs; the
 *   worker running one learns it at its next heartbeat (which returns false) and aborts the
 *   handler, whose outcome is then discarded; the job is not retried.
 * - `heartbeat`, `complete` and `fail` act only for the worker currently holding the job;
 *   otherwise they change nothing and say so (false or null) rather than throw, since losing
 *   a lease is an expected outcome.
 * - A failed attempt is retried after an exponential backoff, until `maxAttempts`.
 * - `enqueue` with an executor joins the caller's transaction, so a job is created exactly
 *   when the mutation that needs it commits. A `dedupeKey` is unique per queue among queued
 *   and running jobs: enqueueing it again returns the existing job.
 * - Recurring schedules (`schedule`) enqueue one job per cron tick however many processes call
 *   `tickSchedules` at once (workers do, on every poll). Ticks missed while nothing was ticking
 *   are not replayed: the first tick after the gap enqueues one catch-up job, then the schedule
 *   moves on to its next tick after now.
 * - Times come from the injected clock; `runAt`, `leaseUntil`… are instants in UTC.
 */
export interface JobQueue {
  enqueue<P>(queue: string, payload: P, options?: EnqueueOptions, executor?: Executor): Promise<Job<P>>;
  /** The oldest claimable job of these queues, now leased to `workerId`; null if none. */
  claim(queues: readonly string[], workerId: string, leaseMs: number): Promise<Job | null>;
  /** Extends the lease (and records progress if given); false if the job is no longer this worker's. */
  heartbeat(jobId: string, workerId: string, leaseMs: number, progress?: unknown): Promise<boolean>;
  /** Marks the job succeeded with its result; null if the job is no longer this worker's. */
  complete(jobId: string, workerId: string, result?: unknown): Promise<Job | null>;
  /** Schedules a retry or, after the last attempt, marks the job dead; null if not this worker's. */
  fail(jobId: string, workerId: string, error: unknown): Promise<Job | null>;
  /**
   * Ends a queued or running job as `cancelled`; cancelling a cancelled job returns it again.
   * `not_found` if there is no such job, `failed_precondition` if it already succeeded or died.
   */
  cancel(jobId: string): Promise<Job>;
  /**
   * Queues a dead or cancelled job again with a fresh set of attempts, due now.
   * `not_found` if there is no such job, `failed_precondition` if it is not dead or cancelled,
   * `already_exists` if another job with its dedupe key is queued or running.
   */
  retry(jobId: string): Promise<Job>;
  get(id: string): Promise<Job | null>;
  /** Newest first; pass the last id of a page as `before` to get the next one. */
  list(options?: ListJobsOptions): Promise<Job[]>;
  /**
   * Creates or replaces the recurring schedule `name`. Replacing it with the same cron and time
   * zone keeps its next tick, so a process that declares its schedules at every start neither
   * skips nor repeats a tick.
   */
  schedule(name: string, spec: ScheduleSpec): Promise<Schedule>;
  /** Removes the schedule; false if there was none. Jobs it already enqueued stay. */
  unschedule(name: string): Promise<boolean>;
  /** Every schedule, by name. */
  listSchedules(): Promise<Schedule[]>;
  /**
   * Enqueues the jobs of every schedule whose tick is due at `now` (default the clock's now) and
   * returns the jobs this call enqueued: none for a tick another caller already enqueued.
   */
  tickSchedules(now?: Date): Promise<Job[]>;
}

/**
 * `queued` (waiting, or waiting to retry after a failed attempt), `running`, and the ends:
 * `succeeded`, `dead` (every attempt failed), `cancelled`.
 */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';

export interface Job<P = unknown, R = unknown> {
  id: string;
  queue: string;
  payload: P;
  status: JobStatus;
  /** Claims so far, the current one included. */
  attempts: number;
  maxAttempts: number;
  /** Not claimable before this instant (scheduled work, backoff). */
  runAt: Date;
  leaseUntil: Date | null;
  /** The worker holding the job, or the last one that held it once it has finished. */
  workerId: string | null;
  lastError: string | null;
  result: R | null;
  progress: unknown;
  dedupeKey: string | null;
  /** The schedule that enqueued this job, and the tick it was enqueued for; else null. */
  scheduleName: string | null;
  scheduledFor: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EnqueueOptions {
  /** Not before this instant; default now. */
  runAt?: Date;
  /** Default 5. */
  maxAttempts?: number;
  dedupeKey?: string;
}

export interface ListJobsOptions {
  queue?: string;
  status?: JobStatus;
  /** Default 50, at most 500. */
  limit?: number;
  before?: string;
}

export interface ScheduleSpec {
  /** Five fields (minute hour day-of-month month day-of-week), or six with seconds first. */
  cron: string;
  /** IANA name, e.g. `Europe/Berlin`; ticks follow its daylight-saving changes. Default UTC. */
  timeZone?: string;
  queue: string;
  /** JSON payload of every job the schedule enqueues. */
  payload?: unknown;
  /** Of every job the schedule enqueues. Default 5. */
  maxAttempts?: number;
}

export interface Schedule {
  name: string;
  cron: string;
  timeZone: string;
  queue: string;
  payload: unknown;
  maxAttempts: number;
  /** The next tick, in UTC. */
  nextRunAt: Date;
  /** The tick of the last job the schedule enqueued. */
  lastRunAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
