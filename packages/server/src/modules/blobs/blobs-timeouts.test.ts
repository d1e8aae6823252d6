import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../../http/app.js';
import { Metrics } from '../../http/metrics.js';
import { defineRoute } from '../../http/route.js';
import type { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

describe('a stalled upload', () => {
  let t: TestPlumb;
  let port: number;
  beforeEach(async () => {
    t = await createTestPlumb('sqlite', { PLUMB_HTTP_IDLE_TIMEOUT_MS: '300' });
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(url).port);
  });
  afterEach(() => t.dispose());

  const temps = () => readdirSync(join((t.plumb.services.blobs as FileBlobStore).root, 'tmp'));

  it('is cut off after the idle timeout and leaves no temp file', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    const closed = new Promise<string>((resolve) => {
      let answer = '';
      socket.on('data', (d) => {
        answer += d;
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(answer));
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Promises a million bytes, sends three, then nothing.
    socket.write(
      [
        'POST /api/v1/blobs HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${t.adminSecret}`,
        'Content-Type: application/octet-stream',
        'Content-Length: 1000000',
        '',
        'abc',
      ].join('\r\n'),
    );
    await vi.waitFor(() => expect(temps()).toHaveLength(1), { timeout: 10_000 });
    const answer = await closed;
    expect(answer.includes('201'), answer).toBe(false);
    await vi.waitFor(() => expect(temps()).toEqual([]), { timeout: 10_000 });
    expect(await t.plumb.services.blobs.exists(`sha256:${'0'.repeat(64)}`)).toBe(false);
    const owners = await t.plumb.db.kysely.selectFrom('blob_owners').selectAll().execute();
    expect(owners).toEqual([]);
  });

  it('does not cut off a slow upload that keeps sending', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    const answered = new Promise<string>((resolve) => {
      let answer = '';
      socket.on('data', (d) => {
        answer += d;
        if (answer.includes('\r\n\r\n{')) resolve(answer);
      });
      socket.on('close', () => resolve(answer));
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      [
        'POST /api/v1/blobs HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${t.adminSecret}`,
        'Content-Type: application/octet-stream',
        'Content-Length: 6',
        '',
        '',
      ].join('\r\n'),
    );
    // Each byte comes after a pause shorter than the idle timeout; the whole takes longer.
    for (const byte of 'abcdef') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.write(byte);
    }
    const answer = await answered;
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1.1 201/);
  });

  it('keeps the socket of a request the server is still working on', async () => {
    // A route that answers only after three idle timeouts, as a long dataset scan does.
    const slow = defineRoute({
      method: 'GET',
      url: '/api/v1/slow',
      permission: 'blobs:read',
      summary: 'answers late',
      tag: 'test',
      response: z.object({ done: z.boolean() }),
      handler: async () => {
        await new Promise((resolve) => setTimeout(resolve, 900));
        return { done: true };
      },
    });
    const app = buildApp({
      routes: [slow],
      permissions: t.plumb.permissions,
      authenticate: (secret) => t.plumb.services.keys.check(secret),
      checkReady: async () => {},
      metrics: new Metrics(),
      bodyLimitBytes: 1024 * 1024,
      idleTimeoutMs: 300,
      logger: false,
      version: 'test',
    });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${url}/api/v1/slow`, {
        headers: { authorization: `Bearer ${t.adminSecret}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ done: true });
    } finally {
      await app.close();
    }
  });
});
