import { pathFromUrl } from '../../core/config.js';
import { PlumbError } from '../../core/errors.js';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';

/** Opens the blob store named by `PLUMB_BLOB_URL`; only `file:PATH` exists so far. */
export async function openBlobStore(url: string): Promise<BlobStore> {
  if (url.startsWith('file:')) return FileBlobStore.open(pathFromUrl(url));
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new PlumbError(
    'invalid_argument',
    `unsupported blob store URL ${JSON.stringify(url)}: expected file:PATH${scheme === 's3' ? ' (s3:// is not available yet)' : ''}`,
    { details: { url } },
  );
}
