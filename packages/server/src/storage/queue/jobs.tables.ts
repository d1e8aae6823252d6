export interface JobsTable {
  id: string;
  queue: string;
  /** JSON payload. */
  payload: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
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
  created_at: number;
  updated_at: number;
}

export interface JobTables {
  jobs: JobsTable;
}
