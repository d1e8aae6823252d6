import { PromotionRequestStatus } from '@plumb/sdk';
import { type Command, Option } from 'commander';
import { action, clientFromEnv, output, print } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { PlumbError } from '../../core/errors.js';
import { describeAlias, describeMover, describeOutcome, describeRequest } from './registry-format.js';

/** `--expect v3` / `3`: the alias must point there; `none`: it must not be set yet. */
function parseExpect(value: string): number | null {
  if (value === 'none') return null;
  const match = /^v?(\d+)$/.exec(value);
  if (!match) throw new PlumbError('invalid_argument', `--expect ${value}: write vN, N or none`);
  return Number(match[1]);
}

const expectOption = () =>
  new Option(
    '--expect <version>',
    'move only if the alias points at this version now (vN, or none)',
  ).argParser(parseExpect);

/** `plumb model alias|promote|requests|approve|reject|rollback`. */
export function registerPromotionCommands(model: Command): void {
  const alias = model.command('alias').description('aliases: champion, challenger, shadow or any name');
  alias
    .command('set <name> <alias> <version>')
    .description(
      'point an ungated alias at a version (name@vN or vN); gated aliases, and every alias of a model that needs approval, move by promotion',
    )
    .addOption(expectOption())
    .option('--reason <text>', 'why', '')
    .action(
      action(
        async (
          name: string,
          aliasName: string,
          version: string,
          opts: { expect?: number | null; reason: string },
          command: Command,
        ) => {
          const moved = await clientFromEnv().models.setAlias(name, aliasName, {
            version,
            reason: opts.reason,
            ...(opts.expect === undefined ? {} : { expectedVersion: opts.expect }),
          });
          print(command, moved, (safe) => describeAlias(name, safe));
        },
      ),
    );
  alias
    .command('list <name>')
    .description("a model's aliases")
    .action(
      action(async (name: string, _opts: unknown, command: Command) => {
        const { items } = await clientFromEnv().models.aliases(name);
        output(command, items, { rows: items, columns: ['alias', 'ref', 'gated', 'updatedAt', 'updatedBy'] });
      }),
    );
  pagingOptions(
    alias.command('history <name> <alias>').description("an alias's moves, newest first"),
    'moves',
  ).action(
    action(async (name: string, aliasName: string, opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items: moves } = await fetchPages((q) => client.models.aliasHistory(name, aliasName, q), opts);
      output(command, moves, {
        rows: moves.map((m) => ({
          ...m,
          from: m.fromVersion ? `v${m.fromVersion}` : '-',
          to: `v${m.toVersion}`,
          by: describeMover(m),
        })),
        columns: ['seq', 'action', 'from', 'to', 'by', 'reason', 'at'],
      });
    }),
  );

  model
    .command('promote <ref>')
    .description('promote a version under the model policy: gate, approval, risk class')
    .option('--alias <alias>', 'the alias to move', 'champion')
    .option('--reason <text>', 'why', '')
    .addOption(expectOption())
    .action(
      action(
        async (
          ref: string,
          opts: { alias: string; reason: string; expect?: number | null },
          command: Command,
        ) => {
          const outcome = await clientFromEnv().models.promote(ref, {
            alias: opts.alias,
            reason: opts.reason,
            ...(opts.expect === undefined ? {} : { expectedVersion: opts.expect }),
          });
          print(command, outcome, (safe) => describeOutcome(safe, ref.slice(0, ref.indexOf('@'))));
        },
      ),
    );

  pagingOptions(
    model
      .command('requests')
      .description('promotion requests, newest first')
      .addOption(
        new Option('--status <status>', 'only requests in this status').choices(
          PromotionRequestStatus.options,
        ),
      )
      .option('--model <name>', 'only requests for this model'),
    'requests',
  ).action(
    action(
      async (opts: { status?: PromotionRequestStatus; model?: string } & PagingOptions, command: Command) => {
        const client = clientFromEnv();
        const { items } = await fetchPages(
          (q) =>
            client.models.requests({
              ...q,
              ...(opts.status ? { status: opts.status } : {}),
              ...(opts.model ? { model: opts.model } : {}),
            }),
          opts,
        );
        output(command, items, {
          rows: items,
          columns: ['id', 'ref', 'alias', 'status', 'requestedBy', 'requestedAt', 'decidedBy'],
        });
      },
    ),
  );

  for (const verb of ['approve', 'reject'] as const) {
    model
      .command(`${verb} <request>`)
      .description(
        verb === 'approve'
          ? 'approve a promotion request you did not make; the alias moves if the policy still holds'
          : 'reject a promotion request you did not make',
      )
      .requiredOption('--comment <text>', 'the reason for the decision, kept in the audit trail')
      .action(
        action(async (id: string, opts: { comment: string }, command: Command) => {
          const client = clientFromEnv();
          print(command, await client.models[verb](id, { comment: opts.comment }), describeRequest);
        }),
      );
  }

  model
    .command('rollback <name>')
    .description(
      'move an alias back to its previous target: an audited emergency action without gate or approval',
    )
    .option('--alias <alias>', 'the alias to roll back', 'champion')
    .option('--reason <text>', 'why', '')
    .addOption(
      new Option(
        '--expect <version>',
        'roll back only if the alias points at this version now (vN)',
      ).argParser((v: string) => {
        const n = parseExpect(v);
        if (n === null)
          throw new PlumbError('invalid_argument', '--expect: a rolled-back alias points somewhere');
        return n;
      }),
    )
    .action(
      action(
        async (name: string, opts: { alias: string; reason: string; expect?: number }, command: Command) => {
          const moved = await clientFromEnv().models.rollback(name, opts.alias, {
            reason: opts.reason,
            ...(opts.expect === undefined ? {} : { expectedVersion: opts.expect }),
          });
          print(command, moved, (safe) => `rolled back: ${describeAlias(name, safe)}`);
        },
      ),
    );
}
