import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('defaults to SQLite and local files under ./.plumb on 127.0.0.1:7070', () => {
    const c = loadConfig({});
    expect(c.home).toBe(resolve('.plumb'));
    expect(c.databaseUrl).toBe(`sqlite:${join(resolve('.plumb'), 'plumb.db')}`);
    expect(c.blobUrl).toBe(`file:${join(resolve('.plumb'), 'blobs')}`);
    expect(c).toMatchObject({ port: 7070, host: '127.0.0.1', adminKey: undefined, logLevel: 'info' });
  });

  it('reads the environment, flags first, empty values as unset', () => {
    const c = loadConfig(
      { PLUMB_HOME: '/tmp/ph', PLUMB_PORT: '8080', PLUMB_DATABASE_URL: 'postgres://u@h/db', PLUMB_HOST: '' },
      { port: '9090' },
    );
    expect(c).toMatchObject({
      home: '/tmp/ph',
      port: 9090,
      host: '127.0.0.1',
      databaseUrl: 'postgres://u@h/db',
    });
    expect(c.blobUrl).toBe('file:/tmp/ph/blobs');
  });

  it('names each bad variable and what it expects', () => {
    let error: unknown;
    try {
      loadConfig({
        PLUMB_PORT: 'seventy',
        PLUMB_DATABASE_URL: 'mysql://x',
        PLUMB_ADMIN_KEY: 'short',
        PLUMB_LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'PLUMB_ADMIN_KEY',
      'PLUMB_DATABASE_URL',
      'PLUMB_LOG_LEVEL',
      'PLUMB_PORT',
    ]);
    expect((error as Error).message).toContain(
      'PLUMB_PORT: expected an integer between 0 and 65535 (got "seventy")',
    );
    expect((error as Error).message).toContain('PLUMB_DATABASE_URL: expected postgres://');
  });

  it('rejects ports out of range', () => {
    expect(() => loadConfig({ PLUMB_PORT: '70000' })).toThrow(/PLUMB_PORT/);
    expect(() => loadConfig({ PLUMB_PORT: '80.5' })).toThrow(/PLUMB_PORT/);
  });

  it('writes monitoring profiles every 5 s unless PLUMB_MONITORING_FLUSH_MS says otherwise', () => {
    expect(loadConfig({}).monitoringFlushMs).toBe(5_000);
    expect(loadConfig({ PLUMB_MONITORING_FLUSH_MS: '250' }).monitoringFlushMs).toBe(250);
    expect(() => loadConfig({ PLUMB_MONITORING_FLUSH_MS: '50' })).toThrow(/PLUMB_MONITORING_FLUSH_MS/);
  });

  it('queues jobs in the jobs table unless pg-boss is chosen, which needs PostgreSQL', () => {
    expect(loadConfig({})).toMatchObject({ jobs: 'db', pgBossSchema: 'pgboss', workerLeaseMs: 60_000 });
    const boss = loadConfig({
      PLUMB_JOBS: 'pg-boss',
      PLUMB_DATABASE_URL: 'postgres://u@h/db',
      PLUMB_DATABASE_SCHEMA: 'plumb',
      PLUMB_PGBOSS_SCHEMA: 'jobs',
      PLUMB_WORKER_LEASE_MS: '5000',
    });
    expect(boss).toMatchObject({
      jobs: 'pg-boss',
      databaseSchema: 'plumb',
      pgBossSchema: 'jobs',
      workerLeaseMs: 5000,
    });
    expect(() => loadConfig({ PLUMB_JOBS: 'pg-boss' })).toThrow(
      /PLUMB_JOBS: pg-boss runs on the metadata database/,
    );
    expect(() => loadConfig({ PLUMB_JOBS: 'redis' })).toThrow(/PLUMB_JOBS: expected db or pg-boss/);
    expect(() => loadConfig({ PLUMB_PGBOSS_SCHEMA: 'Bad-Name' })).toThrow(/PLUMB_PGBOSS_SCHEMA/);
  });

  it('takes the public URL for programs Plumb starts, flags first, without a trailing slash', () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig({ PLUMB_PUBLIC_URL: 'https://plumb.example:8443/' }).publicUrl).toBe(
      'https://plumb.example:8443',
    );
    expect(
      loadConfig({ PLUMB_PUBLIC_URL: 'http://a:1' }, { publicUrl: 'http://127.0.0.1:9000' }).publicUrl,
    ).toBe('http://127.0.0.1:9000');
    expect(() => loadConfig({ PLUMB_PUBLIC_URL: 'plumb.example' })).toThrow(
      /PLUMB_PUBLIC_URL: expected an http:\/\/ or https:\/\/ URL/,
    );
    expect(() => loadConfig({ PLUMB_PUBLIC_URL: 'ftp://plumb.example' })).toThrow(/PLUMB_PUBLIC_URL/);
  });
});
