import type { Clock } from '../../core/clock.js';

/** A clock that moves only when told to: tests order leases, backoffs and ticks with it. */
export class ManualClock implements Clock {
  private ms: number;

  constructor(start: Date | number = Date.UTC(2030, 0, 1)) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  set(instant: Date): void {
    this.ms = instant.getTime();
  }
}
