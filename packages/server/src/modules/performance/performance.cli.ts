import { EndpointPerformance } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, formatTable, print } from '../../cli/cli-context.js';
import { performanceRows } from '../../cli/performance-rows.js';

/**
 * `plumb monitor performance ENDPOINT`: realised and estimated performance per window. Added to
 * an existing `monitor` command when another module declares it.
 */
export function registerPerformanceCommands(program: Command): void {
  const monitor =
    program.commands.find((c) => c.name() === 'monitor') ??
    program.command('monitor').description('monitoring: drift, performance and the signals alerts watch');
  monitor
    .command('performance <endpoint>')
    .description(
      'realised performance from feedback next to the estimate before it, latency, errors and cost per window',
    )
    .option('--from <time>', 'ISO-8601 start (default a day before --to)')
    .option('--to <time>', 'ISO-8601 end (default now)')
    .option('--window <length>', 'window length: 1h, 6h, 1d', '1h')
    .option('--version <ref>', 'one model version (name@vN)')
    .option('--segment <field>', 'realised metrics per value of an input field, or tag:<key>')
    .option('--positive-class <label>', "the class a binary model's score is the probability of")
    .option('--reference-from <time>', 'calibrate the estimate on labelled predictions from this time')
    .option('--reference-to <time>', '… until this time')
    .action(
      action(
        async (
          endpoint: string,
          opts: {
            from?: string;
            to?: string;
            window: string;
            version?: string;
            segment?: string;
            positiveClass?: string;
            referenceFrom?: string;
            referenceTo?: string;
          },
          command: Command,
        ) => {
          const query: Record<string, string> = { window: opts.window };
          for (const key of [
            'from',
            'to',
            'version',
            'segment',
            'positiveClass',
            'referenceFrom',
            'referenceTo',
          ] as const) {
            const v = opts[key];
            if (v !== undefined) query[key] = v;
          }
          const result = await clientFromEnv().request(
            'GET',
            `/api/v1/endpoints/${encodeURIComponent(endpoint)}/performance`,
            { query, schema: EndpointPerformance },
          );
          print(command, result, (r) => {
            const head = `${r.endpoint} from ${r.from} to ${r.to}, windows of ${r.window}${
              r.positiveClass === null ? '' : `, positive class ${r.positiveClass}`
            }\n`;
            const columns = ['window', 'version', ...(r.segment === null ? [] : ['segment'])].concat(
              r.segment === null
                ? [
                    'predictions',
                    'labelled',
                    'accuracy',
                    'est.accuracy',
                    'f1',
                    'est.f1',
                    'auc',
                    'mae',
                    'p95ms',
                    'errors',
                    'costUsd',
                  ]
                : ['labelled', 'accuracy', 'f1', 'auc', 'mae'],
            );
            return head + formatTable(performanceRows(r.series), columns);
          });
        },
      ),
    );
}
