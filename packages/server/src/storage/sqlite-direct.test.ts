import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlumbError } from '../core/errors.js';
import { migrate } from '../main.js';
import { changeStampReader } from './change-stamp.js';
import { type Db, openDatabase } from './database.js';
import { HELD, type SqliteDirect } from './sqlite-direct.js';

describe('direct SQLite statements', () => {
  let dir: string;
  let db: Db;
  let direct: SqliteDirect;
  let other: SQLite.Database;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-direct-'));
    db = openDatabase(`sqlite:${join(dir, 'plumb.db')}`, { lockWaitMs: 2000 });
    direct = db.direct!;
    await sql`create table t (id integer primary key, body text not null unique)`.execute(db.kysely);
    other = new SQLite(join(dir, 'plumb.db'));
  });
  afterEach(async () => {
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const bodies = () => other.prepare('select body from t order by id').pluck().all();
  const insert = 'insert into t (body) values (?)';

  it('reads and writes at once when the connection is free, every row in one transaction', () => {
    expect(
      direct.runInTransaction([
        [insert, ['a']],
        [insert, ['b']],
      ]),
    ).toBeUndefined();
    expect(bodies()).toEqual(['a', 'b']);
    expect(direct.get<{ n: number }>('select count(*) as n from t')).toEqual({ n: 2 });
  });

  it('a failing row fails the whole batch, mapped, and writes none of it', () => {
    direct.runInTransaction([[insert, ['a']]]);
    let error: unknown;
    try {
      direct.runInTransaction([
        [insert, ['b']],
        [insert, ['a']],
        [insert, ['c']],
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlumbError);
    expect((error as PlumbError).code).toBe('already_exists');
    expect(bodies()).toEqual(['a']);
  });

  it('stays out of a transaction open on the connection: the statement would have joined it', async () => {
    let inside: unknown;
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await sql`insert into t (body) values ('theirs')`.execute(trx);
        inside = direct.runInTransaction([[insert, ['mine']]]);
        expect(direct.get('select 1 as one')).toBe(HELD);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(inside).toBe(HELD);
    // Had it run inside, the rollback would have taken it too; it did not run at all.
    expect(bodies()).toEqual([]);
  });

  it('answers HELD, having written nothing, while another connection holds the write lock', () => {
    other.exec('begin immediate');
    expect(direct.runInTransaction([[insert, ['mine']]])).toBe(HELD);
    other.exec('commit');
    expect(bodies()).toEqual([]);
    expect(direct.runInTransaction([[insert, ['mine']]])).toBeUndefined();
    expect(bodies()).toEqual(['mine']);
  });

  it('writes nothing while a query is still iterating on the connection, and answers HELD', async () => {
    direct.runInTransaction([
      [insert, ['a']],
      [insert, ['b']],
    ]);
    const rows = db.kysely
      .selectFrom('t' as never)
      .selectAll()
      .stream(1);
    const seen: unknown[] = [];
    for await (const row of rows) {
      seen.push(row);
      // better-sqlite3 refuses a write while a read iterates; a read beside it is harmless.
      expect(direct.runInTransaction([[insert, [`during ${seen.length}`]]])).toBe(HELD);
      expect(direct.get('select 1 as one')).toEqual({ one: 1 });
    }
    expect(seen).toHaveLength(2);
    expect(direct.runInTransaction([[insert, ['after']]])).toBeUndefined();
    expect(bodies()).toEqual(['a', 'b', 'after']);
  });
});

describe('the change stamp', () => {
  it('is read directly when it can be and through Kysely when a transaction holds the connection', async () => {
    const db = openDatabase(':memory:');
    try {
      await migrate(db);
      const read = changeStampReader(db);
      const before = await read();
      let during: number | undefined;
      await db.kysely.transaction().execute(async (trx) => {
        await sql`update audit_head set seq = seq + 1 where id = 1`.execute(trx);
        // Through Kysely, the read waits for the transaction to end, then sees its commit.
        const pending = read().then((v) => {
          during = v;
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(during).toBeUndefined();
        void pending;
      });
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(during).toBe(before + 1);
      expect(await read()).toBe(before + 1);
    } finally {
      await db.close();
    }
  });
});
