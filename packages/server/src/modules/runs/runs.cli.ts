import { type Run, type RunComparison, RunStatus } from '@plumb/sdk';
import { type Command, Option } from 'commander';
import { action, clientFromEnv, formatTable, output, print } from '../../cli/cli-context.js';
import { formatTime } from '../../cli/format-time.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';

const RUN_COLUMNS = ['id', 'name', 'status', 'codeVersion', 'createdAt', 'finishedAt'];

export function registerRunsCommands(program: Command): void {
  const run = program.command('run').description('training runs: params, metrics, inputs and artifacts');
  pagingOptions(
    run
      .command('list')
      .description('list runs in your project, newest first')
      .option('--name <name>', 'only runs with this name')
      .addOption(new Option('--status <status>', 'only runs in this status').choices(RunStatus.options))
      .option('--tag <key=value>', 'only runs with this tag value (or just key: with the tag)'),
    'runs',
  ).action(
    action(
      async (opts: { name?: string; status?: RunStatus; tag?: string } & PagingOptions, command: Command) => {
        const client = clientFromEnv();
        const filter = {
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.tag ? { tag: opts.tag } : {}),
        };
        const { items } = await fetchPages((q) => client.runs.list({ ...filter, ...q }), opts);
        output(command, items, { rows: items, columns: RUN_COLUMNS });
      },
    ),
  );

  run
    .command('show <run>')
    .description('a run: params, tags, inputs, latest metrics and artifacts')
    .action(
      action(async (id: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().runs.get(id), formatRun);
      }),
    );

  run
    .command('compare <runs...>')
    .description('params and latest metrics of two or more runs side by side; * marks differences')
    .action(
      action(async (ids: string[], _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().runs.compare(ids), formatComparison);
      }),
    );

  pagingOptions(
    run.command('metrics <run> <key>').description("one metric's history by step"),
    'points',
    10_000,
  ).action(
    action(async (id: string, key: string, opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.runs.metricHistory(id, { ...q, key }), opts);
      output(command, items, { rows: items, columns: ['step', 'value', 'time'] });
    }),
  );
}

function formatRun(r: Run): string {
  const lines = [
    `run ${r.id}  ${r.name}`,
    `status       ${r.status}${r.finishedAt ? ` at ${formatTime(r.finishedAt)}` : ''}`,
    `created      ${formatTime(r.createdAt)} by ${r.createdBy}`,
    `code version ${r.codeVersion ?? '-'}`,
    '',
  ];
  const section = (title: string, rows: Record<string, unknown>[], columns: string[]) => {
    lines.push(`${title}:`, formatTable(rows, columns));
  };
  section(
    'params',
    Object.entries(r.params).map(([key, value]) => ({ key, value })),
    ['key', 'value'],
  );
  section(
    'tags',
    Object.entries(r.tags).map(([key, value]) => ({ key, value })),
    ['key', 'value'],
  );
  section('inputs', r.inputs, ['ref', 'datasetVersionId']);
  section('metrics (latest)', r.metrics, ['key', 'value', 'step', 'time']);
  section('artifacts', r.artifacts, ['path', 'size', 'blobRef']);
  return lines.join('\n');
}

function formatComparison(c: RunComparison): string {
  // Headers are upper-cased by formatTable, so runs get short column names and a legend.
  const names = c.runs.map((_, i) => `run${i + 1}`);
  const legend = formatTable(
    c.runs.map((r, i) => ({ column: names[i], id: r.id, name: r.name, status: r.status })),
    ['column', 'id', 'name', 'status'],
  );
  const columns = ['', 'key', ...names];
  const row = (differs: boolean, key: string, values: unknown[]) =>
    Object.fromEntries([['', differs ? '*' : ''], ['key', key], ...values.map((v, i) => [names[i]!, v])]);
  return [
    legend,
    'params:',
    formatTable(
      c.params.map((p) => row(p.differs, p.key, p.values)),
      columns,
    ),
    'metrics (latest value @ step):',
    formatTable(
      c.metrics.map((m) =>
        row(
          m.differs,
          m.key,
          m.values.map((v) => (v ? `${v.value} @ ${v.step}` : null)),
        ),
      ),
      columns,
    ),
  ].join('\n');
}
