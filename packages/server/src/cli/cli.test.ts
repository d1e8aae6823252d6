import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, startServe } from '../testing/cli-harness.js';

// These run the built CLI as a user would; `npm test` builds first.
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function plumb(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Polls until `condition` answers something truthy, for at most `attempts` × 25 ms. */
async function until<T>(what: string, condition: () => T | Promise<T>, attempts = 800): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await condition();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Sizes of the blob store's temp files: uploads being received. */
function uploadsInFlight(home: string): number[] {
  const dir = join(home, 'blobs', 'tmp');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.tmp'))
    .map((name) => {
      try {
        return statSync(join(dir, name)).size;
      } catch {
        return 0;
      }
    });
}

describe('plumb CLI', () => {
  let home: string;
  let server: Awaited<ReturnType<typeof startServe>>;

  beforeAll(async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    home = mkdtempSync(join(tmpdir(), 'plumb-cli-'));
    server = await startServe({ PLUMB_HOME: home });
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await exitOf(server.child);
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('first start prints an admin key once and saves it with mode 0600', async () => {
    const secret = /^\s+(plumb_\S+)$/m.exec(server.output())?.[1];
    expect(secret).toBeDefined();
    const path = join(home, 'credentials');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ url: server.url, apiKey: secret });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('uses the credentials file when PLUMB_API_KEY is unset, and prints tables or JSON', () => {
    const env = { PLUMB_HOME: home };
    const created = plumb(['projects', 'create', 'cli-team', '-d', 'made by the CLI'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^ID\s+NAME\s+DESCRIPTION/);
    const listed = plumb(['projects', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((p: { name: string }) => p.name)).toEqual(['default', 'cli-team']);
  });

  it('creates, lists and revokes keys; a revoked key is refused with exit 1', () => {
    const env = { PLUMB_HOME: home };
    const created = plumb(
      ['keys', 'create', 'reader', '--role', 'viewer', '--project', 'cli-team', '--json'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const { key, secret } = JSON.parse(created.stdout);
    const asReader = { PLUMB_URL: server.url, PLUMB_API_KEY: secret };
    expect(JSON.parse(plumb(['whoami', '--json'], asReader).stdout)).toMatchObject({
      role: 'viewer',
      project: 'cli-team',
    });
    const denied = plumb(['keys', 'list'], asReader);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('permission_denied');
    expect(plumb(['keys', 'revoke', key.id], env).code).toBe(0);
    const refused = plumb(['whoami', '--json'], asReader);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr)).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it('lists and verifies the audit trail', () => {
    const env = { PLUMB_HOME: home };
    const listed = plumb(['audit', 'list', '--action', 'key.revoke', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
    const verified = plumb(['audit', 'verify'], env);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/audit chain intact: \d+ records verified/);
  });

  it('exits 2 on usage errors and 1 when the server cannot be reached', () => {
    expect(plumb(['keys', 'create', 'x'], { PLUMB_HOME: home }).code).toBe(2);
    expect(plumb(['no-such-command'], { PLUMB_HOME: home }).code).toBe(2);
    expect(plumb(['--help'], {}).code).toBe(0);
    const down = plumb(['whoami'], { PLUMB_URL: 'http://127.0.0.1:9', PLUMB_API_KEY: 'plumb_x' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('unavailable');
  });

  it('stops on SIGTERM with exit 0 and keeps its data for the next start', async () => {
    server.child.kill('SIGTERM');
    expect(await exitOf(server.child)).toBe(0);
    const again = await startServe({ PLUMB_HOME: home });
    try {
      expect(again.output()).not.toMatch(/Created the first admin key/);
      const listed = plumb(['projects', 'list', '--json'], { PLUMB_HOME: home, PLUMB_URL: again.url });
      expect(JSON.parse(listed.stdout).map((p: { name: string }) => p.name)).toContain('cli-team');
    } finally {
      again.child.kill('SIGTERM');
      expect(await exitOf(again.child)).toBe(0);
    }
  });
});

describe('plumb serve configuration', () => {
  it('an API-only server leaves background jobs to a separate plumb worker process', async () => {
    const home = mkdtempSync(join(tmpdir(), 'plumb-cli-'));
    const adminKey = `plumb_${'w'.repeat(40)}`;
    const server = await startServe(
      { PLUMB_HOME: home, PLUMB_ADMIN_KEY: adminKey },
      { args: ['--no-worker'] },
    );
    const auth = { authorization: `Bearer ${adminKey}` };
    let worker: ChildProcess | undefined;
    try {
      const parquet = readFileSync(
        fileURLToPath(
          new URL('../../../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url),
        ),
      );
      const blob = await (
        await fetch(`${server.url}/api/v1/blobs`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/octet-stream' },
          body: parquet,
        })
      ).json();
      const added = await fetch(`${server.url}/api/v1/datasets/flights/versions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ files: [{ path: 'flights.parquet', ref: blob.ref }] }),
      });
      expect((await added.json()).version.profileStatus).toBe('pending');
      const status = async () =>
        (await (await fetch(`${server.url}/api/v1/datasets/flights/versions/1`, { headers: auth })).json())
          .profileStatus;
      expect(await status()).toBe('pending');

      worker = spawn(process.execPath, [CLI, 'worker'], {
        env: { PATH: process.env.PATH ?? '', PLUMB_HOME: home, PLUMB_LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      });
      const seen = await until(
        'the profile',
        async () => {
          const s = await status();
          return s === 'pending' ? null : s;
        },
        2400,
      );
      expect(seen).toBe('ready');
      worker.kill('SIGTERM');
      expect(await exitOf(worker)).toBe(0);
      // The one attempt the job took was the worker process's (worker ids carry the pid), so
      // the API-only server never claimed it, before or after the worker started.
      const db = new SQLite(join(home, 'plumb.db'), { readonly: true });
      try {
        const jobs = db
          .prepare("SELECT status, attempts, worker_id FROM jobs WHERE queue = 'dataset.profile'")
          .all() as { status: string; attempts: number; worker_id: string }[];
        expect(jobs).toHaveLength(1);
        expect(jobs[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
        expect(jobs[0]!.worker_id.split(':')[1]).toBe(String(worker.pid));
        expect(worker.pid).not.toBe(server.child.pid);
      } finally {
        db.close();
      }
    } finally {
      if (worker && worker.exitCode === null) worker.kill('SIGKILL');
      server.child.kill('SIGTERM');
      await exitOf(server.child);
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);

  it('on SIGTERM finishes a request already in flight, then exits 0', async () => {
    const home = mkdtempSync(join(tmpdir(), 'plumb-cli-'));
    const adminKey = `plumb_${'t'.repeat(40)}`;
    // At info the server logs when it starts stopping; that line is what the test waits for.
    const server = await startServe({ PLUMB_HOME: home, PLUMB_ADMIN_KEY: adminKey, PLUMB_LOG_LEVEL: 'info' });
    try {
      const exited = exitOf(server.child);
      const req = request(`${server.url}/api/v1/blobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/octet-stream' },
      });
      const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });
      const half = Buffer.alloc(4 * 1024 * 1024, 'a');
      req.write(half);
      // The upload is under way when the signal arrives (the store is writing its first bytes),
      // and the rest of the body follows once the server has begun stopping.
      await until('the upload to reach the blob store', () => uploadsInFlight(home).some((size) => size > 0));
      server.child.kill('SIGTERM');
      await until('the server to begin stopping', () =>
        server.output().includes('stopping: finishing in-flight'),
      );
      expect(server.child.exitCode).toBeNull();
      req.end(half);
      const { status, body } = await answered;
      expect(status, body).toBe(201);
      expect(JSON.parse(body).size).toBe(8 * 1024 * 1024);
      expect(await exited).toBe(0);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('uses PLUMB_ADMIN_KEY for the first admin key', async () => {
    const home = mkdtempSync(join(tmpdir(), 'plumb-cli-'));
    const adminKey = `plumb_${'k'.repeat(40)}`;
    const server = await startServe({ PLUMB_HOME: home, PLUMB_ADMIN_KEY: adminKey });
    try {
      const me = await fetch(`${server.url}/api/v1/whoami`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(await me.json()).toMatchObject({ role: 'admin', project: 'default' });
    } finally {
      server.child.kill('SIGTERM');
      await exitOf(server.child);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('stops with exit 2 and names the variable on a bad value', () => {
    const result = plumb(['serve'], { PLUMB_PORT: 'lots', PLUMB_HOME: tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PLUMB_PORT: expected an integer between 0 and 65535 (got "lots")');
  });
});
