import {
  Alert,
  AlertEvaluation,
  AlertRule,
  AlertWithDeliveries,
  type CreateAlertRule,
  Page,
} from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, formatTable, output, print } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { PlumbError } from '../../core/errors.js';

const ALERT_COLUMNS = [
  'id',
  'status',
  'ruleName',
  'endpoint',
  'subject',
  'value',
  'threshold',
  'runStart',
  'openedAt',
];

const number = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new PlumbError('invalid_argument', `${what} must be a number, got ${value}`);
  return n;
};

interface RuleOptions {
  endpoint: string;
  metric: string;
  feature?: string;
  monitor?: string;
  operator?: string;
  threshold?: number;
  consecutive?: number;
  window?: string;
  webhook?: string;
  webhookSecret?: string;
}

/** `plumb alert rule create|list|delete` and `plumb alert list|show|ack|resolve|evaluate`. */
export function registerAlertCommands(program: Command): void {
  const alert = program
    .command('alert')
    .description('alerts: rules on monitored values, and the alerts they open');
  const rule = alert.command('rule').description('alert rules');

  rule
    .command('create <name>')
    .description('alert when a monitored value crosses a threshold for a number of windows in a row')
    .requiredOption('--endpoint <name>', 'the endpoint watched')
    .requiredOption(
      '--metric <metric>',
      'feature_drift, share_drifted, accuracy, f1, roc_auc, estimated_accuracy, latency_p95_ms, error_rate, cost_usd, …',
    )
    .option('--feature <name>', 'the feature of feature_drift')
    .option('--monitor <id>', "the monitor drift rules read (default the endpoint's only one)")
    .option('--operator <op>', 'gt, gte, lt or lte (default lt for accuracy-like metrics, else gt)')
    .option(
      '--threshold <value>',
      "the threshold; drift rules without one follow the monitor's verdict",
      number('--threshold'),
    )
    .option('--consecutive <n>', 'windows in a row before the alert opens', number('--consecutive'))
    .option('--window <length>', 'window of performance and traffic rules: 1h, 6h, 1d')
    .option('--webhook <url>', 'notify this URL when an alert opens or resolves')
    .option('--webhook-secret <secret>', 'signs each notification (HMAC-SHA256), at least 16 characters')
    .action(
      action(async (name: string, opts: RuleOptions, command: Command) => {
        const body: CreateAlertRule = {
          name,
          endpoint: opts.endpoint,
          metric: opts.metric as CreateAlertRule['metric'],
          ...(opts.feature === undefined ? {} : { feature: opts.feature }),
          ...(opts.monitor === undefined ? {} : { monitorId: opts.monitor }),
          ...(opts.operator === undefined
            ? {}
            : { operator: opts.operator as CreateAlertRule['operator'] & string }),
          ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }),
          ...(opts.consecutive === undefined ? {} : { consecutive: opts.consecutive }),
          ...(opts.window === undefined ? {} : { window: opts.window }),
          ...(opts.webhook === undefined ? {} : { webhookUrl: opts.webhook }),
          ...(opts.webhookSecret === undefined ? {} : { webhookSecret: opts.webhookSecret }),
        };
        const created = await clientFromEnv().request('POST', '/api/v1/alert-rules', {
          body,
          schema: AlertRule,
        });
        print(
          command,
          created,
          (r) => `created alert rule ${r.name} (${r.id}) on ${r.endpoint}: ${describeRule(r)}\n`,
        );
      }),
    );

  rule
    .command('list')
    .description("the project's alert rules")
    .action(
      action(async (_opts: object, command: Command) => {
        const { items } = await clientFromEnv().request('GET', '/api/v1/alert-rules', {
          schema: Page(AlertRule),
        });
        output(command, items, {
          rows: items.map((r) => ({ ...r, condition: describeRule(r) })),
          columns: ['name', 'endpoint', 'condition', 'webhookUrl', 'id'],
        });
      }),
    );

  rule
    .command('delete <rule>')
    .description('delete a rule by name or id; its alerts stay')
    .action(
      action(async (ref: string, _opts: object, command: Command) => {
        const deleted = await clientFromEnv().request(
          'DELETE',
          `/api/v1/alert-rules/${encodeURIComponent(ref)}`,
          {
            schema: AlertRule,
          },
        );
        print(command, deleted, (r) => `deleted alert rule ${r.name}\n`);
      }),
    );

  pagingOptions(
    alert
      .command('list')
      .description('alerts, newest first')
      .option('--status <status>', 'open, acknowledged or resolved')
      .option('--rule <id>', 'one rule'),
    'alerts',
  ).action(
    action(async (opts: PagingOptions & { status?: string; rule?: string }, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages(
        (q) =>
          client.request('GET', '/api/v1/alerts', {
            query: {
              ...q,
              ...(opts.status ? { status: opts.status } : {}),
              ...(opts.rule ? { ruleId: opts.rule } : {}),
            },
            schema: Page(Alert),
          }),
        opts,
      );
      output(command, items, { rows: items, columns: ALERT_COLUMNS });
    }),
  );

  alert
    .command('show <id>')
    .description('an alert and every attempt to deliver its notifications')
    .action(
      action(async (id: string, _opts: object, command: Command) => {
        const a = await clientFromEnv().request('GET', `/api/v1/alerts/${encodeURIComponent(id)}`, {
          schema: AlertWithDeliveries,
        });
        print(
          command,
          a,
          (v) =>
            `${v.id} ${v.status}: ${v.ruleName} on ${v.endpoint}${v.subject ? ` (${v.subject})` : ''}, value ${v.value} since ${v.runStart}` +
            `${v.windowStart ? `, opened on the window ${v.windowStart} – ${v.windowEnd} as of ${v.evaluatedAt}` : ''}\n` +
            formatTable(v.deliveries, ['event', 'attempt', 'statusCode', 'error', 'durationMs', 'at']),
        );
      }),
    );

  for (const [verb, path, past] of [
    ['ack', 'ack', 'acknowledged'],
    ['resolve', 'resolve', 'resolved'],
  ] as const) {
    alert
      .command(`${verb} <id>`)
      .description(verb === 'ack' ? 'acknowledge an open alert' : 'resolve an alert by hand')
      .action(
        action(async (id: string, _opts: object, command: Command) => {
          const a = await clientFromEnv().request(
            'POST',
            `/api/v1/alerts/${encodeURIComponent(id)}/${path}`,
            {
              schema: Alert,
            },
          );
          print(command, a, (v) => `${past} ${v.id} (${v.ruleName})\n`);
        }),
      );
  }

  alert
    .command('evaluate')
    .description("evaluate the project's rules now, as the schedule does every five minutes")
    .option('--at <time>', 'evaluate as if the present were this ISO-8601 time (replayed or past traffic)')
    .action(
      action(async (opts: { at?: string }, command: Command) => {
        const r = await clientFromEnv().request('POST', '/api/v1/alerts/evaluate', {
          query: opts.at === undefined ? {} : { at: opts.at },
          schema: AlertEvaluation,
        });
        print(
          command,
          r,
          (v) =>
            `${v.rules} rules${opts.at === undefined ? '' : ` as of ${opts.at}`}: ${v.opened.length} opened, ${v.resolved.length} resolved` +
            v.opened
              .map(
                (a) =>
                  `\nopened ${a.id}: ${a.ruleName}, value ${a.value} in ${a.windowStart} – ${a.windowEnd}`,
              )
              .join('') +
            `${v.skipped.map((s) => `\nskipped ${s.ruleName}: ${s.reason}`).join('')}\n`,
        );
      }),
    );
}

function describeRule(r: AlertRule): string {
  const what = r.metric === 'feature_drift' ? `drift of ${r.feature}` : r.metric;
  const symbol = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[r.operator];
  const condition =
    r.threshold === null ? `${what} per the monitor's verdict` : `${what} ${symbol} ${r.threshold}`;
  return `${condition} for ${r.consecutive} window${r.consecutive === 1 ? '' : 's'}${r.window === 'monitor' ? '' : ` of ${r.window}`}`;
}
