import type { Readable } from 'node:stream';

/**
 * Immutable, content-addressed blob storage (dataset files, model artifacts, reports).
 *
 * Contract every backend keeps (file system now, S3-compatible later):
 * - A blob is named by the sha256 of its bytes, `sha256:<64 lowercase hex>`; the same content
 *   always gets the same ref and is stored once.
 * - `put` streams: memory use does not grow with the blob's size. The blob becomes visible
 *   only once it is complete and durable, so a failed or interrupted put leaves nothing behind
 *   that `get`, `exists` or `stat` can see. Concurrent puts of the same content are safe.
 * - Refs are validated strictly (`invalid_argument` otherwise) before any storage is touched,
 *   so a ref can never name anything outside the store.
 * - Failures are `PlumbError`s: `not_found` for a missing blob, `invalid_argument` for a bad
 *   ref or a content hash that differs from `expectedSha256`, `unavailable` when the storage
 *   itself cannot be written (full, read-only). Errors raised by the caller's source stream
 *   are passed through unchanged.
 */
export interface BlobStore {
  put(source: BlobSource, options?: PutOptions): Promise<PutResult>;
  /** Opens the blob for reading; rejects with `not_found` if it is missing. */
  get(ref: string): Promise<Readable>;
  exists(ref: string): Promise<boolean>;
  stat(ref: string): Promise<BlobStat | null>;
  /** Removes the blob; false if it was not there. Only garbage collection should call this. */
  delete(ref: string): Promise<boolean>;
  /** Every stored blob with its size and last write (or `touch`), for garbage collection. */
  list(): AsyncIterable<ListedBlob>;
  /**
   * Marks the blob as just used (a put of content already stored does the same), so garbage
   * collection's grace period starts over; false if it is not stored.
   */
  touch(ref: string): Promise<boolean>;
  /** Re-reads and re-hashes the stored bytes to detect corruption at rest. */
  verify(ref: string): Promise<VerifyResult>;
}

export type BlobSource = Readable | AsyncIterable<Uint8Array> | Uint8Array;

export interface PutOptions {
  /** The sha256 the caller expects (`<hex>` or `sha256:<hex>`); a mismatch stores nothing. */
  expectedSha256?: string;
  /** Called with the running total of bytes received, once per chunk. */
  onProgress?: (bytes: number) => void;
}

export interface PutResult {
  ref: string;
  size: number;
  /** True when the same content was already stored, so nothing new was written. */
  existed: boolean;
}

export interface BlobStat {
  size: number;
}

export interface ListedBlob {
  ref: string;
  size: number;
  modifiedAt: Date;
}

export interface VerifyResult {
  /** True when the stored bytes still hash to the ref. */
  ok: boolean;
  /** The ref the stored bytes hash to now. */
  actual: string;
  size: number;
}
