import { type Selectable, sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../database.js';
import { checkCron, nextCronTick } from './cron-schedule.js';
import type { Job, Schedule, ScheduleSpec } from './job-queue.js';
import { checkMaxAttempts, checkName, DEFAULT_MAX_ATTEMPTS, type JobRow, toJob, toJson } from './job-rows.js';
import type { JobSchedulesTable } from './jobs.tables.js';

type ScheduleRow = Selectable<JobSchedulesTable>;

// Bounds one tick's work; schedules left over are still due at the next poll.
const MAX_TICKS_PER_CALL = 100;

/**
 * Recurring schedules over the `job_schedules` table. A tick takes no lock and no transaction:
 * each due schedule's job is inserted with its schedule name and tick, which a unique index
 * admits once, then the schedule's next tick is moved forward by compare-and-set on the tick it
 * was read with. Of several processes ticking at once exactly one inserts the job, and one that
 * crashes between the two statements leaves the tick to be enqueued by the next caller.
 */
export class DbJobSchedules {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async schedule(name: string, spec: ScheduleSpec): Promise<Schedule> {
    checkName('schedule name', name);
    if (typeof spec !== 'object' || spec === null) {
      throw new PlumbError('invalid_argument', 'a schedule needs a spec with cron and queue');
    }
    checkName('queue', spec.queue);
    const timeZone = spec.timeZone ?? 'UTC';
    const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    checkMaxAttempts(maxAttempts);
    const now = this.clock.now();
    const next = checkCron(spec.cron, timeZone, now).getTime();
    const row: ScheduleRow = {
      name,
      cron: spec.cron,
      time_zone: timeZone,
      queue: spec.queue,
      payload: toJson(spec.payload ?? null, 'payload'),
      max_attempts: maxAttempts,
      next_run_at: next,
      last_run_at: null,
      created_at: now.getTime(),
      updated_at: now.getTime(),
    };
    const saved = await this.db.kysely
      .insertInto('job_schedules')
      .values(row)
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          cron: row.cron,
          time_zone: row.time_zone,
          queue: row.queue,
          payload: row.payload,
          max_attempts: row.max_attempts,
          // The same timing keeps its pending tick (and any ticks missed while down); new
          // timing starts from now.
          next_run_at: sql<number>`case when job_schedules.cron = ${row.cron} and job_schedules.time_zone = ${row.time_zone} then job_schedules.next_run_at else cast(${next} as bigint) end`,
          updated_at: row.updated_at,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSchedule(saved);
  }

  async unschedule(name: string): Promise<boolean> {
    const result = await this.db.kysely
      .deleteFrom('job_schedules')
      .where('name', '=', name)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(): Promise<Schedule[]> {
    const rows = await this.db.kysely.selectFrom('job_schedules').selectAll().orderBy('name').execute();
    return rows.map(toSchedule);
  }

  async tick(now: Date = this.clock.now()): Promise<Job[]> {
    const at = now.getTime();
    if (!Number.isFinite(at)) throw new PlumbError('invalid_argument', 'now must be a valid date');
    const due = await this.db.kysely
      .selectFrom('job_schedules')
      .selectAll()
      .where('next_run_at', '<=', at)
      .orderBy('next_run_at')
      .limit(MAX_TICKS_PER_CALL)
      .execute();
    const enqueued: Job[] = [];
    let firstError: unknown;
    for (const schedule of due) {
      try {
        const job = await this.tickOne(schedule, at);
        if (job) enqueued.push(job);
      } catch (e) {
        // One broken schedule must not hold up the others.
        firstError ??= e;
      }
    }
    if (firstError !== undefined) throw firstError;
    return enqueued;
  }

  private async tickOne(schedule: ScheduleRow, at: number): Promise<Job | null> {
    const tick = schedule.next_run_at;
    // From now, not from the tick: ticks missed while nothing ticked collapse into this one job.
    const next = nextCronTick(schedule.cron, schedule.time_zone, new Date(at)).getTime();
    const row: JobRow = {
      id: newId('job'),
      queue: schedule.queue,
      payload: schedule.payload,
      status: 'queued',
      attempts: 0,
      max_attempts: schedule.max_attempts,
      run_at: at,
      lease_until: null,
      worker_id: null,
      last_error: null,
      result: null,
      progress: null,
      dedupe_key: null,
      schedule_name: schedule.name,
      scheduled_for: tick,
      created_at: at,
      updated_at: at,
    };
    const inserted = await this.db.kysely
      .insertInto('jobs')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    await this.db.kysely
      .updateTable('job_schedules')
      .set({ next_run_at: next, last_run_at: tick, updated_at: at })
      .where('name', '=', schedule.name)
      .where('next_run_at', '=', tick)
      .execute();
    return inserted ? toJob(inserted) : null;
  }
}

function toSchedule(row: ScheduleRow): Schedule {
  return {
    name: row.name,
    cron: row.cron,
    timeZone: row.time_zone,
    queue: row.queue,
    payload: JSON.parse(row.payload),
    maxAttempts: row.max_attempts,
    nextRunAt: new Date(row.next_run_at),
    lastRunAt: row.last_run_at === null ? null : new Date(row.last_run_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
