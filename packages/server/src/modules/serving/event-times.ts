import { MAX_PREDICT_TIME_SKEW_MS } from '@plumb/sdk';
import type { PermissionTable } from '../../core/auth/permissions.js';
import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';

/** The permission of the events ingest route: a caller who holds it could post the same events. */
const WRITE_EVENTS = 'events:write';

/**
 * The event times a predict request gives (`time`: one for every row, or one per row), checked:
 * the caller's role must hold `events:write`, and no time may be more than the allowed skew
 * ahead of the server's clock. The times in the past are the point (replays, backfills), so
 * they are not bounded.
 */
export class EventTimes {
  constructor(private readonly deps: { permissions: PermissionTable; clock: Clock }) {}

  check(ctx: RequestContext, time: string | string[] | undefined, rows: number): string[] | undefined {
    if (time === undefined) return undefined;
    const { role } = ctx.principal;
    if (!this.deps.permissions.allows(role, WRITE_EVENTS)) {
      throw new PlumbError(
        'permission_denied',
        `a prediction logged at a given time needs ${WRITE_EVENTS}, which the ${role} role has not; send the request without "time"`,
        { details: { permission: WRITE_EVENTS, role } },
      );
    }
    const times = Array.isArray(time) ? time : Array.from({ length: rows }, () => time);
    const latest = this.deps.clock.now().getTime() + MAX_PREDICT_TIME_SKEW_MS;
    const ahead = times.findIndex((t) => Date.parse(t) > latest);
    if (ahead !== -1) {
      throw new PlumbError(
        'invalid_argument',
        `time ${times[ahead]} is in the future: at most ${MAX_PREDICT_TIME_SKEW_MS / 60_000} minutes ahead of the server's clock`,
        { details: { field: Array.isArray(time) ? `time[${ahead}]` : 'time' } },
      );
    }
    // The log stores UTC; an offset given by the caller is folded in here.
    return times.map((t) => new Date(Date.parse(t)).toISOString());
  }
}
