import { readFile, writeFile } from 'node:fs/promises';
import { type EvalRun, EvalRunStatus, type PlumbClient, type SignificanceResult } from '@plumb/sdk';
import { type Command, Option } from 'commander';
import { action, clientFromEnv, formatTable, output, print, showsProgress } from '../../cli/cli-context.js';
import { formatTime } from '../../cli/format-time.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { createProgress } from '../../cli/progress.js';
import { escapeDocument } from '../../cli/safe-text.js';
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
        print(command, await clientFromEnv().evals.createSuite(yaml), (r) =>
          r.created ? `stored ${r.suite.ref}\n` : `unchanged: the same text is already ${r.suite.ref}\n`,
        );
      }),
    );
  pagingOptions(
    suite.command('list').description("the project's suites, latest version of each"),
    'suites',
  ).action(
    action(async (opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.evals.listSuites(q), opts);
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
        const raw = await clientFromEnv().evals.getSuite(ref);
        print(
          command,
          raw,
          (s) =>
            `# ${s.ref}, stored ${formatTime(s.createdAt)} by ${s.createdBy}\n${escapeDocument(raw.yaml)}${raw.yaml.endsWith('\n') ? '' : '\n'}`,
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
          if (!opts.wait) return print(command, started, (r) => `${r.id}\n`);
          const progress = createProgress({
            tty: showsProgress(command),
            label: started.status,
            unit: 'rows',
          });
          const run = await client.evals.waitForRun(started.id, {
            intervalMs: opts.interval,
            onProgress: (r) => progress.update(r.rowsDone, r.rowsTotal, r.status),
          });
          progress.finish();
          print(command, run, formatReport);
          if (run.status !== 'succeeded' || !run.decision?.passed) process.exitCode = 1;
        },
      ),
    );

  evalCommand
    .command('report <evalRun>')
    .description(
      'an evaluation run (evr_…, latest, or a suite name for its newest run): slice by metric, candidate against baseline, with the gate decision',
    )
    .option('--html <file>', 'also write the self-contained HTML report to this file')
    .action(
      action(async (which: string, opts: { html?: string }, command: Command) => {
        const client = clientFromEnv();
        const id = await resolveEvalRun(client, which);
        const run = await client.evals.getRun(id);
        if (opts.html) await writeFile(opts.html, await client.evals.reportHtml(id), 'utf8');
        print(command, run, (r) => `${formatReport(r)}${opts.html ? `wrote ${opts.html}\n` : ''}`);
      }),
    );

  pagingOptions(
    evalCommand
      .command('list')
      .description('evaluation runs, newest first')
      .option('--suite <name>', 'only runs of this suite')
      .option('--candidate <id>', 'only runs of this candidate model version id (mv_…)')
      .addOption(new Option('--status <status>', 'only runs in this status').choices(EvalRunStatus.options)),
    'runs',
  ).action(
    action(
      async (
        opts: { suite?: string; candidate?: string; status?: EvalRunStatus } & PagingOptions,
        command: Command,
      ) => {
        const client = clientFromEnv();
        const filter = {
          ...(opts.suite ? { suite: opts.suite } : {}),
          ...(opts.candidate ? { candidate: opts.candidate } : {}),
          ...(opts.status ? { status: opts.status } : {}),
        };
        const { items } = await fetchPages((q) => client.evals.listRuns({ ...filter, ...q }), opts);
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
  // The verdict is part of every report, passed or not: a pass says whether it was significant.
  if (run.result?.significance) lines.push('', formatSignificance(run.result.significance));
  if (run.decision) {
    lines.push('', `gate: ${run.decision.passed ? 'PASSED' : 'FAILED'}`);
    for (const reason of run.decision.reasons) lines.push(`  - ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** e.g. `significance (mcnemar on accuracy): better, p = 0.0012, difference +0.0300, alpha 0.05` */
function formatSignificance(s: SignificanceResult): string {
  const evidence =
    s.verdict === 'not_computed'
      ? []
      : s.test === 'mcnemar'
        ? [s.pValue !== null && s.pValue < 0.0001 ? 'p < 0.0001' : `p = ${formatValue(s.pValue)}`]
        : [
            `${Math.round((1 - s.alpha) * 1000) / 10}% interval [${formatValue(s.low)}, ${formatValue(s.high)}], seed ${s.seed}`,
          ];
  const parts = [
    s.verdict.replaceAll('_', ' '),
    ...evidence,
    ...(s.delta === null ? [] : [`difference ${formatValue(s.delta, true)}`]),
    `alpha ${s.alpha}`,
  ];
  return `significance (${s.test} on ${s.metric}): ${parts.join(', ')}${s.note ? ` (${s.note})` : ''}`;
}

/** `evr_…`, `latest` (the newest run) or a suite name (its newest run), so a report is pasteable. */
async function resolveEvalRun(client: PlumbClient, which: string): Promise<string> {
  if (which.startsWith('evr_')) return which;
  const latest = which === 'latest';
  const page = await client.evals.listRuns({ limit: 1, ...(latest ? {} : { suite: which }) });
  const run = page.items[0];
  if (!run) {
    throw new PlumbError(
      'not_found',
      latest
        ? 'no evaluation runs yet'
        : `no evaluation runs of suite ${which} (give evr_…, a suite name or latest)`,
    );
  }
  return run.id;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
