import { readFile, writeFile } from 'node:fs/promises';
import { type EvalRun, EvalRunStatus, type EvalRunSummary } from '@plumb/sdk';
import { type Command, Option } from 'commander';
import { action, clientFromEnv, formatTable, output, wantsJson } from '../../cli/cli-context.js';
import { PlumbError } from '../../core/errors.js';
import { formatValue, reportRows } from './eval-report-rows.js';

const RUN_COLUMNS = ['id', 'suite', 'candidate', 'baseline', 'status', 'gate', 'createdAt'];

export function registerEvalCommands(program: Command): void {
  const evalCommand = program
    .command('eval')
    .description('evaluations: suites, runs of a candidate against a baseline, gate decisions');

  const suite = evalCommand.command('suite').description('evaluation suites (YAML), versioned by name');
  suite
    .command('create <file>')
    .description("store a suite's YAML as the next version of its name")
    .action(
      action(async (file: string, _opts: unknown, command: Command) => {
        const yaml = await readFile(file, 'utf8').catch(() => {
          throw new PlumbError('invalid_argument', `cannot read ${file}`);
        });
        const result = await clientFromEnv().evals.createSuite(yaml);
        if (wantsJson(command)) return output(command, result);
        process.stdout.write(
          result.created
            ? `stored ${result.suite.ref}\n`
            : `unchanged: the same text is already ${result.suite.ref}\n`,
        );
      }),
    );
  suite
    .command('list')
    .description("the project's suites, latest version of each")
    .action(
      action(async (_opts: unknown, command: Command) => {
        const client = clientFromEnv();
        const items = [];
        for await (const s of client.paginate((q) => client.evals.listSuites(q))) items.push(s);
        output(command, items, {
          rows: items.map((s) => ({ ...s, datasets: (s.spec.datasets as string[] | undefined)?.join(', ') })),
          columns: ['ref', 'datasets', 'createdAt', 'createdBy'],
        });
      }),
    );
  suite
    .command('show <suite>')
    .description('one suite version as stored (name, name@vN)')
    .action(
      action(async (ref: string, _opts: unknown, command: Command) => {
        const s = await clientFromEnv().evals.getSuite(ref);
        if (wantsJson(command)) return output(command, s);
        process.stdout.write(
          `# ${s.ref}, stored ${s.createdAt} by ${s.createdBy}\n${s.yaml}${s.yaml.endsWith('\n') ? '' : '\n'}`,
        );
      }),
    );

  evalCommand
    .command('run <suite>')
    .description(
      'evaluate a model version with a suite, against a baseline; exits 1 if the gate does not pass',
    )
    .requiredOption('--model <ref>', 'the candidate: name@vN, name@<alias> or mv_…')
    .option(
      '--baseline <ref>',
      'what to compare with, e.g. name@champion (an alias that points nowhere: none)',
    )
    .option('--no-wait', 'print the run id and return without waiting')
    .option('--interval <ms>', 'how often to poll while waiting', (v) => Number.parseInt(v, 10), 1000)
    .action(
      action(
        async (
          suiteRef: string,
          opts: { model: string; baseline?: string; wait: boolean; interval: number },
          command: Command,
        ) => {
          const client = clientFromEnv();
          const started = await client.evals.run({
            suite: suiteRef,
            candidate: opts.model,
            baseline: opts.baseline ?? null,
          });
          if (!opts.wait) {
            if (wantsJson(command)) return output(command, started);
            process.stdout.write(`${started.id}\n`);
            return;
          }
          const progress = rowProgress(!wantsJson(command));
          const run = await client.evals.waitForRun(started.id, {
            intervalMs: opts.interval,
            onProgress: (r) => progress.update(r),
          });
          progress.finish();
          if (wantsJson(command)) output(command, run);
          else process.stdout.write(formatReport(run));
          if (run.status !== 'succeeded' || !run.decision?.passed) process.exitCode = 1;
        },
      ),
    );

  evalCommand
    .command('report <evalRun>')
    .description('slice by metric, candidate against baseline, with the gate decision')
    .option('--html <file>', 'also write the self-contained HTML report to this file')
    .action(
      action(async (id: string, opts: { html?: string }, command: Command) => {
        const client = clientFromEnv();
        const run = await client.evals.getRun(id);
        if (opts.html) await writeFile(opts.html, await client.evals.reportHtml(id), 'utf8');
        if (wantsJson(command)) return output(command, run);
        process.stdout.write(formatReport(run));
        if (opts.html) process.stdout.write(`wrote ${opts.html}\n`);
      }),
    );

  evalCommand
    .command('list')
    .description('evaluation runs, newest first')
    .option('--suite <name>', 'only runs of this suite')
    .option('--candidate <id>', 'only runs of this candidate model version id (mv_…)')
    .addOption(new Option('--status <status>', 'only runs in this status').choices(EvalRunStatus.options))
    .option('-n, --limit <n>', 'at most this many runs', (v) => Number.parseInt(v, 10), 50)
    .action(
      action(
        async (
          opts: { suite?: string; candidate?: string; status?: EvalRunStatus; limit: number },
          command: Command,
        ) => {
          const client = clientFromEnv();
          const filter = {
            ...(opts.suite ? { suite: opts.suite } : {}),
            ...(opts.candidate ? { candidate: opts.candidate } : {}),
            ...(opts.status ? { status: opts.status } : {}),
          };
          const items: EvalRunSummary[] = [];
          for await (const r of client.paginate(
            (q) => client.evals.listRuns({ ...filter, ...q }),
            Math.min(opts.limit, 500),
          )) {
            items.push(r);
            if (items.length >= opts.limit) break;
          }
          output(command, items, {
            rows: items.map((r) => ({
              id: r.id,
              suite: r.suite.ref,
              candidate: r.candidate.ref,
              baseline: r.baseline?.ref ?? null,
              status: r.status,
              gate: r.decision ? (r.decision.passed ? 'passed' : 'failed') : null,
              createdAt: r.createdAt,
            })),
            columns: RUN_COLUMNS,
          });
        },
      ),
    );
}

