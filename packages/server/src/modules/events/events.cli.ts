import { Arm, type InferenceEvent, type ListEvents } from '@plumb/sdk';
import { type Command, Option } from 'commander';
import { action, clientFromEnv, output, wantsJson } from '../../cli/cli-context.js';
import { formatTime } from '../../cli/format-time.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { escapeControl } from '../../cli/safe-text.js';
import { PlumbError } from '../../core/errors.js';

const EVENT_COLUMNS = ['time', 'id', 'endpoint', 'modelVersion', 'arm', 'latencyMs', 'label', 'confidence'];

interface FilterOptions {
  version?: string;
  arm?: Arm;
  from?: string;
  to?: string;
  tag?: string;
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new PlumbError('invalid_argument', `${flag} ${value}: expected a whole number of 1 or more`);
    }
    return n;
  };
}

function filterOptions(command: Command): Command {
  return command
    .option('--version <name@vN>', 'only events of this model version')
    .addOption(new Option('--arm <arm>', 'only events of this arm').choices(Arm.options))
    .option('--from <time>', 'only events at or after this ISO-8601 time')
    .option('--to <time>', 'only events before this ISO-8601 time')
    .option('--tag <key:value>', 'only events with this tag value');
}

function filterQuery(opts: FilterOptions & { endpoint?: string }): ListEvents {
  return {
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.version ? { version: opts.version } : {}),
    ...(opts.arm ? { arm: opts.arm } : {}),
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
    ...(opts.tag ? { tag: opts.tag } : {}),
  };
}

/** One line per event for people: every field from the server is escaped. */
export function formatEventLine(e: InferenceEvent): string {
  const parts = [
    formatTime(e.time),
    e.id,
    e.endpoint ?? '-',
    e.modelVersion ?? '-',
    e.arm,
    e.latencyMs === null ? '-' : `${e.latencyMs}ms`,
    e.label ?? (e.score === null ? '-' : String(e.score)),
    e.confidence === null ? '-' : `conf=${e.confidence}`,
    ...Object.entries(e.tags).map(([k, v]) => `${k}=${v}`),
    ...(e.error ? [`error=${JSON.stringify(e.error)}`] : []),
  ];
  return `${parts.map((p) => escapeControl(p)).join('  ')}\n`;
}

export function registerEventsCommands(program: Command): void {
  const events = program
    .command('events')
    .description('the inference log: every prediction with its model version, latency, cost and feedback');

  pagingOptions(
    filterOptions(
      events
        .command('list')
        .description('list inference events, newest first')
        .option('--endpoint <name>', 'only events of this endpoint'),
    ),
    'events',
  ).action(
    action(async (opts: FilterOptions & { endpoint?: string } & PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const query = filterQuery(opts);
      const { items } = await fetchPages((q) => client.events.list({ ...query, ...q }), opts);
      output(command, items, { rows: items, columns: EVENT_COLUMNS });
    }),
  );

  filterOptions(
    events
      .command('tail <endpoint>')
      .description("follow an endpoint's new events as they are recorded, one line each (Ctrl-C stops)")
      .option('--interval <ms>', 'milliseconds between polls', positiveInt('--interval'), 1000)
      .option('--count <n>', 'stop after this many events', positiveInt('--count')),
  ).action(
    action(
      async (
        endpoint: string,
        opts: FilterOptions & { interval: number; count?: number },
        command: Command,
      ) => {
        const client = clientFromEnv();
        const json = wantsJson(command);
        const query = filterQuery({ ...opts, endpoint });
        let stop = false;
        const onSignal = () => {
          stop = true;
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        // Starts at the end of the log: the first poll answers only the cursor there, which then
        // follows every event committed after it, whatever the event's own time.
        let cursor: string | undefined;
        let printed = 0;
        try {
          while (!stop) {
            const page = await client.events.list({
              ...query,
              ...(cursor ? { cursor } : { start: 'end' as const }),
              order: 'asc',
              limit: 500,
            });
            for (const e of page.items) {
              process.stdout.write(json ? `${JSON.stringify(e)}\n` : formatEventLine(e));
              printed += 1;
              if (opts.count !== undefined && printed >= opts.count) return;
            }
            cursor = page.nextCursor ?? cursor;
            if (page.items.length < 500) await sleep(opts.interval);
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    ),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
