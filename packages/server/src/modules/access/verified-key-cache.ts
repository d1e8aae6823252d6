import type { KeyRow } from './keys.repo.js';

/** A key as read from the database, and when this process last recorded its use. */
export interface CachedKey {
  row: KeyRow;
  /** The stored hash's bytes, for the constant-time comparison. */
  hashBytes: Buffer;
  lastUsedMs: number | null;
}

/**
 * Keeps key lookups by secret hash for as long as the audit head has not moved. Every key
 * creation, revocation and bootstrap appends an audit record in its own transaction and appends
 * are serialized, so the head's sequence (the stamp) grows with each of them, whichever process
 * made it: a request reads the stamp first, and lookups made under an older one are dropped, so a
 * revocation is refused on the very next request on every replica. Unknown hashes are kept too
 * (as null), so a caller retrying a wrong key costs no query; the bound keeps that from growing.
 */
export class VerifiedKeyCache {
  private stamp = Number.NEGATIVE_INFINITY;
  private readonly entries = new Map<string, Promise<CachedKey | null>>();

  constructor(private readonly maxEntries = 10_000) {}

  get(stamp: number, hash: string, load: () => Promise<CachedKey | null>): Promise<CachedKey | null> {
    if (stamp > this.stamp) {
      this.entries.clear();
      this.stamp = stamp;
    } else if (stamp < this.stamp) {
      // A reader that saw an older head (another pool connection, on PostgreSQL) may predate
      // what is kept, so it is neither served from nor kept.
      return load();
    }
    const hit = this.entries.get(hash);
    if (hit) return hit;
    const value = load();
    this.entries.set(hash, value);
    value.catch(() => {
      if (this.entries.get(hash) === value) this.entries.delete(hash);
    });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}
