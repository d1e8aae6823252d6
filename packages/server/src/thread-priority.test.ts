import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { lowerThreadPriority } from './thread-priority.js';

// Field 19 of /proc/thread-self/stat is the thread's nice value (the 17th after the command).
const NICE = `Number(require('node:fs').readFileSync('/proc/thread-self/stat', 'latin1').split(') ')[1].split(' ')[16])`;
const niceOfThisThread = () =>
  Number(readFileSync('/proc/thread-self/stat', 'latin1').split(') ')[1]!.split(' ')[16]);

describe.skipIf(process.platform !== 'linux')('lowerThreadPriority', () => {
  it('lowers the calling thread alone, not the others of its process', async () => {
    // A thread started before the call, asked for its own nice value after it.
    const other = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', () => parentPort.postMessage(${NICE}));
       parentPort.postMessage('ready');`,
      { eval: true },
    );
    const replies: number[] = [];
    const next = () => new Promise<unknown>((resolve) => other.once('message', resolve));
    expect(await next()).toBe('ready');
    const before = niceOfThisThread();
    expect(lowerThreadPriority()).toBe(true);
    expect(niceOfThisThread()).toBe(Math.max(before, 10));
    other.postMessage('nice?');
    replies.push((await next()) as number);
    await other.terminate();
    expect(replies).toEqual([before]);
  });
});
