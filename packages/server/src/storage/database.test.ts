import { afterEach, beforeEach, expect, it } from 'vitest';
import { PlumbError } from '../core/errors.js';
import { migrate } from '../main.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../testing/test-database.js';

describeEachBackend('database adapter', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(backend);
  });
  afterEach(() => t.dispose());

  const project = (id: string, name: string) => ({
    id,
    name,
    description: '',
    created_at: '2026-01-01T00:00:00.000Z',
  });

  it('maps a unique violation to already_exists', async () => {
    await t.db.kysely.insertInto('projects').values(project('prj_1', 'a')).execute();
    const error = await t.db.kysely
      .insertInto('projects')
      .values(project('prj_2', 'a'))
      .execute()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlumbError);
    expect((error as PlumbError).code).toBe('already_exists');
  });

  it('maps a foreign key violation to failed_precondition', async () => {
    const error = await t.db.kysely
      .insertInto('api_keys')
      .values({
        id: 'key_1',
        project_id: 'prj_missing',
        name: 'k',
        role: 'admin',
        prefix: 'p',
        secret_hash: 'h',
        created_at: 'now',
        created_by: null,
        last_used_at: null,
        revoked_at: null,
      })
      .execute()
      .catch((e: unknown) => e);
    expect((error as PlumbError).code).toBe('failed_precondition');
  });

  it('rolls back a failed transaction whole', async () => {
    await expect(
      t.db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values(project('prj_1', 'a')).execute();
        await trx.insertInto('projects').values(project('prj_2', 'a')).execute();
      }),
    ).rejects.toMatchObject({ code: 'already_exists' });
    expect(await t.db.kysely.selectFrom('projects').selectAll().execute()).toEqual([]);
  });

  it('returns 64-bit integers as numbers', async () => {
    const big = 1_795_000_000_123;
    await t.db.kysely
      .insertInto('jobs')
      .values({
        id: 'job_1',
        queue: 'q',
        payload: '{}',
        status: 'queued',
        attempts: 0,
        max_attempts: 1,
        run_at: big,
        lease_until: null,
        worker_id: null,
        last_error: null,
        result: null,
        dedupe_key: null,
        created_at: big,
        updated_at: big,
      })
      .execute();
    const row = await t.db.kysely.selectFrom('jobs').select(['run_at']).executeTakeFirstOrThrow();
    expect(row.run_at).toBe(big);
    const count = await t.db.kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('running migrations again changes nothing', async () => {
    expect(await migrate(t.db)).toEqual([]);
  });
});
