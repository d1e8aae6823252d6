import { Command, CommanderError } from 'commander';
import { MODULES } from '../modules.js';
import { VERSION } from '../version.js';
import { registerDemoCommand } from './demo.cli.js';
import { registerServeCommand } from './serve.cli.js';
import { registerWorkerCommand } from './worker.cli.js';

/** Exit codes: 0 success, 1 failure, 2 usage. */
export function buildProgram(): Command {
  const program = new Command('plumb')
    .description('Plumb: the operations layer for production AI')
    .version(VERSION)
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerDemoCommand(program);
  for (const module of MODULES) module.cli?.(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help';
      process.exit(ok ? 0 : 2);
    }
    throw error;
  }
}

await main(process.argv);
