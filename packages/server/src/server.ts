import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import type { FastifyServerOptions } from 'fastify';
import { credentialsPath } from './cli/cli-context.js';
import type { Config } from './core/config.js';
import { createPlumb, type Plumb } from './main.js';

export interface RunningServer {
  plumb: Plumb;
  url: string;
  /** The secret of the admin key created on this start, if one was. */
  adminSecret: string | null;
}

/**
 * Starts Plumb: opens storage, runs migrations, creates the first admin key when there is
 * none (printing it once and writing PLUMB_HOME/credentials with mode 0600), then listens.
 */
export async function startServer(
  config: Config,
  options: {
    logger?: FastifyServerOptions['logger'] | false;
    print?: (line: string) => void;
    /** False for API-only replicas whose background jobs run in `plumb worker` processes. */
    worker?: boolean;
    /** Background jobs run in a worker thread or other processes, not on this event loop. */
    jobsRunElsewhere?: boolean;
  } = {},
): Promise<RunningServer> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  mkdirSync(config.home, { recursive: true });
  const plumb = await createPlumb(config, {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    jobsRunElsewhere: options.jobsRunElsewhere === true,
  });
  try {
    const bootstrap = await plumb.services.keys.bootstrap(config.adminKey);
    const address = await plumb.app.listen({ port: config.port, host: config.host });
    if (options.worker !== false) plumb.worker.start();
    const url = publicUrl(address, config.host);
    if (bootstrap) {
      const path = credentialsPath(config.home);
      writeFileSync(path, `${JSON.stringify({ url, apiKey: bootstrap.secret }, null, 2)}\n`, { mode: 0o600 });
      chmodSync(path, 0o600);
      print('');
      print(
        `  Created the first admin key (project "${bootstrap.key.project}"). It is shown only this once:`,
      );
      print('');
      print(`    ${bootstrap.secret}`);
      print('');
      print(
        `  Saved to ${path} (mode 0600); the plumb CLI on this machine uses it when PLUMB_API_KEY is unset.`,
      );
      print('');
    }
    print(`Plumb ${url} (database ${redact(config.databaseUrl)})`);
    return { plumb, url, adminSecret: bootstrap?.secret ?? null };
  } catch (error) {
    await plumb.close();
    throw error;
  }
}

function publicUrl(address: string, host: string): string {
  // Listening on all interfaces reports 0.0.0.0 or ::, which a client cannot dial.
  if (host === '0.0.0.0' || host === '::') return address.replace(/\/\/(\[::\]|0\.0\.0\.0)/, '//127.0.0.1');
  return address;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
