import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeBlobStore, expectCode, sha256 } from './blob-store.contract.js';
import { openBlobStore } from './blob-store-factory.js';
import { FileBlobStore } from './file-blob-store.js';

const MB = 1024 * 1024;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describeBlobStore('FileBlobStore', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plumb-blobs-'));
  const store = await FileBlobStore.open(root);
  return {
    store,
    backdate: (ref, to) => utimes(store.localPath(ref), to, to),
    dispose: async () => rmSync(root, { recursive: true, force: true }),
  };
});

describe('FileBlobStore', () => {
  let root: string;
  let store: FileBlobStore;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'plumb-blobs-'));
    store = await FileBlobStore.open(root);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lays blobs out under two fan-out levels of their digest', async () => {
    const data = Buffer.from('hello, plumb\n');
    const { ref } = await store.put(data);
    const hex = ref.slice('sha256:'.length);
    const path = join(root, 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex);
    expect(filesUnder(join(root, 'sha256'))).toEqual([path]);
    expect(store.localPath(ref)).toBe(path);
  });

  it('leaves no temp file behind, whether a put succeeds, races, mismatches or its source fails', async () => {
    const data = Buffer.alloc(3 * MB, 7);
    await Promise.all(Array.from({ length: 8 }, () => store.put(Readable.from([data]))));
    await expectCode(store.put(data, { expectedSha256: sha256('something else') }), 'invalid_argument');
    const boom = new Error('connection reset');
    const failing = (async function* () {
      yield Buffer.alloc(MB, 2);
      throw boom;
    })();
    expect(await store.put(failing).catch((e: unknown) => e)).toBe(boom);
    await expectCode(store.put(Readable.from([{ not: 'bytes' }]) as Readable), 'invalid_argument');
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    expect(filesUnder(root)).toEqual([store.localPath(sha256(data))]);
  });

  it('detects corruption at rest with verify', async () => {
    const { ref } = await store.put(Buffer.from('original bytes'));
    expect(await store.verify(ref)).toEqual({ ok: true, actual: ref, size: 14 });
    writeFileSync(store.localPath(ref), 'tampered bytes');
    expect(await store.verify(ref)).toEqual({ ok: false, actual: sha256('tampered bytes'), size: 14 });
  });

  it('heals a stored file of the wrong size when the same content is put again', async () => {
    const data = Buffer.from('complete content');
    const { ref } = await store.put(data);
    writeFileSync(store.localPath(ref), 'cut');
    expect(await store.put(data)).toEqual({ ref, size: data.length, existed: false });
    expect(await store.verify(ref)).toEqual({ ok: true, actual: ref, size: data.length });
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

  it('lists only blob files, not stray files in its directories', async () => {
    const { ref } = await store.put(Buffer.from('real'));
    const hex = ref.slice('sha256:'.length);
    writeFileSync(join(root, 'sha256', hex.slice(0, 2), hex.slice(2, 4), 'notes.txt'), 'stray');
    const listed: string[] = [];
    for await (const blob of store.list()) listed.push(blob.ref);
    expect(listed).toEqual([ref]);
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
