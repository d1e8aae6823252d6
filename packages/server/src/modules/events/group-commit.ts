export interface GroupCommitOptions {
  /** A batch is flushed as soon as this many items wait. */
  maxBatch: number;
  /**
   * Otherwise the first waiting item waits at most this long for company; 0 writes on the next
   * turn of the event loop, gathering the callers of this one.
   */
  maxDelayMs: number;
}

interface Pending<T> {
  items: T[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items from many concurrent callers are written together, one transaction per
 * batch, and each caller's promise settles only once the batch holding its items has committed
 * (or failed). One batch is in flight at a time; callers arriving meanwhile form the next one,
 * which is written as soon as the current one is done, so under load batches grow by themselves
 * and an idle writer adds at most `maxDelayMs` to a lone caller.
 *
 * A caller's items are never split across transactions: a request is all or nothing. A failed
 * batch of several callers is written again one caller at a time, so one caller's bad item
 * (say, a duplicate id) fails that caller alone.
 */
export class GroupCommitWriter<T> {
  private queue: Pending<T>[] = [];
  private queuedItems = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly writeBatch: (items: T[]) => Promise<void>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Resolves once every item is committed; rejects with the write's error otherwise. */
  write(items: T[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the event writer is closed'));
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queuedItems += items.length;
      if (this.flushing) return;
      if (this.queuedItems >= this.options.maxBatch) this.startFlush();
      else if (this.options.maxDelayMs <= 0) this.immediate ??= setImmediate(() => this.startFlush());
      else this.timer ??= setTimeout(() => this.startFlush(), this.options.maxDelayMs);
    });
  }

  /** Writes what is waiting and refuses further writes. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.queue.length > 0) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
  }

  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    try {
      // Callers that arrived during a flush have waited a whole flush already: go on at once.
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        await this.commit(batch);
      }
    } finally {
      // In the same synchronous step as the last look at the queue: a caller arriving after it
      // sees no flush in progress and schedules one.
      this.flushing = undefined;
    }
  }

  private takeBatch(): Pending<T>[] {
    const batch: Pending<T>[] = [];
    let count = 0;
    while (
      this.queue.length > 0 &&
      (batch.length === 0 || count + this.queue[0]!.items.length <= this.options.maxBatch)
    ) {
      const next = this.queue.shift()!;
      batch.push(next);
      count += next.items.length;
    }
    this.queuedItems -= count;
    return batch;
  }

  private async commit(batch: Pending<T>[]): Promise<void> {
    try {
      await this.writeBatch(batch.length === 1 ? batch[0]!.items : batch.flatMap((p) => p.items));
      for (const p of batch) p.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const p of batch) await this.commit([p]);
    }
  }
}
