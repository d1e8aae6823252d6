import { afterEach, expect, it } from 'vitest';
import type { JobQueue } from './job-queue.js';
import {
  eventually,
  expectCode,
  type JobQueueSuite,
  LEASE,
  silentLogger,
} from './job-queue-suite.contract.js';
import type { ManualClock } from './manual-clock.js';
import { Worker } from './worker.js';

const MINUTE = 60_000;

/** Ticks the schedules at each given instant and returns every tick's enqueued `scheduledFor`. */
async function tickAt(queue: JobQueue, clock: ManualClock, instants: string[]): Promise<string[]> {
  const ticks: string[] = [];
  for (const instant of instants) {
    clock.set(new Date(instant));
    for (const job of await queue.tickSchedules()) ticks.push(job.scheduledFor!.toISOString());
  }
  return ticks;
}

/** Recurring schedules: part of the JobQueue contract. */
export function describeJobSchedules(s: JobQueueSuite): void {
  const workers: Worker[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop({ timeoutMs: 100 })));
  });

  it('creates, replaces, lists and removes schedules', async () => {
    const { queue, clock } = s;
    const made = await queue.schedule('nightly-drift', {
      cron: '0 2 * * *',
      timeZone: 'Europe/Berlin',
      queue: 'monitoring.drift',
      payload: { monitor: 'm1' },
    });
    // 2030-01-01T00:00Z is 01:00 in Berlin (CET, UTC+1): the next 02:00 there is 01:00Z.
    expect(made).toMatchObject({
      name: 'nightly-drift',
      cron: '0 2 * * *',
      timeZone: 'Europe/Berlin',
      queue: 'monitoring.drift',
      payload: { monitor: 'm1' },
      maxAttempts: 5,
      nextRunAt: new Date('2030-01-01T01:00:00Z'),
      lastRunAt: null,
    });
    const hourly = await queue.schedule('hourly', { cron: '0 * * * *', queue: 'q', maxAttempts: 2 });
    expect(hourly).toMatchObject({
      timeZone: 'UTC',
      payload: null,
      nextRunAt: new Date('2030-01-01T01:00:00Z'),
    });

    clock.advance(10 * MINUTE);
    // Declared again unchanged (as at every start), it keeps its pending tick.
    const same = await queue.schedule('hourly', { cron: '0 * * * *', queue: 'q', payload: { v: 2 } });
    expect(same).toMatchObject({ nextRunAt: hourly.nextRunAt, payload: { v: 2 }, maxAttempts: 5 });
    expect(same.createdAt).toEqual(hourly.createdAt);
    // New timing starts from now.
    const changed = await queue.schedule('hourly', { cron: '*/15 * * * *', queue: 'q' });
    expect(changed.nextRunAt).toEqual(new Date('2030-01-01T00:15:00Z'));

    expect((await queue.listSchedules()).map((x) => x.name)).toEqual(['hourly', 'nightly-drift']);
    expect(await queue.unschedule('hourly')).toBe(true);
    expect(await queue.unschedule('hourly')).toBe(false);
    expect((await queue.listSchedules()).map((x) => x.name)).toEqual(['nightly-drift']);
  });

  it('rejects bad schedules clearly', async () => {
    const { queue } = s;
    const bad = await expectCode(queue.schedule('x', { cron: '61 * * * *', queue: 'q' }), 'invalid_argument');
    expect(bad.message).toMatch(/invalid cron expression "61 \* \* \* \*"/);
    await expectCode(queue.schedule('x', { cron: 'every day', queue: 'q' }), 'invalid_argument');
    await expectCode(queue.schedule('x', { cron: '', queue: 'q' }), 'invalid_argument');
    const zone = await expectCode(
      queue.schedule('x', { cron: '0 2 * * *', timeZone: 'Mars/Olympus', queue: 'q' }),
      'invalid_argument',
    );
    expect(zone.message).toMatch(/unknown time zone "Mars\/Olympus"/);
    await expectCode(queue.schedule('', { cron: '* * * * *', queue: 'q' }), 'invalid_argument');
    await expectCode(queue.schedule('x', { cron: '* * * * *', queue: '' }), 'invalid_argument');
    await expectCode(
      queue.schedule('x', { cron: '* * * * *', queue: 'q', maxAttempts: 0 }),
      'invalid_argument',
    );
    await expectCode(queue.schedule('x', { cron: '* * * * *', queue: 'q', payload: 1n }), 'invalid_argument');
    expect(await queue.listSchedules()).toEqual([]);
  });

  it('enqueues one job when a tick is due, and none before', async () => {
    const { queue, clock } = s;
    await queue.schedule('report', {
      cron: '*/5 * * * *',
      queue: 'reports',
      payload: { kind: 'daily' },
      maxAttempts: 2,
    });
    clock.advance(5 * MINUTE - 1);
    expect(await queue.tickSchedules()).toEqual([]);
    clock.advance(1);
    const [job, ...rest] = await queue.tickSchedules();
    expect(rest).toEqual([]);
    expect(job).toMatchObject({
      queue: 'reports',
      payload: { kind: 'daily' },
      status: 'queued',
      maxAttempts: 2,
      runAt: clock.now(),
      scheduleName: 'report',
      scheduledFor: new Date('2030-01-01T00:05:00Z'),
    });
    expect(await queue.tickSchedules()).toEqual([]);
    expect((await queue.claim(['reports'], 'w', LEASE))?.id).toBe(job!.id);
    const [schedule] = await queue.listSchedules();
    expect(schedule).toMatchObject({
      lastRunAt: new Date('2030-01-01T00:05:00Z'),
      nextRunAt: new Date('2030-01-01T00:10:00Z'),
    });
  });

  it('enqueues one catch-up job for ticks missed while nothing ticked', async () => {
    const { queue, clock } = s;
    await queue.schedule('sync', { cron: '* * * * *', queue: 'sync' });
    // Down for three hours: 180 ticks missed.
    clock.advance(3 * 60 * MINUTE + 30_000);
    const caughtUp = await queue.tickSchedules();
    expect(caughtUp).toHaveLength(1);
    expect(caughtUp[0]!.scheduledFor).toEqual(new Date('2030-01-01T00:01:00Z'));
    expect((await queue.listSchedules())[0]!.nextRunAt).toEqual(new Date('2030-01-01T03:01:00Z'));
    expect(await queue.tickSchedules()).toEqual([]);
    clock.advance(30_000);
    expect(await queue.tickSchedules()).toHaveLength(1);
    expect(await queue.list({ queue: 'sync' })).toHaveLength(2);
  });

  it('enqueues exactly one job per tick when two queue instances tick at once', async () => {
    const { queue, clock, harness } = s;
    const other = await harness.another();
    await queue.schedule('every-minute', { cron: '* * * * *', queue: 'tick' });
    await other.schedule('every-two', { cron: '*/2 * * * *', queue: 'tick' });
    const ticks = 30;
    for (let i = 0; i < ticks; i++) {
      clock.advance(MINUTE);
      const enqueued = (
        await Promise.all([
          queue.tickSchedules(),
          other.tickSchedules(),
          queue.tickSchedules(),
          other.tickSchedules(),
        ])
      ).flat();
      expect(enqueued).toHaveLength(i % 2 === 1 ? 2 : 1);
    }
    const jobs = await queue.list({ queue: 'tick', limit: 500 });
    expect(jobs).toHaveLength(ticks + ticks / 2);
    const keys = jobs.map((j) => `${j.scheduleName}@${j.scheduledFor!.toISOString()}`);
    expect(new Set(keys).size).toBe(jobs.length);
  });

  it('follows daylight-saving changes of the time zone', async () => {
    const { queue, clock } = s;
    clock.set(new Date('2026-03-27T12:00:00Z'));
    await queue.schedule('berlin-2am', { cron: '0 2 * * *', timeZone: 'Europe/Berlin', queue: 'q' });
    // Spring forward on 29 March: 02:00 does not exist and the job runs at 03:00 CEST (01:00Z),
    // then at 02:00 CEST (00:00Z).
    const spring = await tickAt(queue, clock, [
      '2026-03-28T01:00:00Z',
      '2026-03-29T00:59:59Z',
      '2026-03-29T01:00:00Z',
      '2026-03-30T00:00:00Z',
    ]);
    expect(spring).toEqual([
      '2026-03-28T01:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ]);

    await queue.unschedule('berlin-2am');
    clock.set(new Date('2026-10-23T12:00:00Z'));
    await queue.schedule('berlin-2am', { cron: '0 2 * * *', timeZone: 'Europe/Berlin', queue: 'q' });
    // Fall back on 25 October: 02:00 happens twice (00:00Z in CEST, 01:00Z in CET) and the job
    // runs once, at the first; then at 02:00 CET (01:00Z).
    const autumn = await tickAt(queue, clock, [
      '2026-10-24T00:00:00Z',
      '2026-10-25T00:00:00Z',
      '2026-10-25T01:00:00Z',
      '2026-10-26T00:59:59Z',
      '2026-10-26T01:00:00Z',
    ]);
    expect(autumn).toEqual([
      '2026-10-24T00:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-26T01:00:00.000Z',
    ]);
  });

  it('is ticked by the worker on its poll', async () => {
    const { queue, clock } = s;
    const ran: unknown[] = [];
    const worker = new Worker({ queue, logger: silentLogger, clock, pollIntervalMs: 2 }).register(
      'cleanup',
      (job) => {
        ran.push(job.payload);
        return 'done';
      },
    );
    workers.push(worker);
    await queue.schedule('cleanup', { cron: '*/10 * * * *', queue: 'cleanup', payload: { older: '7d' } });
    worker.start();
    clock.advance(10 * MINUTE);
    const [job] = await eventually(async () => {
      const done = await queue.list({ queue: 'cleanup', status: 'succeeded' });
      return done.length > 0 && done;
    }, 'the scheduled job');
    expect(job).toMatchObject({ scheduleName: 'cleanup', scheduledFor: new Date('2030-01-01T00:10:00Z') });
    expect(ran).toEqual([{ older: '7d' }]);
  });
}
