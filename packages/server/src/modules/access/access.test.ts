import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

describeEachBackend('projects and keys', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  it('creates and pages projects', async () => {
    for (const name of ['alpha', 'beta', 'gamma']) {
      expect(
        (await t.call('POST', '/api/v1/projects', { body: { name, description: `${name} team` } }))
          .statusCode,
      ).toBe(201);
    }
    const first = (await t.call('GET', '/api/v1/projects?limit=2')).json();
    expect(first.items.map((p: { name: string }) => p.name)).toEqual(['default', 'alpha']);
    const second = (await t.call('GET', `/api/v1/projects?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.items.map((p: { name: string }) => p.name)).toEqual(['beta', 'gamma']);
    expect(second.nextCursor).toBeNull();
  });

  it('rejects project names that are not slugs', async () => {
    const response = await t.call('POST', '/api/v1/projects', { body: { name: 'Has Spaces' } });
    expect(response.statusCode).toBe(400);
  });

  it('shows a key secret once, stores only its hash, and authenticates with it', async () => {
    await t.call('POST', '/api/v1/projects', { body: { name: 'ml' } });
    const created = await t.call('POST', '/api/v1/keys', {
      body: { name: 'ci bot', role: 'viewer', project: 'ml' },
    });
    expect(created.statusCode).toBe(201);
    const { key, secret } = created.json();
    expect(secret).toMatch(/^plumb_[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({
      name: 'ci bot',
      role: 'viewer',
      project: 'ml',
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(secret.startsWith(key.prefix)).toBe(true);

    const stored = await t.plumb.db.kysely
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', key.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(secret);

    const me = (await t.call('GET', '/api/v1/whoami', { key: secret })).json();
    expect(me).toEqual({
      keyId: key.id,
      keyName: 'ci bot',
      role: 'viewer',
      projectId: key.projectId,
      project: 'ml',
      permissions: expect.arrayContaining(['self:read', 'models:read']),
    });
    expect(me.permissions).not.toContain('models:approve');

    const listed = (await t.call('GET', '/api/v1/keys?project=ml')).json();
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it('revokes a key at once, hides it from lists by default, and audits both steps', async () => {
    const { key, secret } = (
      await t.call('POST', '/api/v1/keys', { body: { name: 'temp', role: 'maintainer' } })
    ).json();
    expect((await t.call('GET', '/api/v1/whoami', { key: secret })).statusCode).toBe(200);
    const revoked = await t.call('POST', `/api/v1/keys/${key.id}/revoke`);
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await t.call('GET', '/api/v1/whoami', { key: secret })).statusCode).toBe(401);
    expect((await t.call('POST', `/api/v1/keys/${key.id}/revoke`)).json().error.code).toBe(
      'failed_precondition',
    );

    const active = (await t.call('GET', '/api/v1/keys')).json().items.map((k: { id: string }) => k.id);
    expect(active).not.toContain(key.id);
    const all = (await t.call('GET', '/api/v1/keys?includeRevoked=true'))
      .json()
      .items.map((k: { id: string }) => k.id);
    expect(all).toContain(key.id);

    const trail = (await t.call('GET', `/api/v1/audit?resource=key:${key.id}`)).json().items;
    expect(trail.map((r: { action: string }) => r.action)).toEqual(['key.revoke', 'key.create']);
    expect((await t.call('POST', '/api/v1/audit/verify')).json()).toMatchObject({ ok: true });
  });

  it('non-admins read only their own project in the audit trail', async () => {
    await t.call('POST', '/api/v1/projects', { body: { name: 'other' } });
    const viewer = await t.keyFor('viewer', 'other');
    const records = (await t.call('GET', '/api/v1/audit', { key: viewer })).json().items as {
      projectId: string;
    }[];
    const me = (await t.call('GET', '/api/v1/whoami', { key: viewer })).json();
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.projectId === me.projectId)).toBe(true);
  });

  it('bootstrap does nothing once an active key exists', async () => {
    expect(await t.plumb.services.keys.bootstrap(undefined)).toBeNull();
  });
});
