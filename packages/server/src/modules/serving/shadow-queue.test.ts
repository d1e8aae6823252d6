import { describe, expect, it } from 'vitest';
import { ShadowQueue } from './shadow-queue.js';

describe('the shadow queue', () => {
  it('never waits: when full it refuses the copy, and runs the rest once they can', async () => {
    const releases: (() => void)[] = [];
    const ran: number[] = [];
    let idles = 0;
    const queue = new ShadowQueue<number>({
      capacity: 2,
      concurrency: 1,
      run: (job) =>
        new Promise<void>((resolve) => {
          ran.push(job);
          releases.push(resolve);
        }),
      onIdle: async () => {
        idles += 1;
      },
    });
    expect(queue.offer(1)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    // Job 1 runs and holds; two more wait; the fourth finds the queue full.
    expect(queue.offer(2)).toBe(true);
    expect(queue.offer(3)).toBe(true);
    expect(queue.offer(4)).toBe(false);
    expect(ran).toEqual([1]);
    const idle = queue.idle();
    while (ran.length < 3 || releases.length > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await idle;
    expect(ran).toEqual([1, 2, 3]);
    expect(idles).toBe(1);
  });
});