/** The report as text: the slice × metric table, then the decision and its reasons. */
export function formatReport(run: EvalRun): string {
  const lines = [
    `eval run ${run.id}  ${run.suite.ref}: ${run.candidate.ref} vs ${run.baseline?.ref ?? (run.baselineRequested ? `nothing (${run.baselineRequested} points at no version)` : 'no baseline')}`,
    `status ${run.status}${run.durationMs === null ? '' : ` in ${formatDuration(run.durationMs)}`}, datasets ${run.datasets.map((d) => d.ref).join(', ')}`,
  ];
  if (run.error) lines.push(`error: ${run.error}`);
  if (run.result) {
    const skipped = run.result.skippedRows;
    if (skipped.nullLabel + skipped.badFeature > 0) {
      lines.push(
        `skipped ${skipped.nullLabel} rows without a label, ${skipped.badFeature} with a missing feature`,
      );
    }
    lines.push(
      '',
      formatTable(
        reportRows(run).map((r) => ({
          slice: r.slice,
          rows: r.rows,
          metric: r.metric,
          candidate: formatValue(r.candidate),
          baseline: formatValue(r.baseline),
          delta: formatValue(r.delta, true),
          gate: r.gate ?? '',
        })),
        ['slice', 'rows', 'metric', 'candidate', 'baseline', 'delta', 'gate'],
      ).trimEnd(),
    );
  }
  if (run.decision) {
    lines.push('', `gate: ${run.decision.passed ? 'PASSED' : 'FAILED'}`);
    for (const reason of run.decision.reasons) lines.push(`  - ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Rows done on one line of stderr, on a terminal only. */
function rowProgress(enabled: boolean) {
  const on = enabled && Boolean(process.stderr.isTTY) && !process.env.CI;
  let drawn = false;
  return {
    update(run: EvalRun) {
      if (!on) return;
      drawn = true;
      const total = Math.max(run.rowsTotal, 1);
      const pct = Math.min(100, Math.floor((run.rowsDone / total) * 100));
      process.stderr.write(
        `\r${run.status} ${run.rowsDone.toLocaleString('en')}/${run.rowsTotal.toLocaleString('en')} rows (${pct}%)   `,
      );
    },
    finish() {
      if (on && drawn) process.stderr.write('\n');
    },
  };
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
