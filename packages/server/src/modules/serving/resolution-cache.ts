import type { Clock } from '../../core/clock.js';

/**
 * Remembers lookups for a very short time: the endpoint and the version an alias points at are
 * read from the database on the first request of each window, so alias moves, risk
 * reclassifications and endpoint changes on other replicas apply within `ttlMs`. Concurrent
 * misses for one key share a single lookup.
 */
export class ResolutionCache {
  private readonly entries = new Map<string, { value: Promise<unknown>; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const now = this.clock.now().getTime();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value as Promise<T>;
    const value = load();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    // A failed lookup is not remembered: the next request asks again.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }

  /** Forgets every lookup whose key starts with `prefix` (this replica's own endpoint changes). */
  forget(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
