import type { Config } from './core/config.js';
import { createPlumb } from './main.js';
import { runInWorkerThread } from './storage/queue/thread-worker.js';
import { lowerThreadPriority } from './thread-priority.js';

/** What `plumb serve` hands its job thread. */
export interface JobThreadData {
  config: Config;
}

// The job thread of `plumb serve` (see ThreadWorker): the same composition as the server, with
// its own database connection and DuckDB engine, running the job worker and never listening. It
// runs below the loop's priority, so its CPU work waits when the two contend for a core.
runInWorkerThread<JobThreadData>(async ({ config }) => {
  lowerThreadPriority();
  const plumb = await createPlumb(config);
  plumb.worker.start();
  return { stop: () => plumb.close() };
});
