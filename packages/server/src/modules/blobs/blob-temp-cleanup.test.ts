import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../storage/blob/file-blob-store.js';

/** The built store, so a separate Node process can run a put and die in the middle of it. */
const BUILT_STORE = fileURLToPath(new URL('../../../dist/storage/blob/file-blob-store.js', import.meta.url));

/** Starts a put in a child process, waits until its temp file has bytes, then kills it. */
async function crashMidPut(root: string): Promise<string> {
  const script = `
    const { FileBlobStore } = await import(${JSON.stringify(BUILT_STORE)});
    const { Readable } = await import('node:stream');
    const store = await FileBlobStore.open(${JSON.stringify(root)});
    const source = new Readable({ read() {} });
    source.push(Buffer.alloc(64 * 1024, 1));
    store.put(source);
    setInterval(() => {}, 1000);
    process.stdout.write('writing\\n');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => resolve());
    child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  const tmp = join(root, 'tmp');
  while (readdirSync(tmp).length === 0) await new Promise((r) => setTimeout(r, 10));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const [name] = readdirSync(tmp);
  return name!;
}

describe('temp files left by a crashed put', () => {
  let root: string;
  beforeEach(() => {
    if (!existsSync(BUILT_STORE)) throw new Error(`${BUILT_STORE} is missing: run \`npx tsc -b\` first`);
    root = mkdtempSync(join(tmpdir(), 'plumb-blobs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('are removed when the store opens again, however fresh they are', async () => {
    const left = await crashMidPut(root);
    expect(readdirSync(join(root, 'tmp'))).toEqual([left]);
    await FileBlobStore.open(root);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('are told from the temp files of writers still running', async () => {
    const left = await crashMidPut(root);
    const host = left.split('.')[0]!;
    const tmp = join(root, 'tmp');
    // A live writer in another process (our parent), and one of ours: both fresh, both kept.
    const otherLive = `${host}.${process.ppid}.${randomUUID()}.tmp`;
    const ours = `${host}.${process.pid}.${randomUUID()}.tmp`;
    // Our pid, but written before this process started: a predecessor that had the same pid,
    // as after a container restart.
    const predecessor = `${host}.${process.pid}.${randomUUID()}.tmp`;
    // Another host sharing the root: only age tells.
    const otherHost = `00000000.${process.pid}.${randomUUID()}.tmp`;
    for (const name of [otherLive, ours, predecessor, otherHost]) writeFileSync(join(tmp, name), 'partial');
    const beforeStart = new Date(Date.now() - process.uptime() * 1000 - 60_000);
    utimesSync(join(tmp, predecessor), beforeStart, beforeStart);
    await FileBlobStore.open(root);
    expect(readdirSync(tmp).sort()).toEqual([otherLive, ours, otherHost].sort());
  });

  it('are never left by a put that fails before its file has opened', async () => {
    // A source that fails at once used to let the temp file open after its removal; racing
    // puts, a hash mismatch and a failing source before it vary the timing.
    const data = Buffer.alloc(3 * 1024 * 1024, 7);
    const left: string[] = [];
    for (let i = 0; i < 15; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'plumb-blobs-'));
      try {
        const store = await FileBlobStore.open(dir);
        await Promise.all(Array.from({ length: 8 }, () => store.put(Readable.from([data]))));
        await store.put(data, { expectedSha256: `sha256:${'1'.repeat(64)}` }).catch(() => {});
        const failing = (async function* () {
          yield Buffer.alloc(1024 * 1024, 2);
          throw new Error('connection reset');
        })();
        await store.put(failing).catch(() => {});
        await store.put(Readable.from([{ not: 'bytes' }]) as Readable).catch(() => {});
        left.push(...readdirSync(join(dir, 'tmp')));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(left).toEqual([]);
  });
});
