import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DatasetFile, PlumbClient } from '@plumb/sdk';
import { type Credentials, connectionFromEnv } from '../../cli/cli-context.js';
import { streamUpload } from '../../cli/stream-upload.js';
import { PlumbError } from '../../core/errors.js';
import { detectFormat } from './dataset-source.js';

export interface LocalFile {
  /** Path inside the version. */
  path: string;
  absolute: string;
  size: number;
}

/**
 * Expands the CLI's arguments: files are taken by name, folders are walked for .csv, .jsonl
 * and .parquet files, which keep their paths relative to the folder.
 */
export async function collectFiles(args: string[]): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  for (const arg of args) {
    const absolute = resolve(arg);
    const info = await stat(absolute).catch(() => null);
    if (!info) throw new PlumbError('invalid_argument', `${arg}: no such file or folder`);
    if (info.isDirectory()) {
      for (const file of await walk(absolute)) {
        if (!detectFormat(file)) continue;
        out.push({
          path: relative(absolute, file).split(sep).join('/'),
          absolute: file,
          size: (await stat(file)).size,
        });
      }
    } else {
      out.push({ path: basename(absolute), absolute, size: info.size });
    }
  }
  if (out.length === 0) throw new PlumbError('invalid_argument', 'no .csv, .jsonl or .parquet files found');
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

export async function sha256File(path: string, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onBytes?.(done);
  }
  return hash.digest('hex');
}

/** Uploads a file unless the server already has its content; returns its ref. */
export async function uploadFile(
  client: PlumbClient,
  file: LocalFile,
  onBytes?: (n: number) => void,
  connection: Credentials = connectionFromEnv(),
): Promise<{ ref: string; uploaded: boolean }> {
  const hex = await sha256File(file.absolute);
  const ref = `sha256:${hex}`;
  const known = await client.blobs.stat(ref).catch((error: unknown) => {
    if (PlumbError.is(error, 'not_found')) return null;
    throw error;
  });
  if (known) {
    onBytes?.(file.size);
    return { ref, uploaded: false };
  }
  const result = await streamUpload(connection, file.absolute, hex, onBytes);
  return { ref: result.ref, uploaded: true };
}

/**
 * Downloads a version's files into `dir`, hashing each on the way: a file whose bytes do not
 * match its recorded hash is removed and reported, never left looking complete.
 */
export async function downloadFiles(
  client: PlumbClient,
  files: DatasetFile[],
  dir: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  let total = 0;
  for (const file of files) {
    const target = resolve(dir, file.path);
    if (!target.startsWith(resolve(dir) + sep))
      throw new PlumbError('invalid_argument', `refusing to write outside ${dir}: ${file.path}`);
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        total += chunk.length;
        onBytes?.(total);
        done(null, chunk);
      },
    });
    const stream = await client.blobs.download(file.ref);
    try {
      await pipeline(Readable.fromWeb(stream as never), hashing, createWriteStream(partial));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== file.ref) {
      await rm(partial, { force: true });
      throw new PlumbError(
        'internal',
        `${file.path}: downloaded bytes hash to ${actual}, expected ${file.ref}`,
      );
    }
    await rename(partial, target);
  }
}
