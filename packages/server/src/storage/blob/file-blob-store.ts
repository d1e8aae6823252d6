import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PlumbError } from '../../core/errors.js';
import { blobRef, parseBlobRef, parseSha256 } from './blob-ref.js';
import type {
  BlobSource,
  BlobStat,
  BlobStore,
  ListedBlob,
  PutOptions,
  PutResult,
  VerifyResult,
} from './blob-store.js';

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
 * Temp files are named `<host>.<pid>.<uuid>.tmp`, so a process opening the store can tell a
 * crashed writer's leftovers (its pid is gone, or is now ours but the file predates us, as after
 * a container restart) from a live writer's, without waiting for them to age.
 */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const TEMP_NAME = /^([0-9a-f]{8})\.(\d+)\.[0-9a-f-]{36}\.tmp$/;
const HEX64 = /^[0-9a-f]{64}$/;

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
    const tempPath = join(this.tmpDir, `${HOST_TAG}.${process.pid}.${randomUUID()}.tmp`);
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

    let out: WriteStream | undefined;
    try {
      const input = source instanceof Uint8Array ? [source] : source;
      const chunks = hashed(toAsyncIterable(input));
      // `flush` fsyncs before the stream closes: the data must be on disk before the rename
      // publishes it, or a power loss could leave a complete-looking blob with missing bytes.
      out = createWriteStream(tempPath, { flags: 'wx', flush: true });
      await pipeline(chunks, out);
    } catch (e) {
      // The file opens asynchronously: a source failing at once would otherwise have it created
      // after the removal below, and left behind.
      const stream = out;
      if (stream && !stream.closed)
        await new Promise<void>((resolve) => stream.once('close', () => resolve()));
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

  async *list(): AsyncIterable<ListedBlob> {
    const top = join(this.root, 'sha256');
    try {
      for (const a of (await readdir(top)).sort()) {
        for (const b of (await readdir(join(top, a)).catch(() => [])).sort()) {
          for (const hex of (await readdir(join(top, a, b)).catch(() => [])).sort()) {
            if (!HEX64.test(hex)) continue;
            const s = await stat(join(top, a, b, hex)).catch(() => null);
            if (s?.isFile()) yield { ref: blobRef(hex), size: s.size, modifiedAt: s.mtime };
          }
        }
      }
    } catch (e) {
      throw mapFsError(e);
    }
  }

  async touch(ref: string): Promise<boolean> {
    const path = this.pathOf(ref);
    try {
      const now = new Date();
      await utimes(path, now, now);
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
      // Uploading it again makes it young again, so garbage collection's grace period starts over.
      const now = new Date();
      await utimes(finalPath, now, now).catch(() => {});
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

  /**
   * Removes temp files whose writer is known to be gone (see TEMP_NAME) and any temp file
   * untouched for `staleTempMs`: those of other hosts sharing the root, and older names.
   */
  private async removeStaleTemps(staleTempMs: number): Promise<void> {
    const cutoff = Date.now() - staleTempMs;
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      const s = await stat(path).catch(() => null);
      if (s && (s.mtimeMs < cutoff || writerGone(name, s.mtimeMs))) {
        await rm(path, { force: true, recursive: true });
      }
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

/** True when a temp file's name says it was written on this host by a process no longer running. */
function writerGone(name: string, mtimeMs: number): boolean {
  const match = TEMP_NAME.exec(name);
  if (!match || match[1] !== HOST_TAG) return false;
  const pid = Number(match[2]);
  // Our own pid: a live put of this process (any thread) has written since the process started;
  // a file last written before that is a predecessor's. The second of slack absorbs rounding.
  if (pid === process.pid) return mtimeMs < Date.now() - process.uptime() * 1000 - 1000;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else, so it may still be writing.
    return isCode(e, 'ESRCH');
  }
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
