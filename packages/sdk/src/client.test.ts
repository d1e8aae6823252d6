import { describe, expect, it } from 'vitest';
import { PlumbClient } from './client.js';
import { PlumbError } from './errors.js';

function fakeFetch(status: number, body: unknown, seen: Request[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(new Request(input, init));
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  }) as typeof fetch;
}

describe('PlumbClient', () => {
  it('sends the key, the JSON body and the query, and parses the response', async () => {
    const seen: Request[] = [];
    const client = new PlumbClient({
      url: 'http://plumb.test/',
      apiKey: 'plumb_secret',
      fetch: fakeFetch(200, { items: [], nextCursor: null }, seen),
    });
    await client.keys.list({ limit: 5, includeRevoked: true });
    const request = seen[0]!;
    expect(request.url).toBe('http://plumb.test/api/v1/keys?limit=5&includeRevoked=true');
    expect(request.headers.get('authorization')).toBe('Bearer plumb_secret');
  });

  it('rebuilds the error envelope as a PlumbError with the same code', async () => {
    const client = new PlumbClient({
      url: 'http://plumb.test',
      fetch: fakeFetch(409, {
        error: { code: 'already_exists', message: 'project x already exists', details: { a: 1 } },
      }),
    });
    const error = await client.projects.create({ name: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlumbError);
    expect(error).toMatchObject({
      code: 'already_exists',
      message: 'project x already exists',
      details: { a: 1 },
    });
  });

  it('keeps what a non-Plumb server said', async () => {
    const client = new PlumbClient({
      url: 'http://plumb.test',
      fetch: fakeFetch(502, '<html>bad gateway</html>'),
    });
    await expect(client.whoami()).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('502'),
    });
  });

  it('reports an unreachable server as unavailable', async () => {
    const client = new PlumbClient({ url: 'http://127.0.0.1:9', timeoutMs: 2000 });
    await expect(client.whoami()).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('cannot reach'),
    });
  });

  it('rejects a response that does not match the contract', async () => {
    const client = new PlumbClient({ url: 'http://plumb.test', fetch: fakeFetch(200, { unexpected: true }) });
    await expect(client.whoami()).rejects.toMatchObject({ code: 'internal' });
  });
});
