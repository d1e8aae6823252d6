import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Clock, systemClock } from '../../core/clock.js';
import { PlumbError } from '../../core/errors.js';
import type { Job, JobQueue } from './job-queue.js';

/** The subset of pino the worker uses. */
export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface JobContext {
  /**
   * Aborted when the worker stops past its timeout, the job's lease is lost or the job is
   * cancelled (noticed at the next heartbeat).
   */
  signal: AbortSignal;
  /** Renews the lease now (heartbeats are also automatic); false once the job is lost. */
  heartbeat(): Promise<boolean>;
  /** Records progress (JSON); it is written with the next heartbeat. */
  progress(value: unknown): void;
}

/** Returns the job's JSON result; throwing fails the attempt, which is retried until the last. */
export type JobHandler<P = unknown, R = unknown> = (job: Job<P>, context: JobContext) => Promise<R> | R;

export interface WorkerOptions {
  queue: JobQueue;
  logger: WorkerLogger;
  /** Names this worker in jobs and logs; default host:pid:random. */
  id?: string;
  /** Jobs run at once. Default 1. */
  concurrency?: number;
  /** How long a claimed job stays this worker's without a heartbeat. Default 60 s. */
  leaseMs?: number;
  /** Default a third of the lease, so two heartbeats can fail before the lease runs out. */
  heartbeatIntervalMs?: number;
  /** Wait between claims when no job is due. Default 500 ms. */
  pollIntervalMs?: number;
  /** How long `stop` waits for running jobs before aborting them. Default 30 s. */
  stopTimeoutMs?: number;
  /**
   * Time for leases (how long since the last renewal) and for schedule ticks; tests pass one
   * they move by hand. Timers still run on the real clock. Default the system clock for leases,
   * and the queue's own clock for ticks.
   */
  clock?: Clock;
}

const MAX_ERROR_BACKOFF_MS = 30_000;

interface Running {
  job: Job;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs jobs from a JobQueue in this process: claims while it has free slots, renews leases while
 * handlers run, and records each outcome. Delivery is at least once, so handlers must be
 * idempotent; the signal tells a handler when to give up.
 */
export class Worker {
  readonly id: string;
  private readonly queue: JobQueue;
  private readonly logger: WorkerLogger;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly pollIntervalMs: number;
  private readonly stopTimeoutMs: number;
  private readonly clock: Clock;
  private readonly tickClock: Clock | undefined;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Map<string, Running>();
  private loop: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  /** performance.now() of the last schedule tick. */
  private lastTick = Number.NEGATIVE_INFINITY;

