import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlumbError } from '../core/errors.js';
import { migrate } from '../main.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../testing/test-database.js';
import { type Db, openDatabase } from './database.js';

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

describe("SQLite writes wait for another connection's lock without blocking the event loop", () => {
  let dir: string;
  let db: Db;
  let other: SQLite.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-lock-'));
    db = openDatabase(`sqlite:${join(dir, 'plumb.db')}`, { lockWaitMs: 400 });
    other = new SQLite(join(dir, 'plumb.db'));
  });
  afterEach(async () => {
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const create = () => sql`create table t (id integer primary key, body text not null)`.execute(db.kysely);
  const count = async () =>
    Number((await sql<{ n: number }>`select count(*) as n from t`.execute(db.kysely)).rows[0]!.n);

  it('a transaction and a lone insert wait for the lock while timers and reads go on', async () => {
    await create();
    other.exec('begin immediate');
    other.exec("insert into t (body) values ('theirs')");
    const settled: string[] = [];
    const trx = db.kysely
      .transaction()
      .execute(async (t) => {
        await sql`insert into t (body) values ('in a transaction')`.execute(t);
      })
      .then(() => settled.push('transaction'));
    const lone = sql`insert into t (body) values ('alone')`
      .execute(db.kysely)
      .then(() => settled.push('insert'));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    clearInterval(timer);
    // A busy timeout would have held the thread: no timer would have fired, no read run.
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(settled).toEqual([]);
    expect(await count()).toBe(0);
    other.exec('commit');
    await Promise.all([trx, lone]);
    expect(settled.sort()).toEqual(['insert', 'transaction']);
    expect(await count()).toBe(3);
  });

  it('gives up with conflict once the lock is held past the wait limit', async () => {
    await create();
    other.exec('begin immediate');
    const started = Date.now();
    const error = await db.kysely
      .transaction()
      .execute((t) => sql`insert into t (body) values ('late')`.execute(t))
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(error).toBeInstanceOf(PlumbError);
    expect((error as PlumbError).code).toBe('conflict');
    other.exec('rollback');
    expect(await count()).toBe(0);
  });
});

describe('a chain of SQLite queries', () => {
  it('lets the event loop run between its queries once it has held it for a few milliseconds', async () => {
    const db = openDatabase(':memory:');
    try {
      await sql`create table t (id integer primary key, body text not null)`.execute(db.kysely);
      let turns = 0;
      let counting = true;
      const tick = () => {
        if (!counting) return;
        turns++;
        setImmediate(tick);
      };
      setImmediate(tick);
      let timerFired = false;
      setTimeout(() => {
        timerFired = true;
      }, 1);
      // 100 ms of queries, each awaited: without turns of the loop this is one block.
      const started = Date.now();
      let queries = 0;
      while (Date.now() - started < 100) {
        await sql`insert into t (body) values (${`row ${queries}`})`.execute(db.kysely);
        await sql`select count(*) as n from t`.execute(db.kysely);
        queries += 2;
      }
      const during = turns;
      counting = false;
      expect(timerFired).toBe(true);
      // A turn after each 5 ms of queries: up to 20 in 100 ms, fewer on a slow, shared machine, and
      // none at all if the chain never yielded.
      expect(during).toBeGreaterThanOrEqual(3);
      expect(
        Number((await sql<{ n: number }>`select count(*) as n from t`.execute(db.kysely)).rows[0]!.n),
      ).toBe(queries / 2);
    } finally {
      await db.close();
    }
  });
});
