import type { Job, JobQueue } from './job-queue.js';

const POLL_MS = 100;
const ENDED = new Set(['succeeded', 'dead', 'cancelled']);

/**
 * Enqueues work for the job worker (deduplicated, so concurrent readers share one job) and
 * waits for it up to `waitMs`: the answer when it is quick, without the HTTP loop doing it.
 * Returns the job as it ended, or as it stands at the deadline (still queued or running).
 */
export async function enqueueAndWait<P>(
  jobs: JobQueue,
  queue: string,
  payload: P,
  dedupeKey: string,
  waitMs: number,
): Promise<Job> {
  let job: Job = await jobs.enqueue(queue, payload, { dedupeKey, maxAttempts: 3 });
  const deadline = Date.now() + waitMs;
  while (!ENDED.has(job.status) && Date.now() < deadline) {
    await new Promise<void>((resolve) => setTimeout(resolve, POLL_MS));
    job = (await jobs.get(job.id)) ?? job;
  }
  return job;
}
