import { PlumbError } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, print } from '../../cli/cli-context.js';
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
        print(command, result, (r) => {
          const verb = r.dryRun ? 'would remove' : 'removed';
          const lines = [
            `${verb} ${r.removed} unreferenced blob${r.removed === 1 ? '' : 's'}, ${formatBytes(r.bytes)} (grace ${opts.grace})`,
            ...r.refs.map((ref) => `  ${ref}`),
            ...(r.refs.length < r.removed ? [`  … and ${r.removed - r.refs.length} more`] : []),
          ];
          return `${lines.join('\n')}\n`;
        });
      }),
    );
}
