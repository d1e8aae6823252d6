import type { Page, PageParams } from '@plumb/sdk';
import type { Command } from 'commander';
import { PlumbError } from '../core/errors.js';
import { escapeControl } from './safe-text.js';

export interface PagingOptions {
  limit: number;
  cursor?: string;
}

/** The server's largest page. */
const MAX_PAGE = 500;

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new PlumbError('invalid_argument', `--limit ${value}: expected a whole number of 1 or more`);
  }
  return n;
}

/** Adds `--limit` and `--cursor` to a list command. */
export function pagingOptions(command: Command, what: string, defaultLimit = 50): Command {
  return command
    .option('-n, --limit <n>', `at most this many ${what}`, parseLimit, defaultLimit)
    .option('--cursor <cursor>', 'continue where an earlier listing stopped (it prints the cursor)');
}

/**
 * Fetches pages until `limit` items or the end. When items remain, says on stderr how to go on,
 * so stdout (a table or `--json`) holds only the items.
 */
export async function fetchPages<T>(
  list: (query: PageParams) => Promise<Page<T>>,
  options: PagingOptions,
  stderr: { write(text: string): unknown } = process.stderr,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const items: T[] = [];
  let cursor = options.cursor;
  let nextCursor: string | null = null;
  do {
    const page = await list({
      limit: Math.min(MAX_PAGE, options.limit - items.length),
      ...(cursor ? { cursor } : {}),
    });
    items.push(...page.items);
    nextCursor = page.nextCursor;
    cursor = nextCursor ?? undefined;
  } while (cursor && items.length < options.limit);
  if (nextCursor) stderr.write(`more: add --cursor ${escapeControl(nextCursor)}\n`);
  return { items, nextCursor };
}
