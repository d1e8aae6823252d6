import type { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../storage/queue/manual-clock.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';
import type { InferenceEventInput } from './events.contract.js';
import { EventsService } from './events.service.js';

const event = (over: Partial<InferenceEventInput> = {}): InferenceEventInput => ({
  projectId: 'prj_x',
  endpoint: 'churn',
  modelVersion: 'churn@v1',
  modelVersionId: 'mv_1',
  arm: 'primary',
  inputs: { tenure: 3 },
  outputs: { label: 'stay' },
  latencyMs: 4.5,
  ...over,
});

/** The inference log on an SQLite file, its batches appended on the server's connection or by the writer thread. */
const openEvents = (database: TestDatabase, writerThread: boolean) =>
  new EventsService(database.db, new ManualClock(Date.UTC(2030, 5, 1)), {
    maxBatch: 64,
    maxDelayMs: 0,
    retentionDays: 30,
    writerThread,
  });

const threadOf = (events: EventsService) =>
  (events as unknown as { thread: { thread: Worker } }).thread.thread;

describe('inference log writer thread [sqlite file]', () => {
  let database: TestDatabase;
  let events: EventsService;

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    events = openEvents(database, true);
  });
  afterEach(async () => {
    await events.close();
    await database.dispose();
  });

  it("appends from its own connection: records commit while the server connection's insert is broken", async () => {
    events.repo.insertEvents = () => Promise.reject(new Error('the server connection must not insert'));
    expect(events.writesOffLoop).toBe(false);
    const ids = await Promise.all(
      Array.from({ length: 300 }, (_, i) => events.record([event({ score: i, tags: { i: String(i) } })])),
    );
    expect(events.writesOffLoop).toBe(true);
    // Acknowledged means committed: the server's connection reads every one right away.
    expect(await events.repo.count('prj_x')).toBe(300);
    const stored = await database.db.kysely
      .selectFrom('inference_events')
      .select(['id', 'score', 'tags', 'inputs'])
      .orderBy('score')
      .execute();
    expect(stored.map((r) => r.id)).toEqual(ids.flat());
    expect(stored[299]).toMatchObject({ score: 299, tags: '{"i":"299"}', inputs: '{"tenure":3}' });
  });

  it('fails only the caller whose event breaks a constraint, mapped as the adapter maps it', async () => {
    await events.record([event({ id: 'prd_taken' })]);
    const results = await Promise.allSettled([
      events.record([event({ id: 'prd_a' }), event({ id: 'prd_b' })]),
      events.record([event({ id: 'prd_c' }), event({ id: 'prd_taken' })]),
      events.record([event({ id: 'prd_d' })]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'already_exists' });
    // All or nothing per caller: prd_c went with its batch-mate.
    const ids = await database.db.kysely.selectFrom('inference_events').select('id').orderBy('id').execute();
    expect(ids.map((r) => r.id)).toEqual(['prd_a', 'prd_b', 'prd_d', 'prd_taken']);
  });

  it("writes on the server's connection once the thread has stopped; a write in flight settles", async () => {
    await events.record([event({ id: 'prd_first' })]);
    const thread = threadOf(events);
    const inFlight = events.record([event({ id: 'prd_in_flight' })]).then(
      () => 'committed',
      (error: { code?: string }) => error.code,
    );
    await thread.terminate();
    // Whether it committed before the thread stopped is unknown; it never hangs, and a failure
    // says the log was unavailable.
    expect(['committed', 'unavailable']).toContain(await inFlight);
    let onServer = 0;
    const insert = events.repo.insertEvents.bind(events.repo);
    events.repo.insertEvents = (rows) => {
      onServer += rows.length;
      return insert(rows);
    };
    await events.record([event({ id: 'prd_after' })]);
    expect(onServer).toBe(1);
    expect(events.writesOffLoop).toBe(false);
    const ids = await database.db.kysely.selectFrom('inference_events').select('id').execute();
    expect(ids.map((r) => r.id)).toEqual(expect.arrayContaining(['prd_first', 'prd_after']));
  });

  it("the server's transactions that read before they write succeed while the thread appends", async () => {
    await sql`create table counter (n integer not null)`.execute(database.db.kysely);
    await sql`insert into counter (n) values (0)`.execute(database.db.kysely);
    let logging = true;
    const logger = (async () => {
      let i = 0;
      while (logging) await events.record([event({ score: i++ })]);
    })();
    // Read, let the thread commit, then write: a deferred transaction's snapshot would be stale
    // by then and its write refused (SQLITE_BUSY_SNAPSHOT); one that begins with the write lock
    // waits for the thread instead.
    try {
      for (let i = 0; i < 100; i++) {
        await database.db.kysely.transaction().execute(async (trx) => {
          const { rows } = await sql<{ n: number }>`select n from counter`.execute(trx);
          await new Promise((resolve) => setTimeout(resolve, 1));
          await sql`update counter set n = ${rows[0]!.n + 1}`.execute(trx);
        });
        // Room for the thread's commits between the transactions.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    } finally {
      logging = false;
      await logger;
    }
    const { rows } = await sql<{ n: number }>`select n from counter`.execute(database.db.kysely);
    expect(rows[0]!.n).toBe(100);
    expect(await events.repo.count('prj_x')).toBeGreaterThan(20);
  });
});

describe.each([false, true])('inference log on an SQLite file, writer thread %s', (writerThread) => {
  let database: TestDatabase;
  let events: EventsService;
  let other: SQLite.Database;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    events = openEvents(database, writerThread);
    other = new SQLite(database.db.file!);
  });
  afterEach(async () => {
    other.close();
    await events.close();
    await database.dispose();
  });

  it('waits for a write lock held elsewhere without blocking the loop, and acknowledges only once committed', async () => {
    await events.record([event({ id: 'prd_first' })]);
    expect(events.writesOffLoop).toBe(writerThread);
    other.exec('begin immediate');
    let acknowledged = false;
    const waiting = events.record([event({ id: 'prd_waited' })]).then(() => {
      acknowledged = true;
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await new Promise((resolve) => setTimeout(resolve, 60));
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(4);
    expect(acknowledged).toBe(false);
    other.exec('commit');
    await waiting;
    const ids = other.prepare('select id from inference_events order by seq').pluck().all();
    expect(ids).toEqual(['prd_first', 'prd_waited']);
  });
});
