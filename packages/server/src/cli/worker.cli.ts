import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../core/config.js';
import { reportError } from './cli-context.js';

/**
 * `plumb worker`: runs background jobs (dataset profiles, later evaluations and pipeline steps)
 * without serving HTTP, so work can spread over several processes sharing one database.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run background jobs from the shared database without serving HTTP')
    .option('--home <dir>', 'state directory (PLUMB_HOME, default ./.plumb)')
    .option('--database-url <url>', 'sqlite:PATH or postgres://… (PLUMB_DATABASE_URL)')
    .action(async (opts: { home?: string; databaseUrl?: string }) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(process.env, { home: opts.home, databaseUrl: opts.databaseUrl });
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`plumb: ${error.message}\n`);
          process.exit(2);
        }
        throw error;
      }
      try {
        const { createPlumb } = await import('../main.js');
        const plumb = await createPlumb(config);
        plumb.worker.start();
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
