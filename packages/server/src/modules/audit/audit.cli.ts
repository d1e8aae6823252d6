import type { AuditRecord } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, output } from '../../cli/cli-context.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');
  audit
    .command('list')
    .description('list audit records, newest first')
    .option('--resource <resource>', 'e.g. key:key_01J… or a prefix ending in *, e.g. project:*')
    .option('--actor <keyId>', 'only records by this key id (or "system")')
    .option('--action <action>', 'e.g. key.create')
    .option('--since <time>', 'ISO-8601 time, inclusive')
    .option('--until <time>', 'ISO-8601 time, exclusive')
    .option('-n, --limit <n>', 'at most this many records', (v) => Number.parseInt(v, 10), 50)
    .action(
      action(async (opts: Record<string, string | number | undefined>, command: Command) => {
        const client = clientFromEnv();
        const filter = {
          ...(opts.resource ? { resource: String(opts.resource) } : {}),
          ...(opts.actor ? { actor: String(opts.actor) } : {}),
          ...(opts.action ? { action: String(opts.action) } : {}),
          ...(opts.since ? { since: String(opts.since) } : {}),
          ...(opts.until ? { until: String(opts.until) } : {}),
        };
        const limit = Number(opts.limit);
        const items: AuditRecord[] = [];
        for await (const r of client.paginate(
          (q) => client.audit.list({ ...filter, ...q }),
          Math.min(limit, 500),
        )) {
          items.push(r);
          if (items.length >= limit) break;
        }
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
        if (command.optsWithGlobals().json) output(command, result);
        else if (result.ok) process.stdout.write(`audit chain intact: ${result.checked} records verified\n`);
        else {
          const b = result.firstBroken!;
          process.stdout.write(`audit chain BROKEN at record ${b.seq} (${b.reason}): ${b.message}\n`);
        }
        if (!result.ok) process.exitCode = 1;
      }),
    );
}
