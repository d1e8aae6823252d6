import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PlumbError } from '../../core/errors.js';
import { blobRef, parseBlobRef, parseSha256 } from './blob-ref.js';
import type { BlobSource, BlobStat, BlobStore, PutOptions, PutResult, VerifyResult } from './blob-store.js';

export interface FileBlobStoreOptions {
  /**
   * Temp files untouched for this long are removed at open. Other processes (a server and its
   * workers) may share the root and have puts in flight; a live put rewrites its temp file at
   * every chunk, so only abandoned ones are this old. Default one hour.
   */
  staleTempMs?: number;
}

const DEFAULT_STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Blobs as files under `<root>/sha256/ab/cd/<hex>`, written through `<root>/tmp/` and renamed
 * into place. The two fan-out levels keep directories small (65 536 leaves) so that listing
 * and lookups stay fast with millions of blobs.
 */
export class FileBlobStore implements BlobStore {
  private readonly tmpDir: string;

  private constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  /** Creates the layout if needed and removes temp files abandoned by crashed puts. */
  static async open(root: string, options: FileBlobStoreOptions = {}): Promise<FileBlobStore> {
    const store = new FileBlobStore(root);
    try {
      await mkdir(join(root, 'sha256'), { recursive: true });
      await mkdir(store.tmpDir, { recursive: true });
      await store.removeStaleTemps(options.staleTempMs ?? DEFAULT_STALE_TEMP_MS);
    } catch (e) {
      throw mapFsError(e);
    }
    return store;
  }

