import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobInfo, ErrorEnvelope, PlumbError } from '@plumb/sdk';
import type { Credentials } from './cli-context.js';

/**
 * Uploads a file to `POST /api/v1/blobs` with Node's own HTTP client. Node's fetch read a
 * 1 GB request body far ahead of the socket (1.15 GB peak RSS); piping into an http request
 * keeps backpressure (88 MB peak) and was faster too.
 */
export async function streamUpload(
  connection: Credentials,
  path: string,
  sha256: string,
  onBytes?: (sent: number) => void,
): Promise<BlobInfo> {
  const url = new URL(`${connection.url.replace(/\/+$/, '')}/api/v1/blobs`);
  url.searchParams.set('sha256', sha256);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = send(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${connection.apiKey}`, 'content-type': 'application/octet-stream' },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  let sent = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      onBytes?.(sent);
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), counting, req);
  } catch (cause) {
    // The server may answer (and close) before the body is done, e.g. with a 401; prefer its answer.
    const early = await Promise.race([
      answer,
      new Promise<null>((r) => setTimeout(() => r(null), 1000)),
    ]).catch(() => null);
    if (!early) {
      throw new PlumbError('unavailable', `upload to ${connection.url} failed: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  const { status, body } = await answer.catch((cause: unknown) => {
    throw new PlumbError('unavailable', `upload to ${connection.url} failed: ${(cause as Error).message}`, {
      cause,
    });
  });
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  if (status < 200 || status >= 300) {
    const envelope = ErrorEnvelope.safeParse(json);
    if (envelope.success) {
      const { code, message, details } = envelope.data.error;
      throw new PlumbError(code, message, { details });
    }
    throw new PlumbError('unavailable', `upload answered HTTP ${status}: ${body.slice(0, 200)}`);
  }
  return BlobInfo.parse(json);
}
