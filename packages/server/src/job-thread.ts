import type { Config } from './core/config.js';
import { createPlumb } from './main.js';
import { runInWorkerThread } from './storage/queue/thread-worker.js';

/** What `plumb serve` hands its job thread. */
export interface JobThreadData {
  config: Config;
}

// The job thread of `plumb serve` (see ThreadWorker): the same composition as the server, with
// its own database connection and DuckDB engine, running the job worker and never listening.
runInWorkerThread<JobThreadData>(async ({ config }) => {
  const plumb = await createPlumb(config);
  plumb.worker.start();
  return { stop: () => plumb.close() };
});
