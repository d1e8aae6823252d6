/**
 * Keeps endpoint, version and risk lookups for as long as nothing in the database has changed.
 * Every mutation appends its audit record in its own transaction and appends are serialized, so
 * the audit head's sequence (the stamp) grows with each committed change, whichever process made
 * it. A request reads the stamp first; lookups made under an older one are dropped, so an alias
 * move, a new latest version, a risk reclassification or an endpoint change applies to the very
 * next request on every replica. Concurrent misses for one key share a single lookup.
 */
export class ResolutionCache {
  private stamp = Number.NEGATIVE_INFINITY;
  private readonly entries = new Map<string, Promise<unknown>>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The value of `key` as of `stamp`, loaded now unless a lookup under that stamp is kept. */
  get<T>(stamp: number, key: string, load: () => Promise<T>): Promise<T> {
    if (stamp > this.stamp) {
      this.entries.clear();
      this.stamp = stamp;
    } else if (stamp < this.stamp) {
      // A reader that saw an older head (another pool connection, on PostgreSQL): its answer may
      // predate what is kept, so it is neither served from nor kept.
      return load();
    }
    const hit = this.entries.get(key);
    if (hit) return hit as Promise<T>;
    const value = load();
    this.entries.set(key, value);
    // A failed lookup is not remembered: the next request asks again.
    value.catch(() => {
      if (this.entries.get(key) === value) this.entries.delete(key);
    });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}
