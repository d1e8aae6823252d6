import { describe, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import { checkCron, nextCronTick } from './cron-schedule.js';

/** The next `count` ticks after `from`, as ISO strings. */
function ticks(cron: string, timeZone: string, from: string, count: number): string[] {
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < count; i++) {
    at = nextCronTick(cron, timeZone, at);
    out.push(at.toISOString());
  }
  return out;
}

describe('nextCronTick', () => {
  it('reads the expression in the time zone and returns the next instant strictly after', () => {
    expect(ticks('0 9 * * 1-5', 'America/New_York', '2026-01-02T14:00:00Z', 2)).toEqual([
      '2026-01-05T14:00:00.000Z',
      '2026-01-06T14:00:00.000Z',
    ]);
    expect(nextCronTick('*/15 * * * *', 'UTC', new Date('2026-01-01T00:15:00Z'))).toEqual(
      new Date('2026-01-01T00:30:00Z'),
    );
    expect(ticks('*/30 * * * * *', 'UTC', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-01T00:00:30.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
  });

  it('shifts a local time that the spring-forward gap skips, and fires a repeated one once', () => {
    // Berlin, 29 March 2026: 02:00 CET jumps to 03:00 CEST.
    expect(ticks('30 2 * * *', 'Europe/Berlin', '2026-03-28T00:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    // Berlin, 25 October 2026: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice.
    expect(ticks('30 2 * * *', 'Europe/Berlin', '2026-10-24T00:00:00Z', 3)).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
    // An hourly job runs in both 02:30s of that night.
    expect(ticks('30 * * * *', 'Europe/Berlin', '2026-10-24T23:00:00Z', 4)).toEqual([
      '2026-10-24T23:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T02:30:00.000Z',
    ]);
  });

  it('rejects expressions that never fire or do not parse, and unknown time zones', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    for (const cron of ['0 0 30 2 *', '61 * * * *', 'daily', '', ' ']) {
      expect(() => checkCron(cron, 'UTC', at)).toThrow(PlumbError);
    }
    expect(() => checkCron('* * * * *', 'Europe/Atlantis', at)).toThrow(
      /unknown time zone "Europe\/Atlantis"/,
    );
    expect(() => checkCron('* * * * *', '', at)).toThrow(/unknown time zone/);
  });
});
