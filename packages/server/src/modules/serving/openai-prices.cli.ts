import { Page } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, output, print } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { PlumbError } from '../../core/errors.js';
import { Price } from './openai-prices.schemas.js';

const usd = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new PlumbError('invalid_argument', `${what} must be a non-negative number of USD, got ${value}`);
  }
  return n;
};

/** `plumb endpoint price set|list`: the price table of OpenAI-compatible upstream models. */
export function registerPriceCommands(program: Command): void {
  const endpoint =
    program.commands.find((c) => c.name() === 'endpoint') ??
    program.command('endpoint').description('endpoints: routes over model versions, shadows, fallback');
  const price = endpoint
    .command('price')
    .description('prices of upstream models, for the cost of each chat completion');

  price
    .command('set <upstream-model>')
    .description('set the price of an upstream model from a date; the same date again replaces it')
    .requiredOption('--input-per-1m <usd>', 'USD per million prompt tokens', usd('--input-per-1m'))
    .requiredOption('--output-per-1m <usd>', 'USD per million completion tokens', usd('--output-per-1m'))
    .requiredOption('--from <date>', 'in effect from this date (2026-01-01, UTC) or ISO-8601 time')
    .action(
      action(
        async (
          model: string,
          opts: { inputPer1m: number; outputPer1m: number; from: string },
          command: Command,
        ) => {
          const set = await clientFromEnv().request('POST', '/api/v1/prices', {
            body: {
              upstreamModel: model,
              inputPer1m: opts.inputPer1m,
              outputPer1m: opts.outputPer1m,
              from: opts.from,
            },
            schema: Price,
          });
          print(
            command,
            set,
            (p) =>
              `${p.upstreamModel}: $${p.inputPer1m} in, $${p.outputPer1m} out per 1M tokens from ${p.from}\n`,
          );
        },
      ),
    );

  pagingOptions(
    price
      .command('list')
      .description('prices by upstream model and effective date')
      .option('--model <name>', 'one upstream model'),
    'prices',
  ).action(
    action(async (opts: PagingOptions & { model?: string }, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages(
        (q) =>
          client.request('GET', '/api/v1/prices', {
            query: { ...q, ...(opts.model ? { upstreamModel: opts.model } : {}) },
            schema: Page(Price),
          }),
        opts,
      );
      output(command, items, {
        rows: items,
        columns: ['upstreamModel', 'inputPer1m', 'outputPer1m', 'from', 'createdBy'],
      });
    }),
  );
}
