import { describe, expect, it } from 'vitest';
import { SharedRead } from './shared-read.js';

/** A value that changes as writes commit, and a read of it the test completes by hand. */
function database() {
  let value = 0;
  const pending: { resolve(v: number): void; reject(e: Error): void; at: number }[] = [];
  return {
    commit: () => {
      value += 1;
    },
    // The value is taken when the read runs, as a database snapshot is.
    read: () =>
      new Promise<number>((resolve, reject) => {
        pending.push({ resolve, reject, at: value });
      }),
    pending,
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('shared read', () => {
  it('gives the callers of one loop turn a single read, issued after all of them asked', async () => {
    const db = database();
    const shared = new SharedRead(db.read);
    const first = shared.get();
    db.commit();
    const second = shared.get();
    expect(db.pending).toHaveLength(0);
    await turn();
    expect(db.pending).toHaveLength(1);
    // The read saw the commit made between the two callers' asks.
    expect(db.pending[0]!.at).toBe(1);
    db.pending[0]!.resolve(db.pending[0]!.at);
    expect(await first).toBe(1);
    expect(await second).toBe(1);
    expect(shared.reads).toBe(1);
  });

  it('never hands a caller a read issued before it asked', async () => {
    const db = database();
    const shared = new SharedRead(db.read);
    const early = shared.get();
    await turn();
    expect(db.pending).toHaveLength(1);
    // A commit lands while that read is in flight; a caller asking now must see it.
    db.commit();
    const late = shared.get();
    db.pending[0]!.resolve(db.pending[0]!.at);
    expect(await early).toBe(0);
    await turn();
    expect(db.pending).toHaveLength(2);
    db.pending[1]!.resolve(db.pending[1]!.at);
    expect(await late).toBe(1);
    expect(shared.reads).toBe(2);
  });

  it('fails every caller of a failed read, and the next caller reads again', async () => {
    const db = database();
    const shared = new SharedRead(db.read);
    const a = shared.get();
    const b = shared.get();
    await turn();
    db.pending[0]!.reject(new Error('disk I/O error'));
    await expect(a).rejects.toThrow('disk I/O error');
    await expect(b).rejects.toThrow('disk I/O error');
    const c = shared.get();
    await turn();
    db.pending[1]!.resolve(7);
    expect(await c).toBe(7);
  });
});
