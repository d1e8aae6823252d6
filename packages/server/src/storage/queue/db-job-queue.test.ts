import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import { migrate } from '../../main.js';
import {
  type Backend,
  createTestDatabase,
  describeEachBackend,
  type TestDatabase,
} from '../../testing/test-database.js';
import { type Db, openDatabase } from '../database.js';
import { DbJobQueue } from './db-job-queue.js';
import { describeJobQueue, type JobQueueHarness } from './job-queue.contract.js';
import { jobsMigrations } from './jobs.migrations.js';
import { ManualClock } from './manual-clock.js';

const LEASE = 30_000;

/**
 * A migrated database plus a way to open more connections to it, as other processes would:
 * a second SQLite connection to the same file, or a second pool on the same PostgreSQL schema.
 */
async function sharedDatabase(backend: Backend): Promise<{ db: Db; open(): Db; dispose(): Promise<void> }> {
  const opened: Db[] = [];
  if (backend === 'postgres') {
    const t = await createTestDatabase('postgres');
    const url = process.env.PLUMB_TEST_DATABASE_URL!;
    return {
      db: t.db,
      open: () => {
        const db = openDatabase(url, { schema: t.db.schema!, poolSize: 5 });
        opened.push(db);
        return db;
      },
      dispose: async () => {
        for (const db of opened) await db.close();
        await t.dispose();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'plumb-queue-'));
  const url = `sqlite:${join(dir, 'plumb.db')}`;
  const db = openDatabase(url);
  await migrate(db);
  return {
    db,
    open: () => {
      const other = openDatabase(url);
      opened.push(other);
      return other;
    },
    dispose: async () => {
      for (const other of opened) await other.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeEachBackend('DbJobQueue', (backend) => {
  describeJobQueue('DbJobQueue', async (clock): Promise<JobQueueHarness> => {
    const shared = await sharedDatabase(backend);
    return {
      queue: new DbJobQueue(shared.db, { clock }),
      another: async () => new DbJobQueue(shared.open(), { clock }),
      transaction: (work) => shared.db.kysely.transaction().execute(work),
      dispose: () => shared.dispose(),
    };
  });
});

describeEachBackend('DbJobQueue', (backend) => {
  let t: TestDatabase;
  let clock: ManualClock;
  let queue: DbJobQueue;

  beforeEach(async () => {
    t = await createTestDatabase(backend);
    clock = new ManualClock();
    queue = new DbJobQueue(t.db, { clock, backoff: { baseMs: 1000, capMs: 4000, jitter: 0 } });
  });

  afterEach(async () => {
    await t.dispose();
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

  it('applies jitter from the injected randomness', async () => {
    const jittery = new DbJobQueue(t.db, {
      clock,
      backoff: { baseMs: 1000, capMs: 60_000, jitter: 0.5, random: () => 0.5 },
    });
    const job = await jittery.enqueue('j', null);
    await jittery.claim(['j'], 'w', LEASE);
    const failed = await jittery.fail(job.id, 'w', 'plain message');
    expect(failed!.runAt.getTime() - clock.now().getTime()).toBe(750);
    expect(failed!.lastError).toBe('plain message');
  });

  it('rejects an impossible backoff', () => {
    expect(() => new DbJobQueue(t.db, { backoff: { baseMs: 10, capMs: 5 } })).toThrow(PlumbError);
    expect(() => new DbJobQueue(t.db, { backoff: { jitter: 2 } })).toThrow(PlumbError);
  });

  if (backend === 'postgres') {
    it('claims past a job another transaction holds locked instead of waiting for it (SKIP LOCKED)', async () => {
      const locked = await queue.enqueue('work', { n: 1 });
      const free = await queue.enqueue('work', { n: 2 });
      // Without SKIP LOCKED the claim would wait on the row lock held here, and this
      // transaction waits on the claim: the test would hang instead of passing.
      const claimed = await t.db.kysely.transaction().execute(async (trx) => {
        await sql`select id from jobs where id = ${locked.id} for update`.execute(trx);
        return queue.claim(['work'], 'w', LEASE);
      });
      expect(claimed?.id).toBe(free.id);
      expect((await queue.claim(['work'], 'w', LEASE))?.id).toBe(locked.id);
    });
  }
});

describe('jobs migrations', () => {
  it('turns jobs that had failed for good into dead jobs', async () => {
    const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) });
    try {
      await jobsMigrations['0003_jobs'].up(kysely);
      const row = (id: string, status: string) => ({
        id,
        queue: 'q',
        payload: 'null',
        status,
        attempts: 1,
        max_attempts: 1,
        run_at: 0,
        created_at: 0,
        updated_at: 0,
      });
      await sql`insert into jobs (id, queue, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
        values ${sql.join(
          [row('job_a', 'failed'), row('job_b', 'succeeded'), row('job_c', 'queued')].map(
            (r) =>
              sql`(${r.id}, ${r.queue}, ${r.payload}, ${r.status}, ${r.attempts}, ${r.max_attempts}, ${r.run_at}, ${r.created_at}, ${r.updated_at})`,
          ),
        )}`.execute(kysely);
      await jobsMigrations['jobs/0002_dead_letters_and_schedules'].up(kysely);
      const { rows } = await sql<{
        id: string;
        status: string;
      }>`select id, status from jobs order by id`.execute(kysely);
      expect(rows).toEqual([
        { id: 'job_a', status: 'dead' },
        { id: 'job_b', status: 'succeeded' },
        { id: 'job_c', status: 'queued' },
      ]);
    } finally {
      await kysely.destroy();
    }
  });
});
