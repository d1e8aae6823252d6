import type { Command } from 'commander';
import { action, clientFromEnv, output, print } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');
  pagingOptions(
    audit
      .command('list')
      .description('list audit records, newest first')
      .option('--resource <resource>', 'e.g. key:key_01J… or a prefix ending in *, e.g. project:*')
      .option('--actor <keyId>', 'only records by this key id (or "system")')
      .option('--action <action>', 'e.g. key.create')
      .option('--since <time>', 'ISO-8601 time, inclusive')
      .option('--until <time>', 'ISO-8601 time, exclusive'),
    'records',
  ).action(
    action(async (opts: Record<string, string | undefined> & PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const filter = {
        ...(opts.resource ? { resource: opts.resource } : {}),
        ...(opts.actor ? { actor: opts.actor } : {}),
        ...(opts.action ? { action: opts.action } : {}),
        ...(opts.since ? { since: opts.since } : {}),
        ...(opts.until ? { until: opts.until } : {}),
      };
      const { items } = await fetchPages((q) => client.audit.list({ ...filter, ...q }), opts);
      output(command, items, { rows: items, columns: ['seq', 'time', 'actor', 'action', 'resource'] });
    }),
  );
  audit
    .command('verify')
    .description(
      'recompute the hash chain; exits 1 and names the first broken record if it was tampered with',
    )
    .action(
      action(async (_opts: unknown, command: Command) => {
        const result = await clientFromEnv().audit.verify();
        print(command, result, (r) => {
          if (r.ok) return `audit chain intact: ${r.checked} records verified\n`;
          const b = r.firstBroken!;
          return `audit chain BROKEN at record ${b.seq} (${b.reason}): ${b.message}\n`;
        });
        if (!result.ok) process.exitCode = 1;
      }),
    );
}
