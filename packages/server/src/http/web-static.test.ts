import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorEnvelope } from '@plumb/sdk';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionTable } from '../core/auth/permissions.js';
import { buildApp } from './app.js';
import { Metrics } from './metrics.js';
import { loadWebAssets, WEB_CSP } from './web-static.js';

describe('web UI serving', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
    // Outside the build folder: must never be reachable.
    writeFileSync(join(dir, '..', 'plumb-web-secret.txt'), 'secret');
    app = buildApp({
      routes: [],
      permissions: new PermissionTable([]),
      authenticate: async () => null,
      checkReady: async () => {},
      metrics: new Metrics(),
      bodyLimitBytes: 1024,
      logger: false,
      version: 'test',
      web: loadWebAssets(dir),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', 'plumb-web-secret.txt'), { force: true });
  });

  it('serves index.html at / and at client routes, with a strict content security policy', async () => {
    for (const url of ['/', '/models/fraud', '/datasets/w?v=2']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('<div id="root">');
      expect(response.headers['content-security-policy']).toBe(WEB_CSP);
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(WEB_CSP).toContain("script-src 'self'");
    expect(WEB_CSP).not.toContain('unsafe');
  });

  it('serves built assets with their type, cached for good, and 404s missing ones', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect(
      (await app.inject({ method: 'GET', url: '/assets/index-abc123.css' })).headers['content-type'],
    ).toBe('text/css; charset=utf-8');
    expect((await app.inject({ method: 'GET', url: '/assets/gone.js' })).statusCode).toBe(404);
  });

  it('never reads outside the build folder', async () => {
    for (const url of [
      '/../plumb-web-secret.txt',
      '/%2e%2e/plumb-web-secret.txt',
      '/assets/..%2f..%2fplumb-web-secret.txt',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.body, url).not.toContain('secret');
    }
  });

  it('keeps JSON errors for the APIs and asks for a key there', async () => {
    for (const url of ['/api/v1/models', '/api', '/v2/models/x', '/v1/models', '/api/v1/nope']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(401);
      expect(ErrorEnvelope.parse(response.json()).error.code).toBe('unauthenticated');
    }
    const post = await app.inject({ method: 'POST', url: '/models/fraud' });
    expect(post.headers['content-type']).toContain('application/json');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
  });

  it('is off when the UI was not built', () => {
    expect(loadWebAssets(join(dir, 'missing'))).toBeNull();
  });
});
