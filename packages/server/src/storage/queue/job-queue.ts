import type { Executor } from '../database.js';

/**
 * A durable queue of jobs (pipeline steps, scheduled and background work).
 *
 * Contract every backend keeps (the jobs table now, pg-boss later):
 * - Jobs survive restarts. Payloads and results are JSON; anything else is `invalid_argument`.
 * - Delivery is at least once: a job is held by one worker at a time under a lease, and a job
 *   whose worker stops renewing the lease (crash, hang, lost connection) is claimed again once
 *   the lease has passed. Handlers must therefore be idempotent.
 * - `claim` hands each claimable job to exactly one caller, however many claim concurrently,
 *   oldest first (by `runAt`). Every claim counts as an attempt, including one whose lease ran
 *   out; after `maxAttempts` the job is `failed` with the last error.
 * - `heartbeat`, `complete` and `fail` act only for the worker currently holding the job;
 *   otherwise they change nothing and say so (false or null) rather than throw, since losing
 *   a lease is an expected outcome.
 * - A failed attempt is retried after an exponential backoff, until `maxAttempts`.
 * - `enqueue` with an executor joins the caller's transaction, so a job is created exactly
 *   when the mutation that needs it commits. A `dedupeKey` is unique per queue among queued
 *   and running jobs: enqueueing it again returns the existing job.
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
  /** Schedules a retry or, after the last attempt, marks the job failed; null if not this worker's. */
  fail(jobId: string, workerId: string, error: unknown): Promise<Job | null>;
  get(id: string): Promise<Job | null>;
  /** Newest first; pass the last id of a page as `before` to get the next one. */
  list(options?: ListJobsOptions): Promise<Job[]>;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

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
