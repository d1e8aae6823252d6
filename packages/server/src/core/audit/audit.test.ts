import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../../testing/test-database.js';
import { systemClock } from '../clock.js';
import { AuditService } from './audit.service.js';

describeEachBackend('audit chain', (backend) => {
  let t: TestDatabase;
  let audit: AuditService;

  beforeEach(async () => {
    t = await createTestDatabase(backend);
    audit = new AuditService(t.db, systemClock);
  });
  afterEach(() => t.dispose());

  async function appendMany(n: number) {
    for (let i = 1; i <= n; i++) {
      await t.db.kysely.transaction().execute((trx) =>
        audit.append(trx, {
          actor: i % 2 ? 'key_a' : 'key_b',
          projectId: 'prj_1',
          action: i % 3 ? 'thing.update' : 'thing.create',
          resource: `thing:t${i}`,
          change: { value: i, nested: { b: 2, a: [1, 'x'] } },
        }),
      );
    }
  }

  it('links each record to the previous one and verifies an intact chain', async () => {
    await appendMany(5);
    const page = await audit.list({ limit: 10 });
    expect(page.items.map((r) => r.seq)).toEqual([5, 4, 3, 2, 1]);
    for (let i = 0; i < 4; i++) expect(page.items[i]!.prevHash).toBe(page.items[i + 1]!.hash);
    expect(page.items[4]!.prevHash).toBe('0'.repeat(64));
    expect(await audit.verify()).toEqual({ ok: true, checked: 5, headSeq: 5, firstBroken: null });
  });

  it('an empty chain verifies', async () => {
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 0 });
  });

  it('rolls the record back with the mutation it belongs to', async () => {
    await appendMany(1);
    await expect(
      t.db.kysely.transaction().execute(async (trx) => {
        await audit.append(trx, { actor: 'k', projectId: null, action: 'x.y', resource: 'x:1', change: {} });
        throw new Error('the mutation failed');
      }),
    ).rejects.toThrow('the mutation failed');
    expect((await audit.list({ limit: 10 })).items).toHaveLength(1);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('detects an edited record', async () => {
    await appendMany(5);
    await t.db.kysely.updateTable('audit_records').set({ actor: 'mallory' }).where('seq', '=', 3).execute();
    expect((await audit.verify()).firstBroken).toMatchObject({ seq: 3, reason: 'hash_mismatch' });
  });

  it('detects an edited change body even when its digest is left alone', async () => {
    await appendMany(5);
    await t.db.kysely
      .updateTable('audit_records')
      .set({ change: '{"value":999}' })
      .where('seq', '=', 2)
      .execute();
    expect((await audit.verify()).firstBroken).toMatchObject({ seq: 2, reason: 'hash_mismatch' });
  });

  it('detects a deleted record', async () => {
    await appendMany(5);
    await t.db.kysely.deleteFrom('audit_records').where('seq', '=', 3).execute();
    expect((await audit.verify()).firstBroken).toMatchObject({ seq: 4, reason: 'sequence_gap' });
  });

  it('detects a deleted tail through the head', async () => {
    await appendMany(5);
    await t.db.kysely.deleteFrom('audit_records').where('seq', '=', 5).execute();
    expect((await audit.verify()).firstBroken).toMatchObject({ reason: 'head_mismatch' });
  });

  it('detects an inserted record', async () => {
    await appendMany(5);
    // Make room after record 2 and insert a forged record there whose own hash is consistent.
    const rows = await t.db.kysely.selectFrom('audit_records').selectAll().orderBy('seq', 'desc').execute();
    for (const row of rows.filter((r) => Number(r.seq) >= 3)) {
      await t.db.kysely
        .updateTable('audit_records')
        .set({ seq: Number(row.seq) + 1 })
        .where('seq', '=', row.seq)
        .execute();
    }
    const second = rows.find((r) => Number(r.seq) === 2)!;
    const { recordHash, sha256Hex } = await import('./audit-hash.js');
    const forged = {
      seq: 3,
      time: second.time,
      actor: 'mallory',
      projectId: 'prj_1',
      action: 'x.y',
      resource: 'x:1',
      digest: sha256Hex('{}'),
    };
    await t.db.kysely
      .insertInto('audit_records')
      .values({
        seq: 3,
        time: forged.time,
        actor: forged.actor,
        project_id: forged.projectId,
        action: forged.action,
        resource: forged.resource,
        change: '{}',
        digest: forged.digest,
        prev_hash: second.hash,
        hash: recordHash(second.hash, forged),
      })
      .execute();
    expect((await audit.verify()).firstBroken).toMatchObject({ seq: 4, reason: 'prev_hash_mismatch' });
  });

  it('detects reordered records', async () => {
    await appendMany(5);
    await t.db.kysely.updateTable('audit_records').set({ seq: 100 }).where('seq', '=', 2).execute();
    await t.db.kysely.updateTable('audit_records').set({ seq: 2 }).where('seq', '=', 3).execute();
    await t.db.kysely.updateTable('audit_records').set({ seq: 3 }).where('seq', '=', 100).execute();
    expect((await audit.verify()).firstBroken).toMatchObject({ seq: 2, reason: 'prev_hash_mismatch' });
  });

  it('filters by resource (exact or prefix), actor, action and time, with a cursor', async () => {
    await appendMany(6);
    expect((await audit.list({ limit: 10, resource: 'thing:t2' })).items.map((r) => r.seq)).toEqual([2]);
    expect((await audit.list({ limit: 10, resource: 'thing:*' })).items).toHaveLength(6);
    expect((await audit.list({ limit: 10, actor: 'key_b' })).items.map((r) => r.seq)).toEqual([6, 4, 2]);
    expect((await audit.list({ limit: 10, action: 'thing.create' })).items.map((r) => r.seq)).toEqual([6, 3]);
    const all = (await audit.list({ limit: 10 })).items;
    const since = all.find((r) => r.seq === 4)!.time;
    expect((await audit.list({ limit: 10, since })).items.every((r) => r.time >= since)).toBe(true);
    expect((await audit.list({ limit: 10, until: '2000-01-01T00:00:00.000Z' })).items).toEqual([]);
    const first = await audit.list({ limit: 4 });
    expect(first.items.map((r) => r.seq)).toEqual([6, 5, 4, 3]);
    const second = await audit.list({ limit: 4, cursor: first.nextCursor! });
    expect(second.items.map((r) => r.seq)).toEqual([2, 1]);
    expect(second.nextCursor).toBeNull();
    await expect(audit.list({ limit: 4, cursor: 'garbage' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('concurrent appends never fork the chain', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.db.kysely.transaction().execute((trx) =>
          audit.append(trx, {
            actor: 'k',
            projectId: null,
            action: 'x.y',
            resource: `x:${i}`,
            change: { i },
          }),
        ),
      ),
    );
    const verification = await audit.verify();
    expect(verification).toMatchObject({ ok: true, checked: 20 });
    const count = await sql<{ n: number }>`select count(*) as n from audit_records`.execute(t.db.kysely);
    expect(Number(count.rows[0]!.n)).toBe(20);
  });
});