  async put(source: BlobSource, options: PutOptions = {}): Promise<PutResult> {
    const expected = options.expectedSha256 === undefined ? undefined : parseSha256(options.expectedSha256);
    const tempPath = join(this.tmpDir, `${randomUUID()}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    const onProgress = options.onProgress;
    const failure: { fromSource?: unknown } = {};

    // Tags errors raised while reading the caller's source so they are rethrown unchanged,
    // while file-system errors are mapped to PlumbError.
    async function* hashed(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
      const iterator = input[Symbol.asyncIterator]();
      try {
        for (;;) {
          let step: IteratorResult<Uint8Array | string>;
          try {
            step = await iterator.next();
          } catch (e) {
            failure.fromSource = e;
            throw e;
          }
          if (step.done) return;
          const chunk = typeof step.value === 'string' ? Buffer.from(step.value) : step.value;
          if (!(chunk instanceof Uint8Array)) {
            failure.fromSource = new PlumbError('invalid_argument', 'a blob source must yield bytes');
            throw failure.fromSource;
          }
          hash.update(chunk);
          size += chunk.byteLength;
          onProgress?.(size);
          yield chunk;
        }
      } finally {
        // Stops the source (destroys a Readable) when writing failed part-way.
        await iterator.return?.();
      }
    }

    try {
      const input = source instanceof Uint8Array ? [source] : source;
      // `flush` fsyncs before the stream closes: the data must be on disk before the rename
      // publishes it, or a power loss could leave a complete-looking blob with missing bytes.
      await pipeline(
        hashed(toAsyncIterable(input)),
        createWriteStream(tempPath, { flags: 'wx', flush: true }),
      );
    } catch (e) {
      await rm(tempPath, { force: true }).catch(() => {});
      throw 'fromSource' in failure && e === failure.fromSource ? e : mapFsError(e);
    }

    const hex = hash.digest('hex');
    if (expected !== undefined && expected !== hex) {
      await rm(tempPath, { force: true }).catch(() => {});
      throw new PlumbError('invalid_argument', 'the content does not match the expected sha256', {
        details: { expected: blobRef(expected), actual: blobRef(hex), size },
      });
    }

    try {
      const existed = await this.publish(tempPath, hex, size);
      return { ref: blobRef(hex), size, existed };
    } catch (e) {
      await rm(tempPath, { force: true }).catch(() => {});
      throw mapFsError(e);
    }
  }

  async get(ref: string): Promise<Readable> {
    const path = this.pathOf(ref);
    try {
      const handle = await open(path, 'r');
      return handle.createReadStream();
    } catch (e) {
      throw notFoundOr(e, ref);
    }
  }

  async exists(ref: string): Promise<boolean> {
    return (await this.stat(ref)) !== null;
  }

  async stat(ref: string): Promise<BlobStat | null> {
    const path = this.pathOf(ref);
    try {
      const s = await stat(path);
      return { size: s.size };
    } catch (e) {
      if (isCode(e, 'ENOENT')) return null;
      throw mapFsError(e);
    }
  }

  async delete(ref: string): Promise<boolean> {
    const path = this.pathOf(ref);
    try {
      await unlink(path);
      return true;
    } catch (e) {
      if (isCode(e, 'ENOENT')) return false;
      throw mapFsError(e);
    }
  }

  async verify(ref: string): Promise<VerifyResult> {
    const expected = parseBlobRef(ref);
    const stream = await this.get(ref);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.byteLength;
      }
    } catch (e) {
      throw mapFsError(e);
    }
    const hex = hash.digest('hex');
    return { ok: hex === expected, actual: blobRef(hex), size };
  }

  /** Moves a complete temp file to its final name; true if the content was already stored. */
  private async publish(tempPath: string, hex: string, size: number): Promise<boolean> {
    const finalPath = this.pathOfHex(hex);
    const current = await stat(finalPath).catch((e) => (isCode(e, 'ENOENT') ? null : Promise.reject(e)));
    // A stored file of the wrong size can only be damage at rest; replacing it with the bytes
    // just verified heals it at no extra cost.
    if (current?.size === size) {
      await unlink(tempPath);
      return true;
    }
    const dir = dirname(finalPath);
    const created = await mkdir(dir, { recursive: true });
    try {
      await rename(tempPath, finalPath);
    } catch (e) {
      // Windows refuses to replace a file that another put just published and a reader holds
      // open; that file has the same content, so ours is redundant.
      const raced = await stat(finalPath).catch(() => null);
      if (raced?.size !== size) throw e;
      await unlink(tempPath);
      return true;
    }
    // The rename (and any new fan-out directory) is durable only once the directories are synced.
    await fsyncDir(dir);
    if (created !== undefined) {
      await fsyncDir(dirname(dir));
      await fsyncDir(dirname(dirname(dir)));
    }
    return false;
  }

  private async removeStaleTemps(staleTempMs: number): Promise<void> {
    const cutoff = Date.now() - staleTempMs;
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      const s = await stat(path).catch(() => null);
      if (s && s.mtimeMs < cutoff) await rm(path, { force: true, recursive: true });
    }
  }

  /**
   * The file that holds a blob, for readers that need a path rather than a stream (DuckDB
   * scans). Not part of BlobStore: an object-store backend would give a local cached copy.
   */
  localPath(ref: string): string {
    return this.pathOf(ref);
  }

  private pathOf(ref: string): string {
    return this.pathOfHex(parseBlobRef(ref));
  }

  private pathOfHex(hex: string): string {
    return join(this.root, 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex);
  }
}

function toAsyncIterable(
  source: Readable | AsyncIterable<Uint8Array> | Uint8Array[],
): AsyncIterable<Uint8Array> {
  if (Array.isArray(source)) {
    return (async function* () {
      yield* source;
    })();
  }
  if (source && typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    return source as AsyncIterable<Uint8Array>;
  }
  throw new PlumbError(
    'invalid_argument',
    'a blob source must be a Readable, an async iterable of bytes or bytes',
  );
}

async function fsyncDir(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (e) {
    // Some platforms and file systems (Windows, some network mounts) cannot sync a directory;
    // there the rename's durability is whatever the file system gives.
    if (!isCode(e, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'ENOTSUP', 'EACCES')) throw e;
  } finally {
    await handle?.close().catch(() => {});
  }
}

function notFoundOr(error: unknown, ref: string): unknown {
  if (isCode(error, 'ENOENT'))
    return new PlumbError('not_found', `blob ${ref} does not exist`, { details: { ref } });
  return mapFsError(error);
}

const UNAVAILABLE = ['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EMFILE', 'ENFILE', 'EACCES', 'EPERM', 'ENOENT'];

/** Maps file-system errors to PlumbError so callers never see errno codes. */
function mapFsError(error: unknown): unknown {
  if (error instanceof PlumbError || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && UNAVAILABLE.includes(code)) {
    return new PlumbError('unavailable', `blob storage unavailable: ${error.message}`, { cause: error });
  }
  return new PlumbError('internal', `blob storage failed: ${error.message}`, { cause: error });
}

function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && codes.includes(code);
}
