import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import type { BlobStore, ListedBlob } from './blob-store.js';

/** One backend's blob store under test, empty. */
export interface BlobStoreHarness {
  store: BlobStore;
  /**
   * Makes a stored blob look last written at `to`, as garbage collection would see it. Optional:
   * a backend whose storage cannot be backdated skips the checks that need it.
   */
  backdate?(ref: string, to: Date): Promise<void>;
  dispose(): Promise<void>;
}

export type BlobStoreFactory = () => Promise<BlobStoreHarness>;

const MB = 1024 * 1024;

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Deterministic pseudo-random bytes, generated chunk by chunk, never held whole. */
export async function* generated(totalBytes: number, chunkBytes = 256 * 1024): AsyncGenerator<Uint8Array> {
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

export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlumbError);
  expect((error as PlumbError).code).toBe(code);
}

async function listAll(store: BlobStore): Promise<ListedBlob[]> {
  const all: ListedBlob[] = [];
  for await (const blob of store.list()) all.push(blob);
  return all;
}

/**
 * The behaviour every BlobStore backend keeps (see the BlobStore contract), run over one
 * adapter: the file store now, an S3-compatible store later. How a backend lays out, syncs and
 * cleans up its storage is tested beside it.
 */
export function describeBlobStore(name: string, factory: BlobStoreFactory): void {
  describe(`${name} (BlobStore contract)`, () => {
    let harness: BlobStoreHarness;
    let store: BlobStore;

    beforeEach(async () => {
      harness = await factory();
      store = harness.store;
    });

    afterEach(async () => {
      await harness.dispose();
    });

    it('names content by its sha256 and reads it back', async () => {
      const data = Buffer.from('hello, plumb\n');
      const put = await store.put(data);
      expect(put).toEqual({ ref: sha256(data), size: data.length, existed: false });
      expect(await readAll(await store.get(put.ref))).toEqual(data);
      expect(await store.exists(put.ref)).toBe(true);
      expect(await store.stat(put.ref)).toEqual({ size: data.length });
      expect(await store.verify(put.ref)).toEqual({ ok: true, actual: put.ref, size: data.length });
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
      expect((await listAll(store)).map((b) => b.ref)).toEqual([sha256(data)]);
      expect((await store.verify(results[0]!.ref)).ok).toBe(true);
    });

    it('reports progress as a running total', async () => {
      const seen: number[] = [];
      await store.put(generated(MB, 256 * 1024), { onProgress: (n) => seen.push(n) });
      expect(seen).toEqual([256, 512, 768, 1024].map((k) => k * 1024));
    });

    it('checks expectedSha256 and stores nothing on a mismatch', async () => {
      const data = Buffer.from('payload');
      await expectCode(store.put(data, { expectedSha256: sha256('something else') }), 'invalid_argument');
      expect(await store.exists(sha256(data))).toBe(false);
      expect(await listAll(store)).toEqual([]);
      const hex = sha256(data).slice(7);
      expect((await store.put(data, { expectedSha256: hex.toUpperCase() })).ref).toBe(sha256(data));
      expect((await store.put(data, { expectedSha256: `sha256:${hex}` })).existed).toBe(true);
      await expectCode(store.put(data, { expectedSha256: 'abc' }), 'invalid_argument');
    });

    it("passes the source's error through and stores nothing when the source fails mid-write", async () => {
      const boom = new Error('connection reset');
      const source = new Readable({ read() {} });
      source.push(Buffer.alloc(MB, 1));
      // Fails once the store has taken the first chunk: the put is under way, not yet started.
      const error = await store
        .put(source, { onProgress: () => source.destroy(boom) })
        .catch((e: unknown) => e);
      expect(error).toBe(boom);

      const failing = (async function* () {
        yield Buffer.alloc(MB, 2);
        throw boom;
      })();
      expect(await store.put(failing).catch((e: unknown) => e)).toBe(boom);
      expect(await store.exists(sha256(Buffer.alloc(MB, 1)))).toBe(false);
      expect(await store.exists(sha256(Buffer.alloc(MB, 2)))).toBe(false);
      expect(await listAll(store)).toEqual([]);
    });

    it('rejects sources that do not yield bytes', async () => {
      await expectCode(store.put(Readable.from([{ not: 'bytes' }]) as Readable), 'invalid_argument');
      await expectCode(store.put(42 as unknown as Uint8Array), 'invalid_argument');
      expect(await listAll(store)).toEqual([]);
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
        await expectCode(store.touch(ref), 'invalid_argument');
        await expectCode(store.verify(ref), 'invalid_argument');
      }
    });

    it('answers missing blobs with not_found, false or null', async () => {
      const missing = sha256('never stored');
      await expectCode(store.get(missing), 'not_found');
      await expectCode(store.verify(missing), 'not_found');
      expect(await store.exists(missing)).toBe(false);
      expect(await store.stat(missing)).toBeNull();
      expect(await store.delete(missing)).toBe(false);
      expect(await store.touch(missing)).toBe(false);
    });

    it('deletes blobs', async () => {
      const { ref } = await store.put(Buffer.from('short-lived'));
      const kept = await store.put(Buffer.from('kept'));
      expect(await store.delete(ref)).toBe(true);
      expect(await store.exists(ref)).toBe(false);
      expect(await store.delete(ref)).toBe(false);
      expect((await listAll(store)).map((b) => b.ref)).toEqual([kept.ref]);
      expect((await store.put(Buffer.from('short-lived'))).existed).toBe(false);
    });

    it('lists every stored blob once with its size', async () => {
      const contents = ['one', 'two two', 'three three three', ''];
      for (const c of contents) await store.put(Buffer.from(c));
      await store.put(Buffer.from('one'));
      const listed = await listAll(store);
      const expected = contents.map((c) => ({ ref: sha256(c), size: Buffer.byteLength(c) }));
      const byRef = (a: { ref: string }, b: { ref: string }) => (a.ref < b.ref ? -1 : 1);
      expect(listed.map(({ ref, size }) => ({ ref, size })).sort(byRef)).toEqual(expected.sort(byRef));
      for (const blob of listed) expect(Number.isFinite(blob.modifiedAt.getTime())).toBe(true);
    });

    it('makes a blob young again when it is touched or put again', async (context) => {
      if (!harness.backdate) context.skip();
      const longAgo = new Date('2020-01-01T00:00:00Z');
      const a = await store.put(Buffer.from('touched'));
      const b = await store.put(Buffer.from('uploaded again'));
      const c = await store.put(Buffer.from('left alone'));
      for (const { ref } of [a, b, c]) await harness.backdate!(ref, longAgo);
      expect(await store.touch(a.ref)).toBe(true);
      expect((await store.put(Buffer.from('uploaded again'))).existed).toBe(true);
      const ages = new Map((await listAll(store)).map((blob) => [blob.ref, blob.modifiedAt.getTime()]));
      expect(ages.get(a.ref)).toBeGreaterThan(longAgo.getTime());
      expect(ages.get(b.ref)).toBeGreaterThan(longAgo.getTime());
      expect(ages.get(c.ref)).toBe(longAgo.getTime());
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
}
