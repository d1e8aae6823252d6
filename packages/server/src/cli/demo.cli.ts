import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../core/config.js';
import { PlumbError } from '../core/errors.js';
import { readCredentials, reportError, wantsJson } from './cli-context.js';
import { escapeControl } from './safe-text.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'start the server and run the whole loop on real flight data: dataset, training, gate, champion, endpoint, traffic replayed through it, the drift alert, retraining up to an approval, the candidate in shadow; then keep serving',
    )
    .option('--port <port>', 'port to listen on (PLUMB_PORT, default 7070)')
    .option('--home <dir>', 'state directory (PLUMB_HOME, default ./.plumb)')
    .option('--quick', 'replay March alone (about 12,700 flights) instead of March–June (about 51,000)')
    .option('--exit', 'stop the server once the loop has run instead of serving on')
    .action(
      async (opts: { port?: string; home?: string; quick?: boolean; exit?: boolean }, command: Command) => {
        const json = wantsJson(command);
        // Progress is for people; with --json it goes to stderr and stdout carries the summary.
        const say = (line: string) =>
          (json ? process.stderr : process.stdout).write(`${escapeControl(line)}\n`);
        let config: ReturnType<typeof loadConfig>;
        try {
          config = loadConfig(process.env, {
            port: opts.port,
            home: opts.home,
            // The demo's own lines are the story; request logs would drown them.
            logLevel: process.env.PLUMB_LOG_LEVEL ? undefined : 'warn',
          });
        } catch (error) {
          if (error instanceof ConfigError) {
            process.stderr.write(`plumb: ${error.message}\n`);
            process.exit(2);
          }
          throw error;
        }
        const { startDemoServer } = await import('../demo/demo-server.js');
        const { connectDemo } = await import('../demo/demo-context.js');
        const { runDemo, closingLines } = await import('../demo/run-demo.js');
        const { DEFAULT_PLAN, QUICK_PLAN } = await import('../demo/demo-plan.js');
        let server: Awaited<ReturnType<typeof startDemoServer>> | undefined;
        try {
          const started = performance.now();
          server = await startDemoServer(config, say);
          const { url, adminSecret } = server.running;
          const adminKey = adminSecret ?? process.env.PLUMB_API_KEY ?? readCredentials(config.home)?.apiKey;
          if (!adminKey) {
            throw new PlumbError(
              'failed_precondition',
              `no admin key: ${config.home}/credentials is gone and PLUMB_API_KEY is unset`,
            );
          }
          const ctx = await connectDemo(url, adminKey, config.home, say);
          const services = server.running.plumb.services;
          ctx.flushProfiles = () => services.profileWriter.flush();
          const result = await runDemo(ctx, opts.quick ? QUICK_PLAN : DEFAULT_PLAN);
          const seconds = (performance.now() - started) / 1000;
          say('');
          say(`The loop ran in ${seconds.toFixed(1)} s.`);
          for (const line of closingLines(result, url)) say(line);
          if (json) {
            process.stdout.write(
              `${JSON.stringify(
                {
                  url,
                  seconds,
                  champion: result.champion.version.ref,
                  datasets: [result.champion.train.ref, result.champion.holdout.ref],
                  monitor: result.monitor.id,
                  months: result.months,
                  monitoring: result.monitoring.months,
                  alertRule: result.alerts.rule,
                  alert: result.alerts.alert,
                  pipelineRun: result.retraining.run.id,
                  pipelineTrigger: result.retraining.run.trigger.kind,
                  pipelineStatus: result.retraining.run.status,
                  shadow: result.shadow.report,
                  candidate: result.retraining.candidate,
                  evalRun: result.retraining.evalRun,
                  waitingForApproval: result.retraining.waitingForApproval,
                  timings: result.timings,
                },
                null,
                2,
              )}\n`,
            );
          }
        } catch (error) {
          reportError(error, command);
          await server?.stop().catch(() => {});
          process.exit(1);
        }
        const stop = async () => {
          try {
            await server?.stop();
            process.exit(0);
          } catch (error) {
            reportError(error);
            process.exit(1);
          }
        };
        if (opts.exit) {
          await stop();
          return;
        }
        process.once('SIGTERM', () => void stop());
        process.once('SIGINT', () => void stop());
      },
    );
}
