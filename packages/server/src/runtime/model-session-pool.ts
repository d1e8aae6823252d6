import { PlumbError } from '../core/errors.js';

export interface Closable {
  close(): Promise<void>;
}

/** A hold on a shared model; `release` once when done (later calls do nothing). */
export interface Lease<T> {
  readonly value: T;
  release(): void;
}

export interface ModelSessionPoolOptions<T> {
  /** Turns a model's bytes into a loaded model, e.g. `(bytes) => OnnxModel.load(bytes)`. */
  load(bytes: Uint8Array, key: string): Promise<T>;
  /**
   * How long a model nobody holds stays loaded, so a burst of requests does not reload it each
   * time. A session holds the model's weights in native memory; this bounds how long unused
   * versions (after a promotion, say) keep it.
   */
  idleMs: number;
  /** Called when closing an idle model fails; the model is dropped either way. */
  onCloseError?(error: unknown, key: string): void;
}

interface Entry<T> {
  loading: Promise<T>;
  value?: T;
  leases: number;
  idleTimer?: NodeJS.Timeout;
}

/**
 * One loaded model per key (a model version id or blob ref), shared by everyone using it.
 * Reference counted: `acquire` returns a lease, the model stays loaded while any lease is held,
 * and once the last is released it is closed after `idleMs` unless acquired again. Concurrent
 * acquires of a key that is not loaded yet share one load; a failed load is forgotten so the
 * next acquire tries again.
 */
export class ModelSessionPool<T extends Closable> {
  private readonly entries = new Map<string, Entry<T>>();
  private shutDown = false;

  constructor(private readonly options: ModelSessionPoolOptions<T>) {}

  async acquire(key: string, loadBytes: () => Promise<Uint8Array>): Promise<Lease<T>> {
    if (this.shutDown) throw new PlumbError('unavailable', 'the model pool is shut down');
    let entry = this.entries.get(key);
    if (!entry) {
      const created: Entry<T> = {
        leases: 0,
        loading: loadBytes().then((bytes) => this.options.load(bytes, key)),
      };
      created.loading.then(
        (value) => {
          created.value = value;
        },
        () => {
          if (this.entries.get(key) === created) this.entries.delete(key);
        },
      );
      this.entries.set(key, created);
      entry = created;
    }
    entry.leases += 1;
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    let value: T;
    try {
      value = await entry.loading;
    } catch (error) {
      entry.leases -= 1;
      throw error;
    }
    let released = false;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        this.release(key, entry);
      },
    };
  }

  /** Keys loaded or loading, with how many leases each has; for metrics and tests. */
  stats(): { key: string; leases: number; loaded: boolean }[] {
    return [...this.entries].map(([key, e]) => ({ key, leases: e.leases, loaded: e.value !== undefined }));
  }

  /**
   * Closes every model and refuses new acquires. Call when the process stops, after in-flight
   * inference finished: models still leased are closed too.
   */
  async close(): Promise<void> {
    this.shutDown = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      entries.map(async (e) => {
        if (e.idleTimer) clearTimeout(e.idleTimer);
        const value = await e.loading.catch(() => undefined);
        await value?.close();
      }),
    );
  }

  private release(key: string, entry: Entry<T>): void {
    entry.leases -= 1;
    if (entry.leases > 0 || this.entries.get(key) !== entry) return;
    entry.idleTimer = setTimeout(() => {
      if (entry.leases > 0 || this.entries.get(key) !== entry) return;
      // Removed before closing, so an acquire from now on loads a fresh copy.
      this.entries.delete(key);
      entry.value?.close().catch((error: unknown) => this.options.onCloseError?.(error, key));
    }, this.options.idleMs);
    // An idle model must not keep the process alive.
    entry.idleTimer.unref();
  }
}
