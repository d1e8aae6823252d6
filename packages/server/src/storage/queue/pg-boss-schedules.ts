import type { Clock } from '../../core/clock.js';
import { PlumbError } from '../../core/errors.js';
import type { Db, Executor } from '../database.js';
import { checkCron, nextCronTick } from './cron-schedule.js';
import type { Job, Schedule, ScheduleSpec } from './job-queue.js';
import { checkMaxAttempts, checkName, DEFAULT_MAX_ATTEMPTS, toJson } from './job-rows.js';
import { type JobData, type SqlRunner, sqlRunner } from './pg-boss-rows.js';

type Send = (
  queue: string,
  data: JobData,
  options: { runAt: number; maxAttempts: number; dedupeKey: null },
  executor: Executor,
) => Promise<Job>;

// Bounds one tick's work; schedules left over are still due at the next poll.
const MAX_TICKS_PER_CALL = 100;

/**
 * Recurring schedules beside pg-boss's tables. pg-boss's own cron cannot keep the contract (its
 * schedule is named after its queue, fires at minute resolution from a timer and drops missed
 * ticks without a catch-up), so schedules live in `<schema>.plumb_schedule` and any process may
 * tick them: each due tick moves the schedule's next tick forward by compare-and-set and sends
 * its job in the same transaction. Of several processes ticking at once the row lock lets one
 * win; one that crashes before committing leaves the tick to the next caller.
 */
export class PgBossSchedules {
  private readonly sql: SqlRunner;

  constructor(
    private readonly db: Db,
    private readonly schema: string,
    private readonly clock: Clock,
    private readonly send: Send,
  ) {
    this.sql = sqlRunner(db.kysely);
  }

  static createTable(schema: string): string {
    return `CREATE TABLE IF NOT EXISTS ${schema}.plumb_schedule (
      name text PRIMARY KEY,
      cron text NOT NULL,
      time_zone text NOT NULL,
      queue text NOT NULL,
      payload jsonb,
      max_attempts integer NOT NULL,
      next_run_at bigint NOT NULL,
      last_run_at bigint,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL
    )`;
  }

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
    const payload = toJson(spec.payload ?? null, 'payload');
    const { rows } = await this.sql.executeSql(
      `INSERT INTO ${this.schema}.plumb_schedule AS s
         (name, cron, time_zone, queue, payload, max_attempts, next_run_at, last_run_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, NULL, $8, $8)
       ON CONFLICT (name) DO UPDATE SET
         cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone, queue = EXCLUDED.queue,
         payload = EXCLUDED.payload, max_attempts = EXCLUDED.max_attempts,
         -- The same timing keeps its pending tick; new timing starts from now.
         next_run_at = CASE WHEN s.cron = EXCLUDED.cron AND s.time_zone = EXCLUDED.time_zone
           THEN s.next_run_at ELSE EXCLUDED.next_run_at END,
         updated_at = EXCLUDED.updated_at
       RETURNING *`,
      [name, spec.cron, timeZone, spec.queue, payload, maxAttempts, next, now.getTime()],
    );
    return toSchedule(rows[0]!);
  }

  async unschedule(name: string): Promise<boolean> {
    const { rows } = await this.sql.executeSql(
      `DELETE FROM ${this.schema}.plumb_schedule WHERE name = $1 RETURNING name`,
      [name],
    );
    return rows.length > 0;
  }

  async list(): Promise<Schedule[]> {
    const { rows } = await this.sql.executeSql(`SELECT * FROM ${this.schema}.plumb_schedule ORDER BY name`);
    return rows.map(toSchedule);
  }

  async tick(now: Date = this.clock.now()): Promise<Job[]> {
    const at = now.getTime();
    if (!Number.isFinite(at)) throw new PlumbError('invalid_argument', 'now must be a valid date');
    const { rows: due } = await this.sql.executeSql(
      `SELECT * FROM ${this.schema}.plumb_schedule WHERE next_run_at <= $1
       ORDER BY next_run_at LIMIT ${MAX_TICKS_PER_CALL}`,
      [at],
    );
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

  private async tickOne(schedule: Record<string, unknown>, at: number): Promise<Job | null> {
    const name = String(schedule.name);
    const tick = Number(schedule.next_run_at);
    // From now, not from the tick: ticks missed while nothing ticked collapse into this one job.
    const next = nextCronTick(String(schedule.cron), String(schedule.time_zone), new Date(at)).getTime();
    return this.db.kysely.transaction().execute(async (trx) => {
      const { rows } = await sqlRunner(trx).executeSql(
        `UPDATE ${this.schema}.plumb_schedule SET next_run_at = $3, last_run_at = $2, updated_at = $4
         WHERE name = $1 AND next_run_at = $2 RETURNING queue, payload, max_attempts`,
        [name, tick, next, at],
      );
      const won = rows[0];
      if (!won) return null;
      return this.send(
        String(won.queue),
        { payload: won.payload ?? null, enqueuedAt: at, scheduleName: name, scheduledFor: tick },
        { runAt: at, maxAttempts: Number(won.max_attempts), dedupeKey: null },
        trx,
      );
    });
  }
}

function toSchedule(row: Record<string, unknown>): Schedule {
  return {
    name: String(row.name),
    cron: String(row.cron),
    timeZone: String(row.time_zone),
    queue: String(row.queue),
    payload: row.payload ?? null,
    maxAttempts: Number(row.max_attempts),
    nextRunAt: new Date(Number(row.next_run_at)),
    lastRunAt: row.last_run_at === null ? null : new Date(Number(row.last_run_at)),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}
