import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { PipelineLogLine, PipelineRun } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, output, print, wantsJson } from '../../cli/cli-context.js';
import { formatTime } from '../../cli/format-time.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { escapeControl } from '../../cli/safe-text.js';
import { PlumbError } from '../../core/errors.js';

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

function parseParams(pairs: string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new PlumbError('invalid_argument', `--param ${pair}: expected NAME=VALUE`);
    const raw = pair.slice(at + 1);
    // Numbers, booleans and JSON stay typed; anything else is a string.
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    params[pair.slice(0, at)] = value;
  }
  return params;
}

function renderRun(r: PipelineRun): string {
  const head = `${r.id}  ${r.pipeline}@v${r.version}  ${r.status}  (${r.trigger.kind}, ${formatTime(r.createdAt)})\n`;
  const steps = r.steps.map((s) => {
    const tries = s.attempts.length > 1 ? `  ${s.attempts.length} attempts` : '';
    const cached = s.cachedFrom ? `  cached from ${s.cachedFrom}` : '';
    const needs = s.needs.length > 0 ? `  after ${s.needs.join(', ')}` : '';
    const error = s.error && s.status !== 'succeeded' ? `\n      ${s.error}` : '';
    const approval =
      s.approval && s.status === 'waiting'
        ? `\n      waiting for ${s.approval.quorum} of ${[...s.approval.approvers, ...(s.approval.role ? [`role ${s.approval.role}`] : [])].join(', ')}` +
          `${s.approval.timeoutAt ? ` until ${formatTime(s.approval.timeoutAt)}` : ''}: plumb pipeline approve ${r.id} ${s.name} --comment "…"`
        : '';
    return `  ${s.name.padEnd(16)} ${s.kind.padEnd(9)} ${s.status}${tries}${cached}${needs}${error}${approval}\n`;
  });
  return head + steps.join('') + (r.error ? `error: ${r.error}\n` : '');
}

function renderLine(l: PipelineLogLine): string {
  return `${l.step}#${l.attempt} ${l.stream === 'stdout' ? '' : `${l.stream}: `}${escapeControl(l.text)}\n`;
}

export function registerPipelineCommands(program: Command): void {
  const pipeline = program
    .command('pipeline')
    .description('retraining pipelines: versioned step graphs, their runs, logs and approvals');

  pipeline
    .command('apply <file>')
    .description("store a pipeline's YAML as its next version; its commands run in the file's folder")
    .action(
      action(async (file: string, _opts: unknown, command: Command) => {
        const yaml = await readFile(file, 'utf8').catch(() => {
          throw new PlumbError('invalid_argument', `cannot read ${file}`);
        });
        const applied = await clientFromEnv().pipelines.apply(yaml, dirname(resolve(file)));
        print(command, applied, (a) => {
          const head = a.created
            ? `stored ${a.pipeline.ref}\n`
            : `unchanged: the same text is already ${a.pipeline.ref}\n`;
          const hook = a.webhookPath
            ? `webhook: POST ${a.webhookPath} (no API key; the raw body signed in X-Plumb-Signature: sha256=<hex HMAC-SHA256>)\n`
            : '';
          return a.webhookSecret
            ? `${head}${hook}webhook secret (shown once): ${a.webhookSecret}\n`
            : `${head}${hook}`;
        });
      }),
    );

  pagingOptions(
    pipeline.command('list').description("the project's pipelines, latest version of each"),
    'pipelines',
  ).action(
    action(async (opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.pipelines.list(q), opts);
      output(command, items, {
        rows: items.map((p) => ({
          ...p,
          steps: p.spec.steps.length,
          triggers: p.spec.triggers.map((t) => Object.keys(t)[0]).join(', ') || 'manual',
        })),
        columns: ['ref', 'steps', 'triggers', 'createdAt', 'createdBy'],
      });
    }),
  );

  pipeline
    .command('run <name>')
    .description('start a run of the latest version; waits for it unless --no-wait')
    .option(
      '-p, --param <name=value>',
      'a parameter (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--dedup-key <key>', 'start at most one run for this key')
    .option('--no-wait', 'print the run and return')
    .action(
      action(
        async (
          name: string,
          opts: { param: string[]; dedupKey?: string; wait: boolean },
          command: Command,
        ) => {
          const client = clientFromEnv();
          let run = await client.pipelines.run(name, {
            params: parseParams(opts.param),
            ...(opts.dedupKey ? { dedupKey: opts.dedupKey } : {}),
          });
          if (opts.wait) run = await client.pipelines.waitForRun(run.id, { untilWaiting: true });
          print(command, run, renderRun);
          if (run.status === 'failed' || run.status === 'cancelled') process.exitCode = 1;
        },
      ),
    );

  pagingOptions(pipeline.command('runs [name]').description('runs, newest first'), 'runs')
    .option('--status <status>', 'only runs in this status')
    .action(
      action(
        async (name: string | undefined, opts: PagingOptions & { status?: string }, command: Command) => {
          const client = clientFromEnv();
          const { items } = await fetchPages(
            (q) =>
              client.pipelines.runs({
                ...q,
                ...(name ? { pipeline: name } : {}),
                ...(opts.status ? { status: opts.status as 'running' } : {}),
              }),
            opts,
          );
          output(command, items, {
            rows: items.map((r) => ({ ...r, trigger: r.trigger.kind, ref: `${r.pipeline}@v${r.version}` })),
            columns: ['id', 'ref', 'status', 'trigger', 'createdAt', 'finishedAt'],
          });
        },
      ),
    );

  pipeline
    .command('show <run>')
    .description('a run: each step with its status, attempts, cache hits and approvals')
    .action(
      action(async (id: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().pipelines.getRun(id), renderRun);
      }),
    );

  pipeline
    .command('cancel <run>')
    .description('cancel a run; a running program is stopped')
    .action(
      action(async (id: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().pipelines.cancel(id), renderRun);
      }),
    );

  for (const decision of ['approve', 'reject'] as const) {
    pipeline
      .command(`${decision} <run> <step>`)
      .description(`${decision} a waiting approval step (audited)`)
      .option('--comment <text>', 'why', '')
      .action(
        action(async (id: string, step: string, opts: { comment: string }, command: Command) => {
          const client = clientFromEnv();
          const run =
            decision === 'approve'
              ? await client.pipelines.approve(id, step, opts.comment)
              : await client.pipelines.reject(id, step, opts.comment);
          print(command, run, renderRun);
        }),
      );
  }

  pipeline
    .command('logs <run>')
    .description("a run's captured output (stdout, stderr and the engine's notes)")
    .option('--step <step>', 'only this step')
    .option('-f, --follow', 'keep printing new lines until the run ends')
    .option('--interval <ms>', 'how often to poll while following', (v) => Number.parseInt(v, 10), 500)
    .action(
      action(
        async (id: string, opts: { step?: string; follow?: boolean; interval: number }, command: Command) => {
          const client = clientFromEnv();
          let after = 0;
          const all: PipelineLogLine[] = [];
          for (;;) {
            const page = await client.pipelines.logs(id, {
              after,
              limit: 5000,
              ...(opts.step ? { step: opts.step } : {}),
            });
            after = page.last;
            if (wantsJson(command)) all.push(...page.lines);
            else for (const line of page.lines) process.stdout.write(renderLine(line));
            if (page.lines.length === 5000) continue;
            if (!opts.follow || page.done) break;
            const run = await client.pipelines.getRun(id);
            if (ENDED.has(run.status) && page.lines.length === 0) break;
            await new Promise((r) => setTimeout(r, opts.interval));
          }
          if (wantsJson(command)) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
        },
      ),
    );
}
