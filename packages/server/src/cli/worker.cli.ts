import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../core/config.js';
import type { JobHandler } from '../storage/queue/worker.js';
import { reportError } from './cli-context.js';

/**
 * `plumb worker`: runs background jobs (dataset profiles, evaluations, pipeline steps) without
 * serving HTTP, so work spreads over processes sharing one database: any number of them, on any
 * machines, with PLUMB_JOBS=pg-boss on PostgreSQL.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run background jobs from the shared database without serving HTTP')
    .option('--home <dir>', 'state directory (PLUMB_HOME, default ./.plumb)')
    .option('--database-url <url>', 'sqlite:PATH or postgres://… (PLUMB_DATABASE_URL)')
    .option(
      '--public-url <url>',
      "the API's URL, given to pipeline command steps as PLUMB_URL (PLUMB_PUBLIC_URL)",
    )
    .option(
      '--handlers <module>',
      'also run the job handlers of this ES module, whose default export maps queue names to handlers',
    )
    .action(async (opts: { home?: string; databaseUrl?: string; publicUrl?: string; handlers?: string }) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(process.env, {
          home: opts.home,
          databaseUrl: opts.databaseUrl,
          publicUrl: opts.publicUrl,
        });
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`plumb: ${error.message}\n`);
          process.exit(2);
        }
        throw error;
      }
      try {
        const extra = opts.handlers ? await loadHandlers(opts.handlers) : {};
        const { createPlumb } = await import('../main.js');
        const plumb = await createPlumb(config);
        for (const [queue, handler] of Object.entries(extra)) plumb.worker.register(queue, handler);
        plumb.worker.start();
        process.stdout.write(
          `Plumb worker ${plumb.worker.id} running jobs from ${config.jobs === 'pg-boss' ? 'pg-boss' : 'the jobs table'}\n`,
        );
        const stop = async () => {
          await plumb.close();
          process.exit(0);
        };
        process.once('SIGTERM', () => void stop());
        process.once('SIGINT', () => void stop());
      } catch (error) {
        reportError(error);
        process.exit(1);
      }
    });
}

async function loadHandlers(path: string): Promise<Record<string, JobHandler>> {
  const loaded = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  const handlers = loaded.default;
  if (typeof handlers !== 'object' || handlers === null) {
    throw new Error(`${path} must export default an object mapping queue names to job handlers`);
  }
  for (const [queue, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function')
      throw new Error(`${path}: the handler for queue ${queue} is not a function`);
  }
  return handlers as Record<string, JobHandler>;
}
