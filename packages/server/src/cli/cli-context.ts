import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PlumbClient, PlumbError } from '@plumb/sdk';
import type { Command } from 'commander';
import { formatTime, isTimestamp } from './format-time.js';
import { escapeControl, escapeDeep } from './safe-text.js';

export const DEFAULT_URL = 'http://127.0.0.1:7070';

export interface Credentials {
  url: string;
  apiKey: string;
}

export function credentialsPath(home: string): string {
  return join(resolve(home), 'credentials');
}

/** Reads `PLUMB_HOME/credentials`, written by the first `plumb serve`. */
export function readCredentials(home: string): Credentials | undefined {
  const path = credentialsPath(home);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.apiKey === 'string' && typeof parsed.url === 'string') {
      return { url: parsed.url, apiKey: parsed.apiKey };
    }
  } catch {
    // fall through to the error below
  }
  throw new PlumbError(
    'invalid_argument',
    `${path} is not a Plumb credentials file; delete it or set PLUMB_API_KEY`,
  );
}

/**
 * Where CLI commands go: PLUMB_URL and PLUMB_API_KEY, else the credentials file in PLUMB_HOME
 * (default ./.plumb), else the default local URL, which then lacks a key.
 */
export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials {
  const credentials = env.PLUMB_API_KEY ? undefined : readCredentials(env.PLUMB_HOME || './.plumb');
  const url = env.PLUMB_URL || credentials?.url || DEFAULT_URL;
  const apiKey = env.PLUMB_API_KEY || credentials?.apiKey;
  if (!apiKey) {
    throw new PlumbError(
      'unauthenticated',
      'no API key: set PLUMB_API_KEY, or run the CLI where `plumb serve` wrote .plumb/credentials (PLUMB_HOME)',
    );
  }
  return { url, apiKey };
}

/** The client for CLI commands, on the connection above. */
export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): PlumbClient {
  return new PlumbClient(connectionFromEnv(env));
}

export function wantsJson(command: Command): boolean {
  return Boolean(command.optsWithGlobals().json);
}

/**
 * Whether long work may draw progress on stderr: a person watches a terminal, the output is not
 * `--json` and this is not CI.
 */
export function showsProgress(command: Command): boolean {
  return Boolean(process.stderr.isTTY) && !wantsJson(command) && !process.env.CI;
}

/**
 * The one way human-readable output leaves the CLI: every string in `value` has its control
 * characters escaped before `render` sees it, so server data cannot drive the terminal or forge
 * lines. `--json` prints the value itself for scripts (JSON escapes what a parser needs).
 */
export function print<T>(command: Command, value: T, render: (safe: T) => string): void {
  if (wantsJson(command)) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  process.stdout.write(render(escapeDeep(value)));
}

/**
 * Prints rows as aligned columns for people (formatTable escapes every cell, like `print`);
 * `--json` prints the value itself for scripts.
 */
export function output(
  command: Command,
  value: unknown,
  table?: { rows: Record<string, unknown>[]; columns: string[] },
) {
  if (wantsJson(command) || !table) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatTable(table.rows, table.columns));
}

/** A table cell: times in the one human format, objects as JSON, nothing as `-`, escaped. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (isTimestamp(v)) return formatTime(v);
  return escapeControl(typeof v === 'object' ? JSON.stringify(v) : String(v));
}

export function formatTable(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    `${values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  return line(columns.map((c) => escapeControl(c.toUpperCase()))) + cells.map(line).join('');
}

/** Wraps an action so its errors print cleanly and exit 1. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      const command = args[args.length - 1] as Command;
      reportError(error, command);
      process.exitCode = 1;
    }
  };
}

export function reportError(error: unknown, command?: Command): void {
  if (command && wantsJson(command) && error instanceof PlumbError) {
    process.stderr.write(`${JSON.stringify(error.toEnvelope())}\n`);
    return;
  }
  const message =
    error instanceof PlumbError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`plumb: ${escapeControl(message)}\n`);
  if (
    error instanceof PlumbError &&
    error.details &&
    typeof error.details === 'object' &&
    'issues' in error.details
  ) {
    for (const issue of (error.details as { issues: { field: string; message: string }[] }).issues) {
      process.stderr.write(`  ${escapeControl(`${issue.field}: ${issue.message}`)}\n`);
    }
  }
}
