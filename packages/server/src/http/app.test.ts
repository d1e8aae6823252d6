import { ErrorEnvelope } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../testing/test-plumb.js';

describe('HTTP edge', () => {
  let t: TestPlumb;
  beforeAll(async () => {
    t = await createTestPlumb('sqlite', { PLUMB_BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => t.dispose());

  function expectEnvelope(response: { statusCode: number; body: string }, status: number, code: string) {
    expect(response.statusCode).toBe(status);
    const parsed = ErrorEnvelope.parse(JSON.parse(response.body));
    expect(parsed.error.code).toBe(code);
    return parsed.error;
  }

  it('serves /healthz, /readyz and /metrics without a key', async () => {
    expect((await t.call('GET', '/healthz', { key: null })).json()).toEqual({
      status: 'ok',
      checks: { process: 'ok' },
    });
    expect((await t.call('GET', '/readyz', { key: null })).json()).toMatchObject({ status: 'ok' });
    // Each request counts once, under its route's label set, whatever came before it.
    const counted = async () => {
      const body = (await t.call('GET', '/metrics', { key: null })).body;
      const line = /plumb_http_requests_total\{method="GET",route="\/api\/v1\/projects",status="200"\} (\d+)/;
      const duration =
        /plumb_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/projects",status="200"\} (\d+)/;
      return [Number(line.exec(body)?.[1] ?? 0), Number(duration.exec(body)?.[1] ?? 0)];
    };
    const [before, timedBefore] = await counted();
    for (let i = 0; i < 3; i++) await t.call('GET', '/api/v1/projects');
    expect(await counted()).toEqual([before! + 3, timedBefore! + 3]);
    const metrics = await t.call('GET', '/metrics', { key: null });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('plumb_http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('plumb_process_cpu_user_seconds_total');
  });

  it('reports not ready when the database is gone', async () => {
    const other = await createTestPlumb('sqlite');
    await other.plumb.db.close();
    const response = await other.call('GET', '/readyz', { key: null });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'unavailable' });
    await other.plumb.app.close();
  });

  it('echoes or assigns a request id', async () => {
    const given = await t.call('GET', '/healthz', { key: null, headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const assigned = await t.call('GET', '/healthz', { key: null });
    expect(String(assigned.headers['x-request-id'])).toMatch(/^req_/);
  });

  it('answers malformed JSON with invalid_argument', async () => {
    const error = expectEnvelope(
      await t.call('POST', '/api/v1/projects', {
        body: '{"name": "x",',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_argument',
    );
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('answers wrong types with the field that is wrong', async () => {
    const error = expectEnvelope(
      await t.call('POST', '/api/v1/projects', { body: { name: 42 } }),
      400,
      'invalid_argument',
    );
    expect(error.message).toContain('name');
    expect(error.details).toMatchObject({ issues: [{ field: 'name' }] });
  });

  it('rejects unknown fields', async () => {
    const error = expectEnvelope(
      await t.call('POST', '/api/v1/projects', { body: { name: 'ok-name', colour: 'red' } }),
      400,
      'invalid_argument',
    );
    expect(JSON.stringify(error.details)).toContain('colour');
  });

  it('rejects a missing body, a JSON array and a non-JSON content type', async () => {
    expectEnvelope(await t.call('POST', '/api/v1/projects'), 400, 'invalid_argument');
    expectEnvelope(
      await t.call('POST', '/api/v1/projects', {
        body: '[1,2]',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_argument',
    );
    expectEnvelope(
      await t.call('POST', '/api/v1/projects', {
        body: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      400,
      'invalid_argument',
    );
  });

  it('rejects a body on a route that takes none', async () => {
    const { items } = (await t.call('GET', '/api/v1/keys')).json();
    expectEnvelope(
      await t.call('POST', `/api/v1/keys/${items[0].id}/revoke`, { body: { now: true } }),
      400,
      'invalid_argument',
    );
  });

  it('rejects oversize bodies with payload_too_large', async () => {
    expectEnvelope(
      await t.call('POST', '/api/v1/projects', { body: { name: 'big', description: 'x'.repeat(4096) } }),
      413,
      'payload_too_large',
    );
  });

  it('rejects bad query values', async () => {
    expectEnvelope(await t.call('GET', '/api/v1/projects?limit=0'), 400, 'invalid_argument');
    expectEnvelope(await t.call('GET', '/api/v1/projects?limit=abc'), 400, 'invalid_argument');
    expectEnvelope(await t.call('GET', '/api/v1/projects?bogus=1'), 400, 'invalid_argument');
    expectEnvelope(await t.call('GET', '/api/v1/projects?cursor=nonsense'), 400, 'invalid_argument');
    expectEnvelope(await t.call('GET', '/api/v1/audit?since=yesterday'), 400, 'invalid_argument');
  });

  it('answers unknown routes with not_found', async () => {
    expectEnvelope(await t.call('GET', '/api/v1/nothing-here'), 404, 'not_found');
  });

  it('maps domain errors to their statuses', async () => {
    await t.call('POST', '/api/v1/projects', { body: { name: 'twice' } });
    expectEnvelope(
      await t.call('POST', '/api/v1/projects', { body: { name: 'twice' } }),
      409,
      'already_exists',
    );
    expectEnvelope(await t.call('POST', '/api/v1/keys/key_01NOPE/revoke'), 404, 'not_found');
    expectEnvelope(
      await t.call('POST', '/api/v1/keys', { body: { name: 'x', role: 'viewer', project: 'nope' } }),
      404,
      'not_found',
    );
  });

  it('serves an OpenAPI document covering every API route', async () => {
    const response = await t.call('GET', '/api/v1/openapi.json');
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe('3.0.3');
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    for (const route of t.plumb.routes) {
      expect(documented).toContain(`${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    }
    expect(
      doc.paths['/api/v1/projects'].post.requestBody.content['application/json'].schema.properties.name,
    ).toMatchObject({
      type: 'string',
    });
  });
});
