import type { Readable } from 'node:stream';
import { BlobInfo, BlobRefParams, UploadBlobQuery } from '@plumb/sdk';
import { z } from 'zod';
import { PlumbError } from '../../core/errors.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { BlobStore } from '../../storage/blob/blob-store.js';

/** The content-addressed store over HTTP: files of datasets, run artifacts and models go up here first. */
export function blobRoutes(services: { blobs: BlobStore }): RouteSpec[] {
  const { blobs } = services;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/blobs',
      permission: 'blobs:write',
      summary: 'Upload bytes (application/octet-stream, streamed); identical content is stored once',
      tag: 'blobs',
      query: UploadBlobQuery,
      rawBody: true,
      response: BlobInfo,
      status: 201,
      handler: async ({ query, request }) => {
        const body = request.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function') {
          throw new PlumbError('invalid_argument', 'send the bytes as the request body');
        }
        return blobs.put(body, query.sha256 ? { expectedSha256: query.sha256 } : {});
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/blobs/:ref/stat',
      permission: 'blobs:read',
      summary: 'Whether a blob is stored, and its size',
      tag: 'blobs',
      params: BlobRefParams,
      response: BlobInfo,
      handler: async ({ params }) => {
        const stat = await blobs.stat(params.ref);
        if (!stat) throw new PlumbError('not_found', `blob ${params.ref} is not stored`);
        return { ref: params.ref, size: stat.size };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/blobs/:ref',
      permission: 'blobs:read',
      summary: 'Download a blob',
      tag: 'blobs',
      params: BlobRefParams,
      response: z.any(),
      binaryResponse: true,
      handler: async ({ params, reply }) => {
        const stat = await blobs.stat(params.ref);
        if (!stat) throw new PlumbError('not_found', `blob ${params.ref} is not stored`);
        reply.header('content-length', String(stat.size));
        reply.header('x-plumb-sha256', params.ref.slice('sha256:'.length));
        reply.type('application/octet-stream');
        return blobs.get(params.ref) as never;
      },
    }),
  ];
}
