import { PlumbError } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, wantsJson } from '../../cli/cli-context.js';
import { formatBytes } from '../../cli/progress.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `30m`, `24h`, `7d` → seconds. */
export function parseGrace(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) {
    throw new PlumbError(
      'invalid_argument',
      `--grace expects a duration such as 30m, 24h or 7d, got "${text}"`,
    );
  }
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

export function registerBlobCommands(program: Command): void {
  const blobs = program.command('blobs').description('the content-addressed store of uploaded files');
  blobs
    .command('gc')
    .description(
      'remove blobs no dataset version, run artifact or model version references (admin keys only)',
    )
    .option('--dry-run', 'only report what would be removed')
    .option('--grace <duration>', 'keep blobs uploaded or used within this long (e.g. 30m, 24h, 7d)', '24h')
    .action(
      action(async (opts: { dryRun?: boolean; grace: string }, command: Command) => {
        const graceSeconds = parseGrace(opts.grace);
        const result = await clientFromEnv().blobs.gc({ dryRun: Boolean(opts.dryRun), graceSeconds });
        if (wantsJson(command)) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const verb = result.dryRun ? 'would remove' : 'removed';
        process.stdout.write(
          `${verb} ${result.removed} unreferenced blob${result.removed === 1 ? '' : 's'}, ${formatBytes(result.bytes)} (grace ${opts.grace})\n`,
        );
        for (const ref of result.refs) process.stdout.write(`  ${ref}\n`);
        if (result.refs.length < result.removed) {
          process.stdout.write(`  … and ${result.removed - result.refs.length} more\n`);
        }
      }),
    );
}
