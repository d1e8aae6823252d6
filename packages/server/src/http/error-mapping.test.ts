import { PlumbClient, PlumbError } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../testing/test-plumb.js';

// The envelope the README promises, read off the wire: `details` is there even when empty.
describe('error envelope over HTTP', () => {
  let t: TestPlumb;
  let url: string;
  beforeAll(async () => {
    t = await createTestPlumb();
    url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => t.dispose());

  const get = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${t.adminSecret}`, ...(init.headers ?? {}) },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('sends details as {} from domain errors, unknown routes, bad keys and malformed bodies', async () => {
    const missing = await get('/api/v1/runs/run_01HZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: {} } });

    const noRoute = await get('/api/v1/no-such-thing');
    expect(noRoute.body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: {} } });

    const badKey = await get('/api/v1/projects', { headers: { authorization: 'Bearer plumb_wrong' } });
    expect(badKey.status).toBe(401);
    expect(badKey.body).toMatchObject({ error: { code: 'unauthenticated', details: {} } });

    const malformed = await get('/api/v1/projects', {
      method: 'POST',
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: 'invalid_argument', details: {} } });
  });

  it('keeps details that carry something, and the SDK hands them over', async () => {
    const invalid = await get('/api/v1/projects', {
      method: 'POST',
      body: JSON.stringify({ name: '' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(invalid.body).toMatchObject({
      error: {
        code: 'invalid_argument',
        details: { issues: expect.arrayContaining([expect.objectContaining({ field: 'name' })]) },
      },
    });

    const client = new PlumbClient({ url, apiKey: t.adminSecret });
    const error = await client.runs.get('run_01HZZZZZZZZZZZZZZZZZZZZZZZ').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlumbError);
    expect(error).toMatchObject({ code: 'not_found' });
    expect((error as PlumbError).details).toEqual({});
  });
});
