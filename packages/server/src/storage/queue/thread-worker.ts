import { isMainThread, Worker as NodeWorker, parentPort, workerData } from 'node:worker_threads';
import type { WorkerLogger } from './worker.js';

/** What the thread sends its host. */
type FromThread =
  | { type: 'ready' }
  | { type: 'failed'; message: string; stack?: string }
  | { type: 'stopped' };
/** What the host sends the thread. */
type ToThread = { type: 'stop' };

export interface ThreadWorkerOptions {
  /** The module the thread runs; it calls `runInWorkerThread`. */
  entry: URL;
  /** Handed to the thread as `workerData` (structured-cloned: plain data only). */
  data: unknown;
  logger: WorkerLogger;
  /**
   * How long `stop` waits for the thread to finish or give back its jobs before terminating it.
   * Default 45 s: the job worker's own 30 s stop timeout plus closing storage.
   */
  stopTimeoutMs?: number;
}

/**
 * Background jobs in a `worker_threads` thread of this process: the thread composes its own
 * services (own database connection, own DuckDB engine) and runs the job worker, so evaluations,
 * profiles and scans never hold up the event loop that answers HTTP. Jobs reach it through the
 * durable queue, as they would a `plumb worker` process.
 */
export class ThreadWorker {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly thread: NodeWorker,
    private readonly exited: Promise<number>,
    private readonly options: ThreadWorkerOptions,
  ) {}

  /** Starts the thread; resolves once its services are composed and its worker runs. */
  static start(options: ThreadWorkerOptions): Promise<ThreadWorker> {
    const thread = new NodeWorker(options.entry, { workerData: options.data });
    const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
    return new Promise<ThreadWorker>((resolve, reject) => {
      let ready = false;
      const host = new ThreadWorker(thread, exited, options);
      thread.on('message', (message: FromThread) => {
        if (message.type === 'ready') {
          ready = true;
          resolve(host);
        } else if (message.type === 'failed') {
          const error = new Error(`the job thread failed: ${message.message}`);
          if (message.stack) error.stack = message.stack;
          if (!ready) reject(error);
          else options.logger.error({ err: error }, 'the job thread failed');
        }
      });
      thread.on('error', (error) => {
        if (!ready) reject(error);
        else
          options.logger.error({ err: error }, 'the job thread crashed; background jobs wait for a worker');
      });
      void exited.then((code) => {
        if (!ready) reject(new Error(`the job thread exited with code ${code} before it was ready`));
        else if (!host.stopping) {
          options.logger.error({ code }, 'the job thread exited; background jobs wait for a worker');
        }
      });
    });
  }

  /**
   * Asks the thread to stop its worker (running jobs finish, or are given back to the queue
   * past the worker's timeout) and close its storage; terminates it if it does not in time.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const timeoutMs = this.options.stopTimeoutMs ?? 45_000;
      this.thread.postMessage({ type: 'stop' } satisfies ToThread);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([this.exited, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.options.logger.warn({ timeoutMs }, 'the job thread did not stop in time; terminating it');
        await this.thread.terminate();
      }
    })();
    return this.stopping;
  }
}

/**
 * The thread's side: runs `start` (compose services, start the worker), reports ready, and on
 * the host's stop message runs the returned `stop` and lets the thread end.
 */
export function runInWorkerThread<T>(start: (data: T) => Promise<{ stop(): Promise<void> }>): void {
  if (isMainThread || !parentPort) throw new Error('runInWorkerThread runs inside a worker thread');
  const port = parentPort;
  const send = (message: FromThread) => port.postMessage(message);
  const fail = (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ type: 'failed', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
  };
  start(workerData as T).then(
    (running) => {
      port.on('message', (message: ToThread) => {
        if (message.type !== 'stop') return;
        running.stop().then(
          () => {
            send({ type: 'stopped' });
            // Nothing is left to do here; an idle timer somewhere must not keep the thread.
            port.close();
            process.exit(0);
          },
          (error: unknown) => {
            fail(error);
            process.exit(1);
          },
        );
      });
      send({ type: 'ready' });
    },
    (error: unknown) => {
      fail(error);
      process.exit(1);
    },
  );
}
