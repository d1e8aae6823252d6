import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import type { Job, JobQueue } from './job-queue.js';
import { describeJobLifecycle } from './job-queue-lifecycle.contract.js';
import { describeJobSchedules } from './job-queue-schedules.contract.js';
import {
  expectCode,
  type JobQueueFactory,
  type JobQueueHarness,
  type JobQueueSuite,
  LEASE,
} from './job-queue-suite.contract.js';
import { ManualClock } from './manual-clock.js';

export type { JobQueueFactory, JobQueueHarness } from './job-queue-suite.contract.js';

/**
 * The behaviour every JobQueue backend keeps (see the JobQueue contract), run over one adapter:
 * the jobs table on SQLite and PostgreSQL, and pg-boss on PostgreSQL. Backoff timing, jitter and locking
 * strategy are the adapter's own and tested beside it.
 */
export function describeJobQueue(name: string, factory: JobQueueFactory): void {
  describe(`${name} (JobQueue contract)`, () => {
    let harness: JobQueueHarness;
    let clock: ManualClock;
    const suite: JobQueueSuite = {
      get queue() {
        return harness.queue;
      },
      get clock() {
        return clock;
      },
      get harness() {
        return harness;
      },
    };

    beforeEach(async () => {
      clock = new ManualClock();
      harness = await factory(clock);
    });

    afterEach(async () => {
      await harness.dispose();
    });

    describeJobBasics(suite);
    describeJobLifecycle(suite);
    describeJobSchedules(suite);
  });
}

