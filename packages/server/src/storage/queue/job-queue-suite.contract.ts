import { expect } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import type { Executor } from '../database.js';
import type { JobQueue } from './job-queue.js';
import type { ManualClock } from './manual-clock.js';
import type { WorkerLogger } from './worker.js';

/** One backend's queue under test, on fresh storage. */
export interface JobQueueHarness {
  /** Reads its time from the clock given to the factory. */
  queue: JobQueue;
  /** Another queue over the same storage, as a second process would open it, on the same clock. */
  another(): Promise<JobQueue>;
  /** Runs `work` in a transaction of the storage, whose executor `enqueue` can join. */
  transaction<T>(work: (executor: Executor) => Promise<T>): Promise<T>;
  dispose(): Promise<void>;
}

export type JobQueueFactory = (clock: ManualClock) => Promise<JobQueueHarness>;

/** What every part of the suite shares; valid inside tests only. */
export interface JobQueueSuite {
  readonly queue: JobQueue;
  readonly clock: ManualClock;
  readonly harness: JobQueueHarness;
}

export const LEASE = 30_000;

export async function expectCode(promise: Promise<unknown>, code: string): Promise<PlumbError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlumbError);
  expect((error as PlumbError).code).toBe(code);
  return error as PlumbError;
}

export const silentLogger: WorkerLogger = { info() {}, warn() {}, error() {} };

/**
 * Polls `check` until it returns a truthy value. Waits on outcomes, never on time: the limit
 * only turns a hang into a readable failure.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  what = 'the condition',
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
