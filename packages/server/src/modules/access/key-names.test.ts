import type { KeyNames } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

// Key names for the people reading who did what: every key of the caller's project, revoked ones
// too, and nothing of another project's; no role, prefix or secret hash.
describe('key names', () => {
  let t: TestPlumb;

  beforeAll(async () => {
    t = await createTestPlumb();
  });
  afterAll(() => t.dispose());

  it("names every key of the caller's project, revoked ones too, and no other project's", async () => {
    const viewer = await t.keyFor('viewer');
    const gone = await t.plumb.services.keys.create(t.adminCtx, {
      name: 'left the team',
      role: 'maintainer',
    });
    expect((await t.call('POST', `/api/v1/keys/${gone.key.id}/revoke`)).statusCode).toBe(200);
    expect((await t.call('POST', '/api/v1/projects', { body: { name: 'other' } })).statusCode).toBe(201);
    await t.keyFor('viewer', 'other');

    const answer = await t.call('GET', '/api/v1/key-names', { key: viewer });
    expect(answer.statusCode, answer.body).toBe(200);
    const { items } = answer.json() as KeyNames;
    const admin = (await t.call('GET', '/api/v1/whoami')).json();
    expect(items.map((k) => k.name).sort()).toEqual([admin.keyName, 'left the team', 'viewer key'].sort());
    expect(items.find((k) => k.id === gone.key.id)).toEqual({
      id: gone.key.id,
      name: 'left the team',
      revoked: true,
    });
    expect(Object.keys(items[0]!).sort()).toEqual(['id', 'name', 'revoked']);
  });

  it('is not for service keys', async () => {
    const answer = await t.call('GET', '/api/v1/key-names', { key: await t.keyFor('service') });
    expect(answer.statusCode).toBe(403);
    expect(answer.json().error.code).toBe('permission_denied');
  });
});