/** Claims and completes until every job is done, recording which claimers got each job. */
async function drain(queue: JobQueue, claimers: number, total: number): Promise<Map<string, string[]>> {
  const claimedBy = new Map<string, string[]>();
  let done = 0;
  await Promise.all(
    Array.from({ length: claimers }, async (_, i) => {
      const workerId = `w${i}`;
      while (done < total) {
        const job = await queue.claim(['work'], workerId, LEASE);
        if (!job) {
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        claimedBy.set(job.id, [...(claimedBy.get(job.id) ?? []), workerId]);
        expect(await queue.complete(job.id, workerId, { by: workerId })).not.toBeNull();
        done++;
      }
    }),
  );
  return claimedBy;
}

function describeJobBasics(s: JobQueueSuite): void {
  it('enqueues, claims and completes a job', async () => {
    const { queue, clock } = s;
    const job = await queue.enqueue('email', { to: 'a@example.com' });
    expect(job).toMatchObject({
      queue: 'email',
      payload: { to: 'a@example.com' },
      status: 'queued',
      attempts: 0,
      maxAttempts: 5,
      runAt: clock.now(),
      leaseUntil: null,
      workerId: null,
      scheduleName: null,
      scheduledFor: null,
    });
    expect(job.id).toMatch(/^job_/);

    const claimed = await queue.claim(['email'], 'w1', LEASE);
    expect(claimed).toMatchObject({ id: job.id, status: 'running', attempts: 1, workerId: 'w1' });
    expect(claimed!.leaseUntil).toEqual(new Date(clock.now().getTime() + LEASE));
    expect(await queue.claim(['email'], 'w2', LEASE)).toBeNull();

    const done = await queue.complete(job.id, 'w1', { sent: true });
    expect(done).toMatchObject({
      status: 'succeeded',
      result: { sent: true },
      leaseUntil: null,
      workerId: 'w1',
    });
    expect(await queue.complete(job.id, 'w1', {})).toBeNull();
    expect(await queue.get(job.id)).toEqual(done);
    expect(await queue.get('job_missing')).toBeNull();
  });

  it('claims only due jobs of the named queues, oldest first', async () => {
    const { queue, clock } = s;
    const later = await queue.enqueue('a', 1, { runAt: new Date(clock.now().getTime() + 5000) });
    const first = await queue.enqueue('a', 2, { runAt: new Date(clock.now().getTime() - 1000) });
    const second = await queue.enqueue('b', 3);
    await queue.enqueue('c', 4);
    expect((await queue.claim(['a', 'b'], 'w', LEASE))?.id).toBe(first.id);
    expect((await queue.claim(['a', 'b'], 'w', LEASE))?.id).toBe(second.id);
    expect(await queue.claim(['a', 'b'], 'w', LEASE)).toBeNull();
    expect(await queue.claim([], 'w', LEASE)).toBeNull();
    clock.advance(5000);
    expect((await queue.claim(['a', 'b'], 'w', LEASE))?.id).toBe(later.id);
  });

  it('retries a failed attempt after a growing delay, and the last failure leaves the job dead', async () => {
    const { queue, clock } = s;
    const job = await queue.enqueue('flaky', {}, { maxAttempts: 4 });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await queue.claim(['flaky'], 'w', LEASE)).toMatchObject({ id: job.id, attempts: attempt });
      const failed = await queue.fail(job.id, 'w', new Error(`boom ${attempt}`));
      expect(failed).toMatchObject({ status: 'queued', workerId: null, leaseUntil: null });
      expect(failed!.lastError).toMatch(new RegExp(`^Error: boom ${attempt}\\n\\s+at `));
      const delay = failed!.runAt.getTime() - clock.now().getTime();
      expect(delay).toBeGreaterThan(0);
      delays.push(delay);
      clock.advance(delay - 1);
      expect(await queue.claim(['flaky'], 'w', LEASE)).toBeNull();
      clock.advance(1);
    }
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
    expect(await queue.claim(['flaky'], 'w', LEASE)).toMatchObject({ attempts: 4 });
    const last = await queue.fail(job.id, 'w', new PlumbError('unavailable', 'upstream down'));
    expect(last).toMatchObject({ status: 'dead', attempts: 4, workerId: 'w', leaseUntil: null });
    expect(last!.lastError).toMatch(/^PlumbError \[unavailable\]: upstream down/);
    clock.advance(24 * 60 * 60 * 1000);
    expect(await queue.claim(['flaky'], 'w', LEASE)).toBeNull();
  });

  it('claims a job again once its lease passed, and fences off the old worker', async () => {
    const { queue, clock } = s;
    const job = await queue.enqueue('long', {});
    await queue.claim(['long'], 'w1', 1000);
    clock.advance(800);
    expect(await queue.heartbeat(job.id, 'w1', 1000, { step: 1 })).toBe(true);
    clock.advance(800);
    expect(await queue.claim(['long'], 'w2', 1000)).toBeNull();
    expect((await queue.get(job.id))!.progress).toEqual({ step: 1 });

    clock.advance(200);
    const reclaimed = await queue.claim(['long'], 'w2', 1000);
    expect(reclaimed).toMatchObject({ id: job.id, workerId: 'w2', attempts: 2 });
    expect(reclaimed!.lastError).toMatch(/lease expired/);
    expect(await queue.heartbeat(job.id, 'w1', 1000)).toBe(false);
    expect(await queue.complete(job.id, 'w1', 'stale')).toBeNull();
    expect(await queue.fail(job.id, 'w1', new Error('stale'))).toBeNull();
    expect(await queue.complete(job.id, 'w2', 'fresh')).toMatchObject({
      status: 'succeeded',
      result: 'fresh',
    });
  });

  it('leaves a job dead whose lease passes on its last attempt', async () => {
    const { queue, clock } = s;
    const job = await queue.enqueue('once', {}, { maxAttempts: 1 });
    await queue.claim(['once'], 'w1', 1000);
    clock.advance(1000);
    const next = await queue.enqueue('once', { next: true });
    expect((await queue.claim(['once'], 'w2', 1000))?.id).toBe(next.id);
    const dead = await queue.get(job.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 1, leaseUntil: null, workerId: 'w1' });
    expect(dead!.lastError).toMatch(/lease expired/);
  });

  it('dedupes by key per queue while a job is queued or running', async () => {
    const { queue } = s;
    const a = await queue.enqueue('refresh', { n: 1 }, { dedupeKey: 'model-7' });
    const again = await queue.enqueue('refresh', { n: 2 }, { dedupeKey: 'model-7' });
    expect(again.id).toBe(a.id);
    expect(again.payload).toEqual({ n: 1 });
    const otherQueue = await queue.enqueue('other', {}, { dedupeKey: 'model-7' });
    expect(otherQueue.id).not.toBe(a.id);

    await queue.claim(['refresh'], 'w', LEASE);
    expect((await queue.enqueue('refresh', {}, { dedupeKey: 'model-7' })).id).toBe(a.id);
    await queue.complete(a.id, 'w', null);
    const fresh = await queue.enqueue('refresh', { n: 3 }, { dedupeKey: 'model-7' });
    expect(fresh.id).not.toBe(a.id);

    const racing = await Promise.all(
      Array.from({ length: 10 }, (_, i) => queue.enqueue('race', { i }, { dedupeKey: 'k' })),
    );
    expect(new Set(racing.map((j) => j.id)).size).toBe(1);
  });

  it('enqueues inside the caller transaction', async () => {
    const { queue, harness } = s;
    const rolledBack = harness.transaction(async (trx) => {
      await queue.enqueue('tx', { keep: false }, {}, trx);
      throw new Error('abort');
    });
    await expect(rolledBack).rejects.toThrow('abort');
    expect(await queue.list({ queue: 'tx' })).toEqual([]);

    const existing = await queue.enqueue('tx', { first: true }, { dedupeKey: 'd' });
    const inside = await harness.transaction(async (trx) => {
      const deduped = await queue.enqueue('tx', {}, { dedupeKey: 'd' }, trx);
      // The transaction is still usable after the dedupe conflict.
      const fresh = await queue.enqueue('tx', { keep: true }, {}, trx);
      return [deduped, fresh] as const;
    });
    expect(inside[0].id).toBe(existing.id);
    expect((await queue.get(inside[1].id))?.payload).toEqual({ keep: true });
  });

  it('hands every job to exactly one of many concurrent claimers', async () => {
    const { queue } = s;
    const total = 200;
    for (let i = 0; i < total; i++) await queue.enqueue('work', { i });
    const claimedBy = await drain(queue, 16, total);
    expect(claimedBy.size).toBe(total);
    for (const workers of claimedBy.values()) expect(workers).toHaveLength(1);
    expect(new Set([...claimedBy.values()].flat()).size).toBeGreaterThan(1);
    expect(await queue.list({ status: 'succeeded', limit: 500 })).toHaveLength(total);
  });

  it('hands every job to exactly one claimer across two instances of the queue', async () => {
    const { queue, harness } = s;
    const other = await harness.another();
    const total = 100;
    for (let i = 0; i < total; i++) await (i % 2 ? queue : other).enqueue('work', { i });
    const claimed = new Map<string, number>();
    let done = 0;
    await Promise.all(
      [queue, other].flatMap((q, c) =>
        [0, 1, 2].map(async (k) => {
          const workerId = `c${c}-${k}`;
          while (done < total) {
            const job: Job | null = await q.claim(['work'], workerId, LEASE);
            if (!job) {
              await new Promise((resolve) => setImmediate(resolve));
              continue;
            }
            claimed.set(job.id, (claimed.get(job.id) ?? 0) + 1);
            await q.complete(job.id, workerId, null);
            done++;
          }
        }),
      ),
    );
    expect(claimed.size).toBe(total);
    expect([...claimed.values()].every((n) => n === 1)).toBe(true);
  });

  it('lists newest first with filters and paging', async () => {
    const { queue } = s;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await queue.enqueue(i % 2 ? 'odd' : 'even', { i })).id);
    await queue.claim(['even'], 'w', LEASE);
    expect((await queue.list()).map((j) => j.id)).toEqual([...ids].reverse());
    expect((await queue.list({ queue: 'odd' })).map((j) => j.id)).toEqual([ids[3], ids[1]]);
    expect((await queue.list({ status: 'running' })).map((j) => j.id)).toEqual([ids[0]]);
    const page1 = await queue.list({ limit: 2 });
    const page2 = await queue.list({ limit: 2, before: page1.at(-1)!.id });
    expect([...page1, ...page2].map((j) => j.id)).toEqual([ids[4], ids[3], ids[2], ids[1]]);
  });

  it('rejects invalid arguments', async () => {
    const { queue } = s;
    await expectCode(queue.enqueue('', {}), 'invalid_argument');
    await expectCode(queue.enqueue('q', {}, { maxAttempts: 0 }), 'invalid_argument');
    await expectCode(queue.enqueue('q', {}, { runAt: new Date('nope') }), 'invalid_argument');
    await expectCode(queue.enqueue('q', { n: 1n }), 'invalid_argument');
    await expectCode(queue.claim(['q'], 'w', 0), 'invalid_argument');
    await expectCode(queue.list({ limit: 0 }), 'invalid_argument');
    const job = await queue.enqueue('q', {});
    await queue.claim(['q'], 'w', LEASE);
    await expectCode(queue.complete(job.id, 'w', { n: 1n }), 'invalid_argument');
    expect((await queue.get(job.id))?.status).toBe('running');
  });
}
