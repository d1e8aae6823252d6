import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createPlumb, type Plumb } from '../../main.js';
import { type Db, openDatabase } from '../../storage/database.js';
import { type Backend, describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

/** A second connection to the instance's own database, as another replica would open it. */
async function sameDatabase(t: TestPlumb, backend: Backend): Promise<Db> {
  if (backend === 'postgres') {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
      t.plumb.db.kysely,
    );
    return openDatabase(process.env.PLUMB_TEST_DATABASE_URL!, { schema: rows[0]!.schema, poolSize: 2 });
  }
  const { rows } = await sql<{
    file: string;
  }>`select file from pragma_database_list where name = 'main'`.execute(t.plumb.db.kysely);
  return openDatabase(`sqlite:${rows[0]!.file}`);
}

describeEachBackend('kept key lookups follow revocation and creation', (backend) => {
  let t: TestPlumb;
  let replica: Plumb;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    replica = await createPlumb(loadConfig({ PLUMB_HOME: t.home }), {
      db: await sameDatabase(t, backend),
      logger: false,
    });
  });
  afterEach(async () => {
    await replica.close();
    await replica.db.close();
    await t.dispose();
  });

  const whoAmI = async (plumb: Plumb, secret: string) =>
    (
      await plumb.app.inject({
        method: 'GET',
        url: '/api/v1/whoami',
        headers: { authorization: `Bearer ${secret}` },
      })
    ).statusCode;

  it('a revoked key is refused on the next request, in this process and in another one', async () => {
    const created = (
      await t.call('POST', '/api/v1/keys', { body: { name: 'bot', role: 'viewer' } })
    ).json() as { key: { id: string }; secret: string };
    const other = await t.keyFor('viewer');
    // Both processes have looked the keys up and keep what they found.
    for (let i = 0; i < 3; i++) {
      for (const plumb of [t.plumb, replica]) {
        expect(await whoAmI(plumb, created.secret)).toBe(200);
        expect(await whoAmI(plumb, other)).toBe(200);
      }
    }
    expect((await t.call('POST', `/api/v1/keys/${created.key.id}/revoke`)).statusCode).toBe(200);
    expect(await whoAmI(t.plumb, created.secret)).toBe(401);
    expect(await whoAmI(replica, created.secret)).toBe(401);
    expect(await whoAmI(t.plumb, other)).toBe(200);
    expect(await whoAmI(replica, other)).toBe(200);
  });

  it('a key unknown when first tried works once another process creates it', async () => {
    const secret = `plumb_${'A'.repeat(43)}`;
    expect(await whoAmI(t.plumb, secret)).toBe(401);
    expect(await whoAmI(t.plumb, secret)).toBe(401);
    // With no active key left, the other process's bootstrap takes the given secret.
    await replica.services.keys.revoke(t.adminCtx, t.adminCtx.principal.keyId);
    expect(await replica.services.keys.bootstrap(secret)).not.toBeNull();
    expect(await whoAmI(t.plumb, secret)).toBe(200);
    expect(await whoAmI(t.plumb, t.adminSecret)).toBe(401);
  });

  it('records the use of a key served from the kept lookup', async () => {
    const secret = await t.keyFor('viewer');
    for (let i = 0; i < 5; i++) expect(await whoAmI(t.plumb, secret)).toBe(200);
    const listed = (await t.call('GET', '/api/v1/keys')).json() as {
      items: { name: string; lastUsedAt: string | null }[];
    };
    expect(listed.items.find((k) => k.name === 'viewer key')?.lastUsedAt).not.toBeNull();
  });
});
