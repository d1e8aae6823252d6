/**
 * A bounded queue of work done off the request path: `offer` never waits, and drops (counted
 * by the caller) when `capacity` jobs are already waiting. At most `concurrency` run at once.
 */
export class ShadowQueue<J> {
  private readonly waiting: J[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: {
      capacity: number;
      concurrency: number;
      run(job: J): Promise<void>;
      /** Called whenever the queue runs dry, e.g. to flush what the jobs accumulated. */
      onIdle?(): Promise<void>;
      onError?(error: unknown): void;
    },
  ) {}

  /** False when the queue is full and the job was dropped. */
  offer(job: J): boolean {
    if (this.waiting.length >= this.options.capacity) return false;
    this.waiting.push(job);
    // Started on a later turn of the event loop, so the response goes out first.
    setImmediate(() => this.pump());
    return true;
  }

  get pending(): number {
    return this.waiting.length + this.running;
  }

  /** Resolves once nothing waits or runs and the idle hook has finished. */
  idle(): Promise<void> {
    if (this.pending === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private flushing = false;

  private pump(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running += 1;
      this.options
        .run(job)
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.running -= 1;
          if (this.pending === 0) void this.settle();
          else this.pump();
        });
    }
  }

  private async settle(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      await this.options.onIdle?.();
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.flushing = false;
    }
    if (this.pending > 0) return this.pump();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
