import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../../testing/test-database.js';
import { type Db, dropPostgresSchema, ensurePostgresSchema, openDatabase } from '../database.js';
import { describeJobQueue, type JobQueueHarness } from './job-queue.contract.js';
import { LEASE } from './job-queue-suite.contract.js';
import { ManualClock } from './manual-clock.js';
import { PgBossJobQueue } from './pg-boss-job-queue.js';
import { jobIdOf, uuidOf } from './pg-boss-rows.js';

const postgres = testBackends().includes('postgres') ? describe : describe.skip;

let counter = 0;

/**
 * A fresh PostgreSQL schema for pg-boss's tables, with a pool whose transactions `enqueue` can
 * join. Plumb's own tables are not needed here, which keeps each test's setup short.
 */
async function bossDatabase(): Promise<{ db: Db; schema: string; dispose(): Promise<void> }> {
  const url = process.env.PLUMB_TEST_DATABASE_URL!;
  const schema = `plumb_boss_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await ensurePostgresSchema(url, schema);
  const db = openDatabase(url, { schema, poolSize: 5 });
  return {
    db,
    schema,
    dispose: async () => {
      await db.close();
      await dropPostgresSchema(url, schema);
    },
  };
}

postgres('PgBossJobQueue [postgres]', () => {
  describeJobQueue('PgBossJobQueue', async (clock): Promise<JobQueueHarness> => {
    const { db: main, schema, dispose } = await bossDatabase();
    const opened: { queue: PgBossJobQueue; db?: Db }[] = [];
    const queue = await PgBossJobQueue.open(main, { schema, clock, maintenance: false });
    opened.push({ queue });
    return {
      queue,
      another: async () => {
        const db = openDatabase(process.env.PLUMB_TEST_DATABASE_URL!, { schema, poolSize: 5 });
        const other = await PgBossJobQueue.open(db, { schema, clock, maintenance: false });
        opened.push({ queue: other, db });
        return other;
      },
      transaction: (work) => main.kysely.transaction().execute(work),
      dispose: async () => {
        for (const o of opened) {
          await o.queue.close();
          await o.db?.close();
        }
        await dispose();
      },
    };
  });
});

postgres('PgBossJobQueue on pg-boss [postgres]', () => {
  let setup: Awaited<ReturnType<typeof bossDatabase>>;
  let clock: ManualClock;
  let queue: PgBossJobQueue;

  beforeEach(async () => {
    setup = await bossDatabase();
    clock = new ManualClock();
    queue = await PgBossJobQueue.open(setup.db, {
      schema: setup.schema,
      clock,
      maintenance: false,
      backoff: { baseMs: 1000, capMs: 4000, jitter: 0 },
    });
  });

  afterEach(async () => {
    await queue.close();
    await setup.dispose();
  });

  it('keeps its jobs in pg-boss, one partition per queue', async () => {
    const job = await queue.enqueue('reports', { n: 1 }, { maxAttempts: 3, dedupeKey: 'r1' });
    const { rows } = await sql<{
      state: string;
      retry_limit: number;
      singleton_key: string;
      partition: string;
    }>`
      select state::text, retry_limit, singleton_key, tableoid::regclass::text as partition
      from ${sql.raw(setup.schema)}.job where id = ${uuidOf(job.id)}`.execute(setup.db.kysely);
    expect(rows).toEqual([
      {
        state: 'created',
        retry_limit: 2,
        singleton_key: 'r1',
        partition: expect.stringMatching(/^(.+\.)?j[0-9a-f]{56}$/),
      },
    ]);
  });

  it("reads and re-queues a dead job that pg-boss's maintenance moved to its archive", async () => {
    const job = await queue.enqueue('etl', { n: 1 }, { maxAttempts: 1 });
    await queue.claim(['etl'], 'w', LEASE);
    await queue.fail(job.id, 'w', new Error('bad input'));
    // What pg-boss's archive step does with a failed job once archiveFailedAfterSeconds passed.
    await sql`with moved as (delete from ${sql.raw(setup.schema)}.job where id = ${uuidOf(job.id)} returning *)
      insert into ${sql.raw(setup.schema)}.archive select *, now() from moved`.execute(setup.db.kysely);
    expect(await queue.get(job.id)).toMatchObject({ status: 'dead', attempts: 1 });
    expect((await queue.list({ status: 'dead' })).map((j) => j.id)).toEqual([job.id]);
    expect(await queue.list({ status: 'queued' })).toEqual([]);
    expect(await queue.retry(job.id)).toMatchObject({ status: 'queued', attempts: 0, payload: { n: 1 } });
    expect(await queue.claim(['etl'], 'w2', LEASE)).toMatchObject({ id: job.id, attempts: 1 });
    expect(await queue.list({ queue: 'etl' })).toHaveLength(1);
  });

  it('doubles the retry delay from its base up to the cap', async () => {
    const job = await queue.enqueue('flaky', {}, { maxAttempts: 5 });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await queue.claim(['flaky'], 'w', LEASE);
      const failed = await queue.fail(job.id, 'w', new Error(`boom ${attempt}`));
      const delay = failed!.runAt.getTime() - clock.now().getTime();
      delays.push(delay);
      clock.advance(delay);
    }
    expect(delays).toEqual([1000, 2000, 4000, 4000]);
  });

  it('maps job ids to pg-boss UUIDs and back, keeping their order', () => {
    const ids = [
      'job_01JD0000000000000000000000',
      'job_01JD0000000000000000000001',
      'job_7ZZZZZZZZZZZZZZZZZZZZZZZZZ',
    ];
    const uuids = ids.map((id) => uuidOf(id)!);
    expect(uuids.map(jobIdOf)).toEqual(ids);
    expect([...uuids].sort()).toEqual(uuids);
    expect(uuids[2]).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff');
    expect(uuidOf('job_8ZZZZZZZZZZZZZZZZZZZZZZZZZ')).toBeNull();
    expect(uuidOf('job_missing')).toBeNull();
  });
});
