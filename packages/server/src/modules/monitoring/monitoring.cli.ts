import type { DriftReport, DriftTest, MonitorStatus } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, formatTable, output, print } from '../../cli/cli-context.js';
import { formatTime } from '../../cli/format-time.js';
import { performanceRows } from '../../cli/performance-rows.js';

const FEATURE_COLUMNS = ['feature', 'test', 'statistic', 'threshold', 'verdict', 'low', 'high', 'count'];

/** `--test a=psi --test b=ks` and `--threshold a=0.2` into per-feature overrides. */
function overridesOf(tests: string[], thresholds: string[]) {
  const out: Record<string, { test?: DriftTest; threshold?: number }> = {};
  const split = (s: string, flag: string) => {
    const at = s.indexOf('=');
    if (at <= 0) throw new Error(`${flag} takes FEATURE=VALUE, got ${JSON.stringify(s)}`);
    return [s.slice(0, at), s.slice(at + 1)] as const;
  };
  for (const t of tests) {
    const [f, v] = split(t, '--test');
    out[f] = { ...out[f], test: v as DriftTest };
  }
  for (const t of thresholds) {
    const [f, v] = split(t, '--threshold');
    out[f] = { ...out[f], threshold: Number(v) };
  }
  return out;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const round = (x: number | null) => (x === null ? null : Number(x.toPrecision(4)));

function formatReport(r: DriftReport): string {
  const head = `monitor ${r.monitorId}  ${r.endpoint} against ${r.reference}\n${formatTime(r.from)} – ${formatTime(r.to)}  (${r.windows} window profiles, ${r.mode})\n`;
  const rows = r.features.map((f) => ({
    ...f,
    statistic: round(f.statistic),
    low: round(f.low),
    high: round(f.high),
  }));
  const share = `dataset: ${r.datasetDrifted ? 'DRIFT' : 'no drift'} (${(r.shareDrifted * 100).toFixed(0)}% of features drifted)\n`;
  return `${head}${formatTable(rows, FEATURE_COLUMNS)}${share}`;
}

function formatPerformance(p: MonitorStatus['performance']): string {
  const head = `performance per ${p.window} window${p.positiveClass === null ? '' : ` (positive class ${p.positiveClass})`}:\n`;
  if (p.series.length === 0) return `${head}  (no predictions in the range)\n`;
  const rows = performanceRows(p.series);
  return (
    head +
    formatTable(rows, [
      'window',
      'version',
      'predictions',
      'labelled',
      'accuracy',
      'est.accuracy',
      'f1',
      'est.f1',
      'auc',
      'mae',
      'rmse',
    ])
  );
}

function formatAlerts(alerts: MonitorStatus['alerts']): string {
  if (alerts.length === 0) return 'open alerts: none\n';
  const rows = alerts.map((a) => ({ ...a, rule: a.ruleName, value: round(a.value) }));
  return `open alerts (${alerts.length}):\n${formatTable(rows, ['id', 'rule', 'subject', 'status', 'value', 'threshold', 'openedAt'])}`;
}

function formatStatus(s: MonitorStatus): string {
  const tail = `${formatPerformance(s.performance)}${formatAlerts(s.alerts)}`;
  if (s.monitors.length === 0) return `endpoint ${s.endpoint} has no monitors\n${tail}`;
  const monitors = s.monitors
    .map((m) => {
      const skew = m.skew
        .map(
          (v) =>
            `  ${v.modelVersion} from ${formatTime(v.windowStart)}: ${v.skewed.length ? `skew in ${v.skewed.join(', ')}` : 'no skew'}`,
        )
        .join('\n');
      return `${formatReport(m)}training–serving skew:\n${skew || '  (no version has served yet)'}\n`;
    })
    .join('\n');
  return `${monitors}\n${tail}`;
}

export function registerMonitoringCommands(program: Command): void {
  const monitor = program.command('monitor').description("drift of an endpoint's inputs and outputs");
  monitor
    .command('create <endpoint>')
    .description("monitor an endpoint against a reference (default: the served version's training data)")
    .option('--reference <name@vN>', 'the reference dataset version')
    .option('--window <length>', 'window length: 1h, 6h, 1d, 1w', '1h')
    .option('--features <a,b,c>', 'features to monitor (default: every reference column)')
    .option(
      '--test <feature=test>',
      'a feature’s test: ks, chisquare, z, wasserstein, jensenshannon, psi',
      collect,
    )
    .option('--threshold <feature=x>', 'a feature’s threshold', collect)
    .action(
      action(
        async (
          endpoint: string,
          opts: {
            reference?: string;
            window: string;
            features?: string;
            test?: string[];
            threshold?: string[];
          },
          command: Command,
        ) => {
          const overrides = overridesOf(opts.test ?? [], opts.threshold ?? []);
          const m = await clientFromEnv().monitors.create({
            endpoint,
            window: opts.window,
            ...(opts.reference ? { reference: opts.reference } : {}),
            ...(opts.features ? { features: opts.features.split(',').map((f) => f.trim()) } : {}),
            ...(Object.keys(overrides).length ? { overrides } : {}),
          });
          print(
            command,
            m,
            (s) =>
              `monitor ${s.id} on ${s.endpoint} against ${s.reference}\n${formatTable(s.features, ['feature', 'kind', 'test', 'threshold', 'referenceCount', 'distinct'])}`,
          );
        },
      ),
    );
  monitor
    .command('list')
    .description('list monitors')
    .option('--endpoint <name>', 'only monitors of this endpoint')
    .action(
      action(async (opts: { endpoint?: string }, command: Command) => {
        const { items } = await clientFromEnv().monitors.list(
          opts.endpoint ? { endpoint: opts.endpoint } : {},
        );
        const rows = items.map((m) => ({
          ...m,
          window: `${m.windowMs / 3_600_000}h`,
          features: m.features.length,
        }));
        output(command, items, {
          rows,
          columns: ['id', 'endpoint', 'reference', 'window', 'features', 'createdAt'],
        });
      }),
    );
  monitor
    .command('show <id>')
    .description("a monitor's reference and each feature's test and threshold")
    .action(
      action(async (id: string, _opts: unknown, command: Command) => {
        const m = await clientFromEnv().monitors.get(id);
        print(
          command,
          m,
          (s) =>
            `monitor ${s.id} on ${s.endpoint} against ${s.reference}, ${s.windowMs / 3_600_000}h windows\n${formatTable(s.features, ['feature', 'kind', 'test', 'threshold', 'chosen', 'referenceCount', 'distinct'])}`,
        );
      }),
    );
  monitor
    .command('delete <id>')
    .description('delete a monitor')
    .action(
      action(async (id: string, _opts: unknown, command: Command) => {
        const m = await clientFromEnv().monitors.delete(id);
        print(command, m, (s) => `deleted monitor ${s.id}\n`);
      }),
    );
  monitor
    .command('drift <id>')
    .description('drift of a time range, from stored profiles')
    .requiredOption('--from <time>', 'ISO-8601 start')
    .requiredOption('--to <time>', 'ISO-8601 end')
    .option('--exact', 'test the merged reservoir samples instead of the sketches')
    .action(
      action(async (id: string, opts: { from: string; to: string; exact?: boolean }, command: Command) => {
        const r = await clientFromEnv().monitors.drift(id, {
          from: opts.from,
          to: opts.to,
          mode: opts.exact ? 'exact' : 'profile',
        });
        print(command, r, formatReport);
      }),
    );
  monitor
    .command('status <endpoint>')
    .description(
      "each monitor's test, statistic, threshold and verdict per feature, skew, the performance trend and open alerts",
    )
    .option('--from <time>', 'ISO-8601 start (default: a day before --to)')
    .option('--to <time>', 'ISO-8601 end (default: now)')
    .action(
      action(async (endpoint: string, opts: { from?: string; to?: string }, command: Command) => {
        const s = await clientFromEnv().monitors.status(endpoint, {
          ...(opts.from ? { from: opts.from } : {}),
          ...(opts.to ? { to: opts.to } : {}),
        });
        print(command, s, formatStatus);
      }),
    );
  monitor
    .command('coverage <endpoint>')
    .description(
      "each value's share of production next to its shares of the training and evaluation data, largest gap first",
    )
    .requiredOption('--slice-field <field>', 'the input field to slice by')
    .option('--from <time>', 'ISO-8601 start')
    .option('--to <time>', 'ISO-8601 end')
    .action(
      action(
        async (
          endpoint: string,
          opts: { sliceField: string; from?: string; to?: string },
          command: Command,
        ) => {
          const c = await clientFromEnv().monitors.coverage(endpoint, {
            field: opts.sliceField,
            ...(opts.from ? { from: opts.from } : {}),
            ...(opts.to ? { to: opts.to } : {}),
          });
          const rows = c.rows.map((r) => ({
            value: r.value,
            production: round(r.productionShare),
            training: round(r.trainingShare),
            evaluation: round(r.evaluationShare),
            gap: round(r.gap),
            'eval.gap': round(r.evaluationGap),
            flag: r.unseenInTraining ? 'NEVER IN TRAINING' : '',
          }));
          print(
            command,
            c,
            (v) =>
              `${v.field} on ${v.endpoint}: ${v.productionCount} production values; training ${v.training.join(', ')}; evaluation ${v.evaluation.length ? v.evaluation.join(', ') : '(no succeeded evaluation run)'}\n${formatTable(rows, ['value', 'production', 'training', 'evaluation', 'gap', 'eval.gap', 'flag'])}`,
          );
        },
      ),
    );
}
