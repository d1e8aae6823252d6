import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import { openBlobStore } from './blob-store-factory.js';
import { FileBlobStore } from './file-blob-store.js';

const MB = 1024 * 1024;

function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Deterministic pseudo-random bytes, generated chunk by chunk, never held whole. */
async function* generated(totalBytes: number, chunkBytes = 256 * 1024): AsyncGenerator<Uint8Array> {
  let state = 0x9e3779b9;
  for (let sent = 0; sent < totalBytes; sent += chunkBytes) {
    const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, totalBytes - sent));
    for (let i = 0; i + 4 <= chunk.length; i += 4) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      chunk.writeUInt32LE(state, i);
    }
    yield chunk;
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlumbError);
  expect((error as PlumbError).code).toBe(code);
}

describe('FileBlobStore', () => {
  let root: string;
  let store: FileBlobStore;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'plumb-blobs-'));
    store = await FileBlobStore.open(root);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names content by its sha256 and reads it back', async () => {
    const data = Buffer.from('hello, plumb\n');
    const put = await store.put(data);
    expect(put).toEqual({ ref: sha256(data), size: data.length, existed: false });
    const hex = put.ref.slice('sha256:'.length);
    expect(filesUnder(join(root, 'sha256'))).toEqual([
      join(root, 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex),
    ]);
    expect(await readAll(await store.get(put.ref))).toEqual(data);
    expect(await store.exists(put.ref)).toBe(true);
    expect(await store.stat(put.ref)).toEqual({ size: data.length });
  });

  it('accepts a Readable, an async iterable and an empty blob', async () => {
    const parts = ['a', 'bc', 'def'].map((s) => Buffer.from(s));
    const fromReadable = await store.put(Readable.from(parts));
    const fromIterable = await store.put(
      (async function* () {
        yield* parts;
      })(),
    );
    expect(fromReadable.ref).toBe(sha256('abcdef'));
    expect(fromIterable).toEqual({ ref: sha256('abcdef'), size: 6, existed: true });
    const empty = await store.put(new Uint8Array(0));
    expect(empty).toEqual({ ref: sha256(''), size: 0, existed: false });
    expect((await readAll(await store.get(empty.ref))).length).toBe(0);
  });

  it('stores identical content once, also when puts race', async () => {
    const data = Buffer.alloc(3 * MB, 7);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(Readable.from([data]))));
    expect(new Set(results.map((r) => r.ref))).toEqual(new Set([sha256(data)]));
    expect((await store.put(data)).existed).toBe(true);
    expect(filesUnder(join(root, 'sha256'))).toHaveLength(1);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    expect((await store.verify(results[0]!.ref)).ok).toBe(true);
  });

  it('reports progress as a running total', async () => {
    const seen: number[] = [];
    await store.put(generated(MB, 256 * 1024), { onProgress: (n) => seen.push(n) });
    expect(seen).toEqual([256, 512, 768, 1024].map((k) => k * 1024));
  });

  it('checks expectedSha256 and leaves nothing behind on a mismatch', async () => {
    const data = Buffer.from('payload');
    await expectCode(store.put(data, { expectedSha256: sha256('something else') }), 'invalid_argument');
    expect(filesUnder(root)).toEqual([]);
    const hex = sha256(data).slice(7);
    expect((await store.put(data, { expectedSha256: hex.toUpperCase() })).ref).toBe(sha256(data));
    expect((await store.put(data, { expectedSha256: `sha256:${hex}` })).existed).toBe(true);
    await expectCode(store.put(data, { expectedSha256: 'abc' }), 'invalid_argument');
  });

  it('leaves no blob and no temp file when the source fails mid-write', async () => {
    const boom = new Error('connection reset');
    const source = new Readable({ read() {} });
    source.push(Buffer.alloc(MB, 1));
    setTimeout(() => source.destroy(boom), 20);
    const error = await store.put(source).catch((e: unknown) => e);
    expect(error).toBe(boom);
    expect(filesUnder(root)).toEqual([]);

    const failing = (async function* () {
      yield Buffer.alloc(MB, 2);
      throw boom;
    })();
    expect(await store.put(failing).catch((e: unknown) => e)).toBe(boom);
    expect(filesUnder(root)).toEqual([]);
    expect(await store.exists(sha256(Buffer.alloc(MB, 2)))).toBe(false);
  });

  it('rejects sources that do not yield bytes', async () => {
    await expectCode(store.put(Readable.from([{ not: 'bytes' }]) as Readable), 'invalid_argument');
    await expectCode(store.put(42 as unknown as Uint8Array), 'invalid_argument');
    expect(filesUnder(root)).toEqual([]);
  });

  it('validates refs strictly, so no ref can reach outside the store', async () => {
    const good = sha256('x');
    const bad = [
      '',
      'x',
      good.slice(7),
      good.toUpperCase(),
      `sha1:${good.slice(7)}`,
      `${good}/../x`,
      `sha256:../../../../etc/passwd`,
      `sha256:${'a'.repeat(63)}`,
      `sha256:${'a'.repeat(65)}`,
      `sha256:${'g'.repeat(64)}`,
      `${good}\n`,
    ];
    for (const ref of bad) {
      await expectCode(store.get(ref), 'invalid_argument');
      await expectCode(store.exists(ref), 'invalid_argument');
      await expectCode(store.stat(ref), 'invalid_argument');
      await expectCode(store.delete(ref), 'invalid_argument');
      await expectCode(store.verify(ref), 'invalid_argument');
    }
  });

  it('answers missing blobs with not_found or null', async () => {
    const missing = sha256('never stored');
    await expectCode(store.get(missing), 'not_found');
    await expectCode(store.verify(missing), 'not_found');
    expect(await store.exists(missing)).toBe(false);
    expect(await store.stat(missing)).toBeNull();
    expect(await store.delete(missing)).toBe(false);
  });

  it('deletes blobs', async () => {
    const { ref } = await store.put(Buffer.from('short-lived'));
    expect(await store.delete(ref)).toBe(true);
    expect(await store.exists(ref)).toBe(false);
    expect((await store.put(Buffer.from('short-lived'))).existed).toBe(false);
  });

  it('detects corruption at rest with verify', async () => {
    const { ref } = await store.put(Buffer.from('original bytes'));
    expect(await store.verify(ref)).toEqual({ ok: true, actual: ref, size: 14 });
    const [file] = filesUnder(join(root, 'sha256'));
    writeFileSync(file!, 'tampered bytes');
    expect(await store.verify(ref)).toEqual({ ok: false, actual: sha256('tampered bytes'), size: 14 });
  });

  it('removes abandoned temp files at open and keeps fresh ones', async () => {
    const stale = join(root, 'tmp', 'stale.tmp');
    const fresh = join(root, 'tmp', 'fresh.tmp');
    writeFileSync(stale, 'partial');
    writeFileSync(fresh, 'in flight elsewhere');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stale, old, old);
    await FileBlobStore.open(root);
    expect(readdirSync(join(root, 'tmp'))).toEqual(['fresh.tmp']);
  });

  it('streams a 200 MB source with bounded memory and hashes like node:crypto', async () => {
    const total = 200 * MB;
    const reference = createHash('sha256');
    for await (const chunk of generated(total)) reference.update(chunk);
    const expected = `sha256:${reference.digest('hex')}`;

    globalThis.gc?.();
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let peakRss = before.rss;
    const result = await store.put(generated(total), {
      onProgress: () => {
        const now = process.memoryUsage();
        peakHeap = Math.max(peakHeap, now.heapUsed);
        peakRss = Math.max(peakRss, now.rss);
      },
    });
    expect(result).toEqual({ ref: expected, size: total, existed: false });
    expect(peakHeap - before.heapUsed).toBeLessThan(64 * MB);
    expect(peakRss - before.rss).toBeLessThan(64 * MB);
    expect(await store.verify(result.ref)).toEqual({ ok: true, actual: expected, size: total });
  });
});

describe('openBlobStore', () => {
  it('opens file: URLs and rejects other schemes clearly', async () => {
    const root = mkdtempSync(join(tmpdir(), 'plumb-blobs-'));
    try {
      const store = await openBlobStore(`file:${root}`);
      expect((await store.put(Buffer.from('x'))).ref).toBe(sha256('x'));
      await expectCode(openBlobStore('s3://bucket/prefix'), 'invalid_argument');
      await expect(openBlobStore('s3://bucket/prefix')).rejects.toThrow(/s3:\/\/ is not available yet/);
      await expectCode(openBlobStore('/plain/path'), 'invalid_argument');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
