import type { Command } from 'commander';
import { registerModelCommands } from './models.cli.js';
import { registerPromotionCommands } from './promotion.cli.js';

/** `plumb model …`, `plumb inventory` and `plumb lineage model`; register after the datasets commands. */
export function registerRegistryCommands(program: Command): void {
  const model = program
    .command('model')
    .description('the model registry: versions, aliases, promotions, cards');
  registerModelCommands(program, model);
  registerPromotionCommands(model);
}
