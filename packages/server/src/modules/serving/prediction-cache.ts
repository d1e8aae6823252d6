import type { Clock } from '../../core/clock.js';

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * Answers by key for a time: least recently used entries go first once `maxEntries` is
 * reached, expired ones when next read. Per replica and lossy by design; nothing depends on a hit.
 */
export class PredictionCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries: number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.clock.now().getTime()) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the oldest key is the least recently used.
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
