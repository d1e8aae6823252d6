import { CronExpressionParser } from 'cron-parser';
import { PlumbError } from '../../core/errors.js';

/**
 * The first tick of `cron`, read in `timeZone`, strictly after `after`. Across daylight-saving
 * changes a local time that does not exist (02:30 on the spring-forward night in Berlin) fires
 * shifted by the gap (03:30 summer time), so a daily job still runs that day; a local time that
 * occurs twice fires once, at its first occurrence.
 */
export function nextCronTick(cron: string, timeZone: string, after: Date): Date {
  checkTimeZone(timeZone);
  let next: Date;
  try {
    next = CronExpressionParser.parse(cron, { tz: timeZone, currentDate: after }).next().toDate();
  } catch (e) {
    throw new PlumbError(
      'invalid_argument',
      `invalid cron expression ${JSON.stringify(cron)}: ${e instanceof Error ? e.message : String(e)}`,
      { details: { cron }, cause: e },
    );
  }
  return next;
}

/** Rejects anything but an IANA time zone name the runtime knows. */
export function checkTimeZone(timeZone: string): void {
  let valid = typeof timeZone === 'string' && timeZone.length > 0 && timeZone.length <= 100;
  if (valid) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    throw new PlumbError('invalid_argument', `unknown time zone ${JSON.stringify(timeZone)}`, {
      details: { timeZone },
    });
  }
}

/** Validates a cron expression and time zone, returning the first tick after `after`. */
export function checkCron(cron: string, timeZone: string, after: Date): Date {
  if (typeof cron !== 'string' || cron.trim().length === 0 || cron.length > 200) {
    throw new PlumbError('invalid_argument', 'cron must be a non-empty expression of at most 200 characters');
  }
  return nextCronTick(cron, timeZone, after);
}
