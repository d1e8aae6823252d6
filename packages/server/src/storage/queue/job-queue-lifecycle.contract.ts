import { afterEach, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import {
  eventually,
  expectCode,
  type JobQueueSuite,
  LEASE,
  silentLogger,
} from './job-queue-suite.contract.js';
import { Worker } from './worker.js';

/** Cancellation, dead letters and re-queueing: part of the JobQueue contract. */
export function describeJobLifecycle(s: JobQueueSuite): void {
  const workers: Worker[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop({ timeoutMs: 100 })));
  });

  it('never runs a cancelled queued job, and frees its dedupe key', async () => {
    const { queue, clock } = s;
    const job = await queue.enqueue('mail', { n: 1 }, { dedupeKey: 'k' });
    const cancelled = await queue.cancel(job.id);
    expect(cancelled).toMatchObject({ id: job.id, status: 'cancelled', attempts: 0, leaseUntil: null });
    // Cancelling again is harmless.
    expect((await queue.cancel(job.id)).status).toBe('cancelled');
    clock.advance(LEASE * 10);
    expect(await queue.claim(['mail'], 'w', LEASE)).toBeNull();
    const fresh = await queue.enqueue('mail', { n: 2 }, { dedupeKey: 'k' });
    expect(fresh.id).not.toBe(job.id);
    expect((await queue.list({ status: 'cancelled' })).map((j) => j.id)).toEqual([job.id]);
  });

  it('fences off the worker of a cancelled running job and never hands it out again', async () => {
    const { queue, clock } = s;
    const job = await queue.enqueue('long', null);
    await queue.claim(['long'], 'w1', 1000);
    expect(await queue.cancel(job.id)).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(await queue.heartbeat(job.id, 'w1', 1000)).toBe(false);
    expect(await queue.complete(job.id, 'w1', 'late')).toBeNull();
    expect(await queue.fail(job.id, 'w1', new Error('late'))).toBeNull();
    clock.advance(5000);
    expect(await queue.claim(['long'], 'w2', 1000)).toBeNull();
    expect(await queue.get(job.id)).toMatchObject({ status: 'cancelled', result: null, attempts: 1 });
  });

  it('refuses to cancel a finished job or one that does not exist', async () => {
    const { queue } = s;
    const job = await queue.enqueue('q', null);
    await queue.claim(['q'], 'w', LEASE);
    await queue.complete(job.id, 'w', 'ok');
    const error = await expectCode(queue.cancel(job.id), 'failed_precondition');
    expect(error.message).toMatch(/already ended as succeeded/);
    await expectCode(queue.cancel('job_missing'), 'not_found');
    expect((await queue.get(job.id))?.status).toBe('succeeded');
  });

  it("aborts a running job's handler through its signal when the job is cancelled, without retrying it", async () => {
    const { queue, clock } = s;
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let reason: unknown;
    const attempts: number[] = [];
    const worker = new Worker({
      queue,
      logger: silentLogger,
      clock,
      pollIntervalMs: 2,
      leaseMs: 60_000,
      heartbeatIntervalMs: 5,
    }).register('train', (job, { signal }) => {
      attempts.push(job.attempts);
      started();
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          reject(signal.reason);
        });
      });
    });
    workers.push(worker);
    worker.start();
    const job = await queue.enqueue('train', null, { maxAttempts: 3 });
    await running;
    await queue.cancel(job.id);
    await eventually(async () => reason !== undefined && worker.active === 0, 'the abort');
    expect(PlumbError.is(reason, 'failed_precondition')).toBe(true);
    expect(String((reason as Error).message)).toMatch(/cancelled/);
    // Long past any backoff: a cancelled job is not retried.
    clock.advance(24 * 60 * 60 * 1000);
    const other = await queue.enqueue('train', null);
    await eventually(async () => attempts.length === 2, 'the next job');
    expect(await queue.get(job.id)).toMatchObject({ status: 'cancelled', attempts: 1, lastError: null });
    expect(attempts).toEqual([1, 1]);
    await queue.cancel(other.id);
  });

  it('keeps a job that used up its attempts as dead, apart from one still retrying', async () => {
    const { queue, clock } = s;
    const doomed = await queue.enqueue('etl', { n: 1 }, { maxAttempts: 2 });
    const retrying = await queue.enqueue('report', { n: 2 }, { maxAttempts: 2 });
    await queue.claim(['etl'], 'w', LEASE);
    await queue.fail(doomed.id, 'w', new Error('first'));
    await queue.claim(['report'], 'w', LEASE);
    const once = await queue.fail(retrying.id, 'w', new Error('only once'));
    expect(once).toMatchObject({ status: 'queued', attempts: 1 });
    clock.advance(60 * 60 * 1000);
    expect((await queue.claim(['etl'], 'w', LEASE))?.id).toBe(doomed.id);
    const dead = await queue.fail(doomed.id, 'w', new Error('second'));
    expect(dead).toMatchObject({ status: 'dead', attempts: 2 });
    expect(dead!.lastError).toMatch(/^Error: second/);
    expect((await queue.list({ status: 'dead' })).map((j) => j.id)).toEqual([doomed.id]);
    expect((await queue.list({ status: 'queued' })).map((j) => j.id)).toEqual([retrying.id]);
  });

  it('queues a dead job again with a fresh set of attempts', async () => {
    const { queue, clock } = s;
    const job = await queue.enqueue('etl', { n: 1 }, { maxAttempts: 1, dedupeKey: 'nightly' });
    await queue.claim(['etl'], 'w1', LEASE);
    await queue.fail(job.id, 'w1', new Error('bad input'));
    clock.advance(1000);
    const again = await queue.retry(job.id);
    expect(again).toMatchObject({
      id: job.id,
      status: 'queued',
      attempts: 0,
      maxAttempts: 1,
      runAt: clock.now(),
      workerId: null,
      leaseUntil: null,
      payload: { n: 1 },
    });
    // The record of what went wrong stays until the next attempt.
    expect(again.lastError).toMatch(/bad input/);
    // Queued again, it holds its dedupe key again.
    expect((await queue.enqueue('etl', {}, { dedupeKey: 'nightly' })).id).toBe(job.id);
    expect(await queue.claim(['etl'], 'w2', LEASE)).toMatchObject({ id: job.id, attempts: 1 });
    expect(await queue.complete(job.id, 'w2', 'fixed')).toMatchObject({ status: 'succeeded' });
    expect(await queue.list({ status: 'dead' })).toEqual([]);
  });

  it('queues a cancelled job again, and refuses to retry a live or finished one', async () => {
    const { queue } = s;
    const cancelled = await queue.enqueue('q', null);
    await queue.cancel(cancelled.id);
    expect((await queue.retry(cancelled.id)).status).toBe('queued');
    const error = await expectCode(queue.retry(cancelled.id), 'failed_precondition');
    expect(error.message).toMatch(/is queued; only dead or cancelled jobs/);
    await queue.claim(['q'], 'w', LEASE);
    await expectCode(queue.retry(cancelled.id), 'failed_precondition');
    await queue.complete(cancelled.id, 'w', null);
    await expectCode(queue.retry(cancelled.id), 'failed_precondition');
    await expectCode(queue.retry('job_missing'), 'not_found');
  });

  it('refuses to retry a dead job while another job holds its dedupe key', async () => {
    const { queue } = s;
    const job = await queue.enqueue('etl', null, { maxAttempts: 1, dedupeKey: 'nightly' });
    await queue.claim(['etl'], 'w', LEASE);
    await queue.fail(job.id, 'w', new Error('boom'));
    const successor = await queue.enqueue('etl', null, { dedupeKey: 'nightly' });
    expect(successor.id).not.toBe(job.id);
    await expectCode(queue.retry(job.id), 'already_exists');
    expect((await queue.get(job.id))?.status).toBe('dead');
  });
}