  constructor(options: WorkerOptions) {
    this.queue = options.queue;
    this.logger = options.logger;
    this.id = options.id ?? `${hostname().slice(0, 100)}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 1;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
    this.tickClock = options.clock;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new PlumbError('invalid_argument', 'worker concurrency must be a positive integer');
    }
    if (!(this.heartbeatIntervalMs > 0 && this.heartbeatIntervalMs < this.leaseMs)) {
      throw new PlumbError('invalid_argument', 'the heartbeat interval must be shorter than the lease');
    }
  }

  /** The queues this worker has handlers for. */
  queues(): string[] {
    return [...this.handlers.keys()];
  }

  register<P, R>(queue: string, handler: JobHandler<P, R>): this {
    if (this.handlers.has(queue)) {
      throw new PlumbError('already_exists', `a handler for queue ${queue} is already registered`);
    }
    this.handlers.set(queue, handler as JobHandler);
    return this;
  }

  /** Number of jobs running now. */
  get active(): number {
    return this.running.size;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.claimLoop();
    this.logger.info({ workerId: this.id, queues: [...this.handlers.keys()] }, 'worker started');
  }

  /**
   * Stops claiming, waits up to `timeoutMs` for running jobs, then aborts the rest through their
   * signal; their attempts are recorded as failed so they are retried.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.loop) return Promise.resolve();
    this.stopped ??= this.shutdown(options.timeoutMs ?? this.stopTimeoutMs).finally(() => {
      this.loop = undefined;
      this.stopped = undefined;
    });
    return this.stopped;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.loop;
    const inFlight = [...this.running.values()];
    if (inFlight.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      const settled = Promise.allSettled(inFlight.map((r) => r.done)).then(() => false);
      if (await Promise.race([settled, timedOut])) {
        const left = [...this.running.values()];
        this.logger.warn(
          { workerId: this.id, jobIds: left.map((r) => r.job.id) },
          'worker stop timed out; aborting running jobs',
        );
        const reason = new PlumbError('unavailable', 'the worker stopped before the job finished');
        for (const r of left) r.controller.abort(reason);
        await Promise.allSettled(left.map((r) => r.done));
      }
      clearTimeout(timer);
    }
    this.logger.info({ workerId: this.id }, 'worker stopped');
  }

  private async claimLoop(): Promise<void> {
    let errors = 0;
    while (!this.stopping) {
      if (this.running.size >= this.concurrency) {
        await this.sleep(undefined);
        continue;
      }
      await this.tickSchedules();
      let job: Job | null;
      try {
        job = await this.queue.claim([...this.handlers.keys()], this.id, this.leaseMs);
        errors = 0;
      } catch (error) {
        errors++;
        this.logger.error({ workerId: this.id, err: error }, 'claiming a job failed');
        await this.sleep(Math.min(this.pollIntervalMs * 2 ** errors, MAX_ERROR_BACKOFF_MS));
        continue;
      }
      if (job) this.launch(job);
      else await this.sleep(this.pollIntervalMs);
    }
  }

  /**
   * Enqueues the jobs of due schedules, once per poll interval: any worker may enqueue a tick,
   * and the queue admits each tick once however many workers tick at once. Not before every
   * claim: a busy worker would spend a query per job on it.
   */
  private async tickSchedules(): Promise<void> {
    const now = performance.now();
    if (now - this.lastTick < this.pollIntervalMs) return;
    this.lastTick = now;
    try {
      const jobs = await this.queue.tickSchedules(this.tickClock?.now());
      for (const job of jobs) {
        this.logger.info(
          { workerId: this.id, jobId: job.id, queue: job.queue, schedule: job.scheduleName },
          'scheduled job enqueued',
        );
      }
    } catch (error) {
      this.logger.error({ workerId: this.id, err: error }, 'ticking schedules failed');
    }
  }

  /** Waits for `ms` (or until woken when undefined); a finished job or `stop` wakes it early. */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wakeUp === done) self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    const done = this.execute(job, controller).finally(() => {
      this.running.delete(job.id);
      this.wakeUp?.();
    });
    this.running.set(job.id, { job, controller, done });
  }

  private async execute(job: Job, controller: AbortController): Promise<void> {
    const handler = this.handlers.get(job.queue);
    const fields = { workerId: this.id, jobId: job.id, queue: job.queue, attempt: job.attempts };
    const started = this.clock.now().getTime();
    const elapsedSince = (instant: number) => this.clock.now().getTime() - instant;
    let lost = false;
    let lastRenewed = started;
    let beating: Promise<boolean> | undefined;
    let progress: { value: unknown } | undefined;

    const loseLease = (why: string) => {
      if (lost) return;
      lost = true;
      this.logger.warn(fields, `job lease lost (${why}); abandoning the job`);
      controller.abort(new PlumbError('conflict', `the job's lease was lost: ${why}`));
    };
    const cancelled = () => {
      if (lost) return;
      lost = true;
      this.logger.info(fields, 'job cancelled; aborting its handler');
      controller.abort(
        new PlumbError('failed_precondition', `job ${job.id} was cancelled`, {
          details: { jobId: job.id, cancelled: true },
        }),
      );
    };
    const beat = async (): Promise<boolean> => {
      if (lost) return false;
      const sent = progress;
      progress = undefined;
      try {
        if (await this.queue.heartbeat(job.id, this.id, this.leaseMs, sent?.value)) {
          lastRenewed = this.clock.now().getTime();
          return true;
        }
        // Rare, so one more read to tell a cancellation from a lease taken over.
        const current = await this.queue.get(job.id).catch(() => null);
        if (current?.status === 'cancelled') cancelled();
        else loseLease('another worker holds it');
        return false;
      } catch (error) {
        progress ??= sent;
        this.logger.warn({ ...fields, err: error }, 'job heartbeat failed');
        // Past the lease another worker may already run the job; carrying on would duplicate it.
        if (elapsedSince(lastRenewed) >= this.leaseMs) loseLease('heartbeats failed for a whole lease');
        return !lost;
      }
    };
    const heartbeat = (): Promise<boolean> => {
      // The beat in flight was sent before this progress was reported: send another after it.
      if (beating && progress !== undefined) return beating.then(() => heartbeat());
      beating ??= beat().finally(() => {
        beating = undefined;
      });
      return beating;
    };
    const timer = setInterval(() => {
      // A heartbeat stuck for a whole lease (a hung connection) is as good as a lost lease.
      if (beating && elapsedSince(lastRenewed) >= this.leaseMs)
        loseLease('no heartbeat succeeded for a whole lease');
      else void heartbeat();
    }, this.heartbeatIntervalMs);
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    aborted.catch(() => {});

    let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
    try {
      if (!handler)
        throw new PlumbError('failed_precondition', `no handler is registered for queue ${job.queue}`);
      const context: JobContext = {
        signal: controller.signal,
        heartbeat,
        progress: (value) => {
          progress = { value };
        },
      };
      // Racing the signal frees the slot even if a handler ignores it.
      const result = await Promise.race([Promise.resolve().then(() => handler(job, context)), aborted]);
      outcome = { ok: true, result };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      clearInterval(timer);
    }
    // A heartbeat landing after the outcome is recorded would report a lost lease.
    await beating;
    if (lost) return;
    if (!outcome.ok) {
      await this.recordFailure(job, outcome.error, fields);
      return;
    }
    try {
      const done = await this.queue.complete(job.id, this.id, outcome.result);
      if (done) this.logger.info({ ...fields, durationMs: elapsedSince(started) }, 'job succeeded');
      else this.logger.warn(fields, 'job finished after its lease was lost; result discarded');
    } catch (error) {
      // A result that is not JSON is the handler's failure; a database error leaves the job to
      // be claimed again when its lease runs out.
      if (PlumbError.is(error, 'invalid_argument')) await this.recordFailure(job, error, fields);
      else this.logger.error({ ...fields, err: error }, 'recording a job result failed');
    }
  }

  private async recordFailure(job: Job, error: unknown, fields: object): Promise<void> {
    try {
      const after = await this.queue.fail(job.id, this.id, error);
      if (!after) {
        this.logger.warn(fields, 'job failed after its lease was lost');
      } else if (after.status === 'dead') {
        this.logger.error({ ...fields, err: error }, 'job failed on its last attempt; it is dead');
      } else {
        this.logger.warn(
          { ...fields, err: error, retryAt: after.runAt.toISOString() },
          'job attempt failed; will retry',
        );
      }
    } catch (failError) {
      this.logger.error({ ...fields, err: failError, jobError: error }, 'recording a job failure failed');
    }
  }
}
