import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestPlumb, type TestPlumb } from './test-plumb.js';

/** The built CLI, as a user runs it; `npm test` builds first. */
export const CLI_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI and collects its output. Asynchronous on purpose: the server answering the
 * CLI often runs in the test's own process, which a synchronous spawn would block.
 */
export function runCli(
  args: string[],
  options: { env: Record<string, string>; cwd: string },
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env: options.env, cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface CliFixture {
  /** The app the CLI talks to, listening on a loopback port. */
  t: TestPlumb;
  /** A scratch folder the CLI runs in. */
  work: string;
  /** Runs the CLI with the admin key against the app, from `work`. */
  plumb(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  dispose(): Promise<void>;
}

/** A listening app plus a scratch folder, for tests that drive it through the built CLI. */
export async function startCliFixture(options: { worker?: boolean } = {}): Promise<CliFixture> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first`);
  const t = await createTestPlumb();
  const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
  if (options.worker) t.plumb.worker.start();
  const env = { PATH: process.env.PATH ?? '', PLUMB_URL: url, PLUMB_API_KEY: t.adminSecret };
  const work = mkdtempSync(join(tmpdir(), 'plumb-cli-'));
  return {
    t,
    work,
    plumb: (args, extraEnv = {}) => runCli(args, { env: { ...env, ...extraEnv }, cwd: work }),
    dispose: async () => {
      await t.dispose();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process printed so far. */
  output: () => string;
}

/**
 * Starts `plumb serve` as a separate process and resolves once it prints its URL (and, with
 * `ready`, once its output also matches that); rejects with the output if it exits first.
 */
export function startServe(
  env: Record<string, string>,
  options: { args?: string[]; ready?: RegExp; timeoutMs?: number } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI_PATH, 'serve', ...(options.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', PLUMB_PORT: '0', PLUMB_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not start:\n${output}`)),
      options.timeoutMs ?? 60_000,
    );
    const onData = (d: Buffer) => {
      output += d;
      const url = /^Plumb (http:\/\/\S+) /m.exec(output)?.[1];
      if (url && (!options.ready || options.ready.test(output))) {
        clearTimeout(timer);
        resolve({ child, url, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
}

/** The process's exit code, once it has exited (null when a signal ended it). */
export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}
