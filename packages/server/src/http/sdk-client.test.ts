import { PlumbClient, PlumbError } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../testing/test-plumb.js';

// The typed client against a real listening server: every route built so far, end to end.
describe('PlumbClient against the server', () => {
  let t: TestPlumb;
  let client: PlumbClient;
  beforeAll(async () => {
    t = await createTestPlumb();
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    client = new PlumbClient({ url, apiKey: t.adminSecret });
  });
  afterAll(() => t.dispose());

  it('covers health, whoami, projects, keys and audit', async () => {
    expect((await client.health.live()).status).toBe('ok');
    expect((await client.health.ready()).status).toBe('ok');
    expect(await client.whoami()).toMatchObject({ role: 'admin', project: 'default' });
    const project = await client.projects.create({ name: 'sdk-test', description: 'from the SDK' });
    expect(project.name).toBe('sdk-test');
    const names = [];
    for await (const p of client.paginate((q) => client.projects.list(q), 1)) names.push(p.name);
    expect(names).toEqual(['default', 'sdk-test']);

    const created = await client.keys.create({ name: 'svc', role: 'service', project: 'sdk-test' });
    const service = new PlumbClient({ url: client.url, apiKey: created.secret });
    expect(await service.whoami()).toMatchObject({ role: 'service', project: 'sdk-test' });
    const denied = await service.projects.list().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(PlumbError);
    expect((denied as PlumbError).code).toBe('permission_denied');

    expect((await client.keys.list({ project: 'sdk-test' })).items.map((k) => k.id)).toEqual([
      created.key.id,
    ]);
    await client.keys.revoke(created.key.id);
    await expect(service.whoami()).rejects.toMatchObject({ code: 'unauthenticated' });

    const trail = await client.audit.list({ resource: `key:${created.key.id}` });
    expect(trail.items.map((r) => r.action)).toEqual(['key.revoke', 'key.create']);
    expect(trail.items[1]!.change).toEqual({ name: 'svc', role: 'service', project: 'sdk-test' });
    expect(await client.audit.verify()).toMatchObject({ ok: true, firstBroken: null });
  });

  it('rebuilds validation errors with their details', async () => {
    const error = await client.projects.create({ name: 'Bad Name' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_argument', details: { issues: [{ field: 'name' }] } });
  });
});
