import { afterEach, beforeEach, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../../testing/test-database.js';
import { DbJobQueue } from './db-job-queue.js';
import type { Job, JobQueue } from './job-queue.js';
import { eventually } from './job-queue-suite.contract.js';
import { ManualClock } from './manual-clock.js';
import { Worker, type WorkerLogger } from './worker.js';

interface Entry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

function recordingLogger(): WorkerLogger & { entries: Entry[] } {
  const entries: Entry[] = [];
  const log = (level: Entry['level']) => (obj: object, msg: string) => {
    entries.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { entries, info: log('info'), warn: log('warn'), error: log('error') };
}

/** A promise the test settles by hand, to order events without sleeping. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describeEachBackend('Worker', (backend) => {
  let t: TestDatabase;
  let queue: DbJobQueue;
  let logger: ReturnType<typeof recordingLogger>;
  const workers: Worker[] = [];

  function worker(options: Partial<ConstructorParameters<typeof Worker>[0]> = {}): Worker {
    const w = new Worker({ queue, logger, pollIntervalMs: 5, leaseMs: 2000, ...options });
    workers.push(w);
    return w;
  }

  beforeEach(async () => {
    t = await createTestDatabase(backend);
    queue = new DbJobQueue(t.db, { backoff: { baseMs: 10, capMs: 20, jitter: 0 } });
    logger = recordingLogger();
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop({ timeoutMs: 100 })));
    await t.dispose();
  });

  it('runs jobs and records their results', async () => {
    const w = worker({ concurrency: 2 }).register<{ n: number }, { doubled: number }>('double', (job) => ({
      doubled: job.payload.n * 2,
    }));
    w.start();
    const jobs = await Promise.all([1, 2, 3, 4, 5].map((n) => queue.enqueue('double', { n })));
    for (const job of jobs) {
      const done = await eventually(async () => {
        const current = await queue.get(job.id);
        return current?.status === 'succeeded' && current;
      });
      expect(done.result).toEqual({ doubled: (job.payload as { n: number }).n * 2 });
      expect(done.workerId).toBe(w.id);
    }
    expect(logger.entries.filter((e) => e.msg === 'job succeeded')).toHaveLength(5);
  });

  it('retries failed attempts and fails a job after its last attempt', async () => {
    const calls = new Map<string, number>();
    worker()
      .register<{ failTimes: number }, string>('flaky', async (job) => {
        const n = (calls.get(job.id) ?? 0) + 1;
        calls.set(job.id, n);
        if (n <= job.payload.failTimes) throw new Error(`attempt ${n} failed`);
        return 'ok';
      })
      .start();
    const recovers = await queue.enqueue('flaky', { failTimes: 2 }, { maxAttempts: 3 });
    const doomed = await queue.enqueue('flaky', { failTimes: 99 }, { maxAttempts: 2 });
    const recovered = await eventually(async () => {
      const j = await queue.get(recovers.id);
      return j?.status === 'succeeded' && j;
    });
    expect(recovered).toMatchObject({ attempts: 3, result: 'ok' });
    const failed = await eventually(async () => {
      const j = await queue.get(doomed.id);
      return j?.status === 'dead' && j;
    });
    expect(failed.attempts).toBe(2);
    expect(failed.lastError).toMatch(/^Error: attempt 2 failed/);
    expect(logger.entries.filter((e) => e.msg === 'job attempt failed; will retry')).toHaveLength(3);
    const final = logger.entries.find((e) => e.msg === 'job failed on its last attempt; it is dead');
    expect(final?.level).toBe('error');
    expect(final?.obj).toMatchObject({ jobId: doomed.id, queue: 'flaky', attempt: 2 });
  });

  it('runs at most `concurrency` jobs at once', async () => {
    let now = 0;
    let peak = 0;
    const waiting: Array<() => void> = [];
    worker({ concurrency: 3 })
      .register('slow', async () => {
        now++;
        peak = Math.max(peak, now);
        await new Promise<void>((resolve) => waiting.push(resolve));
        now--;
        return null;
      })
      .start();
    const jobs = await Promise.all(Array.from({ length: 9 }, () => queue.enqueue('slow', null)));
    // Each job holds its slot until released; release one whenever all three slots are taken.
    for (let released = 0; released < jobs.length; released++) {
      const left = jobs.length - released;
      await eventually(async () => waiting.length === Math.min(3, left) && now === Math.min(3, left));
      waiting.shift()!();
    }
    await eventually(async () => (await queue.list({ status: 'succeeded' })).length === jobs.length);
    expect(peak).toBe(3);
  });

  it('stop waits for running jobs and claims nothing more', async () => {
    let finished = false;
    const release = gate();
    let claims = 0;
    const counting: JobQueue = Object.create(queue);
    counting.claim = (...args) => {
      claims++;
      return queue.claim(...args);
    };
    const w = worker({ queue: counting }).register('slow', async () => {
      await release.promise;
      finished = true;
      return 'done';
    });
    w.start();
    const job = await queue.enqueue('slow', null);
    await eventually(async () => w.active === 1);
    const stopping = w.stop();
    expect((await queue.get(job.id))?.status).toBe('running');
    release.open();
    await stopping;
    expect(finished).toBe(true);
    expect((await queue.get(job.id))?.status).toBe('succeeded');
    const claimsAtStop = claims;
    const later = await queue.enqueue('slow', null);
    expect((await queue.claim(['slow'], 'other', 1000))?.id).toBe(later.id);
    expect(claims).toBe(claimsAtStop);
  });

  it('stop aborts jobs still running after its timeout, and they are retried', async () => {
    let signalled: unknown;
    const w = worker({ concurrency: 2 })
      .register('cooperative', (_job, { signal }) => {
        return new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            signalled = signal.reason;
            reject(signal.reason);
          });
        });
      })
      // Never settles and ignores its signal: stop must not wait for it.
      .register('stubborn', () => new Promise(() => {}));
    w.start();
    const a = await queue.enqueue('cooperative', null);
    const b = await queue.enqueue('stubborn', null);
    await eventually(async () => w.active === 2);
    // Returns although the stubborn handler never settles.
    await w.stop({ timeoutMs: 50 });
    expect(PlumbError.is(signalled, 'unavailable')).toBe(true);
    for (const id of [a.id, b.id]) {
      const job = await queue.get(id);
      expect(job).toMatchObject({ status: 'queued', attempts: 1, workerId: null });
      expect(job?.lastError).toMatch(/worker stopped before the job finished/);
    }
    expect(logger.entries.some((e) => e.msg === 'worker stop timed out; aborting running jobs')).toBe(true);
  });

  it('keeps the lease with heartbeats while a handler runs, and records progress', async () => {
    // Leases run on a clock moved by hand; only the heartbeat timer is real.
    const clock = new ManualClock();
    const clocked = new DbJobQueue(t.db, { clock });
    const release = gate();
    const w = worker({ queue: clocked, clock, leaseMs: 300, heartbeatIntervalMs: 5 }).register(
      'long',
      async (_job, { progress, heartbeat }) => {
        progress({ step: 1 });
        await release.promise;
        progress({ step: 2 });
        expect(await heartbeat()).toBe(true);
        return 'finished';
      },
    );
    w.start();
    const job = await clocked.enqueue('long', null);
    const start = clock.now().getTime();
    await eventually(async () => (await clocked.get(job.id))?.progress);
    expect((await clocked.get(job.id))?.progress).toEqual({ step: 1 });
    clock.advance(200);
    await eventually(async () => (await clocked.get(job.id))!.leaseUntil!.getTime() === start + 500);
    clock.advance(200);
    // Past the first lease: only the heartbeat keeps another worker from claiming it.
    expect(await clocked.claim(['long'], 'thief', 300)).toBeNull();
    release.open();
    const done = await eventually(async () => {
      const j = await clocked.get(job.id);
      return j?.status === 'succeeded' && j;
    });
    expect(done).toMatchObject({ attempts: 1, result: 'finished', progress: { step: 2 }, workerId: w.id });
  });

  it('aborts a handler whose lease was taken over and discards its outcome', async () => {
    const stolen: JobQueue = Object.create(queue);
    stolen.heartbeat = async () => false;
    let reason: unknown;
    const w = worker({ queue: stolen, leaseMs: 60, heartbeatIntervalMs: 10 }).register(
      'victim',
      (_job, { signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(signal.reason);
          }),
        ),
    );
    w.start();
    const job = await queue.enqueue('victim', null);
    await eventually(async () => reason !== undefined);
    expect(PlumbError.is(reason, 'conflict')).toBe(true);
    await eventually(async () => w.active === 0);
    // Neither failed nor completed by the worker that lost it.
    expect(await queue.get(job.id)).toMatchObject({ status: 'running', attempts: 1, lastError: null });
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg.startsWith('job lease lost'))).toBe(true);
  });

  it('fails a job whose result is not JSON', async () => {
    worker()
      .register('bad', () => ({ big: 1n }))
      .start();
    const job = await queue.enqueue('bad', null, { maxAttempts: 1 });
    const failed = await eventually(async () => {
      const j: Job | null = await queue.get(job.id);
      return j?.status === 'dead' && j;
    });
    expect(failed.lastError).toMatch(/not JSON-serializable/);
  });

  it('keeps polling after a claim error', async () => {
    let failures = 0;
    const flaky: JobQueue = Object.create(queue);
    flaky.claim = async (...args) => {
      if (failures++ < 2) throw new PlumbError('unavailable', 'database restarting');
      return queue.claim(...args);
    };
    worker({ queue: flaky })
      .register('q', () => 'ok')
      .start();
    const job = await queue.enqueue('q', null);
    await eventually(async () => (await queue.get(job.id))?.status === 'succeeded');
    expect(logger.entries.filter((e) => e.msg === 'claiming a job failed')).toHaveLength(2);
  });
});
