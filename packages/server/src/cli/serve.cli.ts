import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../core/config.js';
import type { RunningServer } from '../server.js';
import type { ThreadWorker } from '../storage/queue/thread-worker.js';
import { reportError } from './cli-context.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the Plumb server (SQLite and local files under PLUMB_HOME unless configured otherwise)')
    .option('--port <port>', 'port to listen on (PLUMB_PORT, default 7070)')
    .option('--host <host>', 'address to bind (PLUMB_HOST, default 127.0.0.1)')
    .option('--home <dir>', 'state directory (PLUMB_HOME, default ./.plumb)')
    .option('--database-url <url>', 'sqlite:PATH or postgres://… (PLUMB_DATABASE_URL)')
    .option('--no-worker', 'serve the API only; background jobs run in `plumb worker` processes')
    .action(
      async (opts: {
        port?: string;
        host?: string;
        home?: string;
        databaseUrl?: string;
        worker: boolean;
      }) => {
        let config: ReturnType<typeof loadConfig>;
        try {
          config = loadConfig(process.env, {
            port: opts.port,
            host: opts.host,
            home: opts.home,
            databaseUrl: opts.databaseUrl,
          });
        } catch (error) {
          if (error instanceof ConfigError) {
            process.stderr.write(`plumb: ${error.message}\n`);
            process.exit(2);
          }
          throw error;
        }
        let running: RunningServer;
        // Each thread opens the database on its own; an in-memory one would be two databases.
        const inMemory = /^(sqlite:)?:memory:$/.test(config.databaseUrl);
        try {
          // Loaded on demand so client commands do not pay for the server's modules at start-up.
          const { startServer } = await import('../server.js');
          running = await startServer(config, {
            worker: opts.worker && inMemory,
            jobsRunElsewhere: !inMemory,
          });
        } catch (error) {
          reportError(error);
          process.exit(1);
        }
        let jobThread: Promise<ThreadWorker | null> = Promise.resolve(null);
        let stopping = false;
        const stop = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          running.plumb.app.log.info({ signal }, 'stopping: finishing in-flight requests and jobs');
          try {
            // Jobs in the thread finish, or go back to the queue, while requests drain; a thread
            // still starting is stopped once it is up.
            await Promise.all([running.plumb.close(), jobThread.then((thread) => thread?.stop())]);
            running.plumb.app.log.info('stopped');
            process.exit(0);
          } catch (error) {
            reportError(error);
            process.exit(1);
          }
        };
        // Before the job thread starts: a signal while it starts still stops everything cleanly.
        process.once('SIGTERM', () => void stop('SIGTERM'));
        process.once('SIGINT', () => void stop('SIGINT'));
        if (opts.worker && !inMemory) {
          // Background jobs run in a thread of their own, so CPU-heavy work (evaluations,
          // bootstraps, profiles, scans) never delays the event loop that answers HTTP. The API
          // answers meanwhile; jobs wait in the durable queue until the thread is up.
          jobThread = import('../storage/queue/thread-worker.js')
            .then(({ ThreadWorker }) =>
              ThreadWorker.start({
                entry: new URL('../job-thread.js', import.meta.url),
                data: { config },
                logger: running.plumb.app.log,
              }),
            )
            .catch(async (error: unknown) => {
              reportError(error);
              await running.plumb.close().catch(() => {});
              process.exit(1);
            });
        }
      },
    );
}
