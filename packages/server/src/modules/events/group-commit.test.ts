import { describe, expect, it } from 'vitest';
import { GroupCommitWriter } from './group-commit.js';

/** A batch write the test completes by hand, so it sees what callers know before the commit. */
function controlledWrites() {
  const batches: { items: number[]; commit(): void; fail(error: Error): void }[] = [];
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push({ items, commit: resolve, fail: reject });
    });
  return { batches, write };
}

const settled = async <T>(p: Promise<T>) => {
  let state = 'pending';
  p.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  // Let queued reactions run.
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return state;
};

const until = async (check: () => boolean) => {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(check()).toBe(true);
};

describe('group commit writer', () => {
  it('with no gathering delay, writes on the next turn of the event loop what arrived in this one', async () => {
    const { batches, write } = controlledWrites();
    const writer = new GroupCommitWriter<number>(write, { maxBatch: 100, maxDelayMs: 0 });
    const callers = [writer.write([1]), writer.write([2]), writer.write([3])];
    expect(batches).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(batches.map((b) => b.items)).toEqual([[1, 2, 3]]);
    // Callers arriving while that batch commits form the next one, written as soon as it is done.
    const later = writer.write([4]);
    batches[0]!.commit();
    await Promise.all(callers);
    await until(() => batches.length === 2);
    expect(batches[1]!.items).toEqual([4]);
    batches[1]!.commit();
    await later;
    await writer.close();
  });

  it("settles a caller's promise only after the batch holding its items committed", async () => {
    const { batches, write } = controlledWrites();
    const writer = new GroupCommitWriter<number>(write, { maxBatch: 100, maxDelayMs: 1 });
    const a = writer.write([1]);
    await until(() => batches.length === 1);
    expect(await settled(a)).toBe('pending');
    batches[0]!.commit();
    expect(await settled(a)).toBe('resolved');
  });

  it('gathers concurrent callers into one batch and the callers that came during a flush into the next', async () => {
    const { batches, write } = controlledWrites();
    const writer = new GroupCommitWriter<number>(write, { maxBatch: 100, maxDelayMs: 1 });
    const first = Array.from({ length: 10 }, (_, i) => writer.write([i]));
    await until(() => batches.length === 1);
    expect(batches[0]!.items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const second = Array.from({ length: 30 }, (_, i) => writer.write([100 + i]));
    // One batch in flight at a time: the second group waits for the first commit.
    expect(batches.length).toBe(1);
    batches[0]!.commit();
    await Promise.all(first);
    await until(() => batches.length === 2);
    expect(batches[1]!.items).toHaveLength(30);
    expect(await settled(Promise.all(second))).toBe('pending');
    batches[1]!.commit();
    await Promise.all(second);
  });

  it('flushes at maxBatch without waiting and never splits one caller across transactions', async () => {
    const { batches, write } = controlledWrites();
    // A delay far longer than the test: only a full batch can start a write.
    const writer = new GroupCommitWriter<number>(write, { maxBatch: 4, maxDelayMs: 60_000 });
    const calls = [writer.write([1, 2]), writer.write([3, 4]), writer.write([5, 6, 7, 8, 9, 10])];
    await until(() => batches.length === 1);
    expect(batches[0]!.items).toEqual([1, 2, 3, 4]);
    batches[0]!.commit();
    // The next caller alone is larger than a batch: it goes whole.
    await until(() => batches.length === 2);
    expect(batches[1]!.items).toEqual([5, 6, 7, 8, 9, 10]);
    batches[1]!.commit();
    await Promise.all(calls);
  });

  it('fails only the caller whose items fail: a failed group is written again caller by caller', async () => {
    const written: number[][] = [];
    const writer = new GroupCommitWriter<number>(
      async (items) => {
        if (items.includes(13)) throw new Error('item 13 is refused');
        written.push(items);
      },
      { maxBatch: 100, maxDelayMs: 1 },
    );
    const [a, b, c] = [writer.write([1]), writer.write([13]), writer.write([2, 3])];
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toThrow('item 13 is refused');
    await expect(c).resolves.toBeUndefined();
    expect(written).toEqual([[1], [2, 3]]);
  });

  it('close commits what waits, then refuses new writes', async () => {
    const written: number[] = [];
    const writer = new GroupCommitWriter<number>(
      async (items) => {
        written.push(...items);
      },
      { maxBatch: 100, maxDelayMs: 60_000 },
    );
    const pending = writer.write([7, 8]);
    await writer.close();
    await pending;
    expect(written).toEqual([7, 8]);
    await expect(writer.write([9])).rejects.toThrow('closed');
  });
});

describe('group commit writer, caller by caller', () => {
  it('writes a caller that arrives right after the previous caller was answered', async () => {
    const written: number[] = [];
    const writer = new GroupCommitWriter<number>(
      async (items) => {
        if (items.includes(13)) throw new Error('refused');
        written.push(...items);
      },
      { maxBatch: 100, maxDelayMs: 1 },
    );
    await writer.write([1]);
    await expect(writer.write([13])).rejects.toThrow('refused');
    await writer.write([2]);
    await writer.write([3]);
    expect(written).toEqual([1, 2, 3]);
  });
});
