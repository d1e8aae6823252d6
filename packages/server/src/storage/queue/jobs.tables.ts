export interface JobsTable {
  id: string;
  queue: string;
  /** JSON payload. */
  payload: string;
  status: 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';
  attempts: number;
  max_attempts: number;
  /** Milliseconds since the epoch: not claimable before this (backoff, scheduled work). */
  run_at: number;
  /** Milliseconds since the epoch: a running job whose lease passed is claimable again. */
  lease_until: number | null;
  worker_id: string | null;
  last_error: string | null;
  /** JSON result of a succeeded job. */
  result: string | null;
  /** JSON progress last reported by the running handler, written with its heartbeats. */
  progress: string | null;
  /**
   * Optional key, per queue: enqueueing the same key while a job with it is queued or running
   * returns that job.
   */
  dedupe_key: string | null;
  /** The schedule that enqueued the job; with `scheduled_for`, unique: one job per tick. */
  schedule_name: string | null;
  /** Milliseconds since the epoch: the tick the schedule enqueued the job for. */
  scheduled_for: number | null;
  created_at: number;
  updated_at: number;
}

export interface JobSchedulesTable {
  name: string;
  cron: string;
  /** IANA time zone the cron expression is read in. */
  time_zone: string;
  queue: string;
  /** JSON payload of every job enqueued. */
  payload: string;
  max_attempts: number;
  /** Milliseconds since the epoch: the next tick, due once the time passes it. */
  next_run_at: number;
  /** Milliseconds since the epoch: the tick of the last job enqueued. */
  last_run_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface JobTables {
  jobs: JobsTable;
  job_schedules: JobSchedulesTable;
}

declare module '../schema.js' {
  interface Database extends JobTables {}
}
