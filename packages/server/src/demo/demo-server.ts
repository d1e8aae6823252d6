import type { Config } from '../core/config.js';
import type { RunningServer } from '../server.js';
import type { ThreadWorker } from '../storage/queue/thread-worker.js';

export interface DemoServer {
  running: RunningServer;
  stop(): Promise<void>;
}

/**
 * Starts Plumb as `plumb serve` does: the API on this event loop, background jobs (evaluations,
 * profiles) in a worker thread when the database is a file, in-process for an in-memory one.
 */
export async function startDemoServer(config: Config, print: (line: string) => void): Promise<DemoServer> {
  const inMemory = /^(sqlite:)?:memory:$/.test(config.databaseUrl);
  const { startServer } = await import('../server.js');
  const running = await startServer(config, { worker: inMemory, jobsRunElsewhere: !inMemory, print });
  let thread: ThreadWorker | null = null;
  if (!inMemory) {
    try {
      const { ThreadWorker } = await import('../storage/queue/thread-worker.js');
      thread = await ThreadWorker.start({
        entry: new URL('../job-thread.js', import.meta.url),
        data: { config },
        logger: running.plumb.app.log,
      });
    } catch (error) {
      await running.plumb.close();
      throw error;
    }
  }
  return {
    running,
    stop: async () => {
      await Promise.all([running.plumb.close(), thread?.stop()]);
    },
  };
}
