import type { Readable } from 'node:stream';
import { BlobGcRequest, BlobGcResult, BlobInfo, BlobRefParams, UploadBlobQuery } from '@plumb/sdk';
import { z } from 'zod';
import { PlumbError } from '../../core/errors.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { BlobsService } from './blobs.service.js';
import { notStored } from './blobs.service.js';

/** The content-addressed store over HTTP: files of datasets, run artifacts and models go up here first. */
export function blobRoutes(services: { blobService: BlobsService }): RouteSpec[] {
  const blobs = services.blobService;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/blobs',
      permission: 'blobs:write',
      summary:
        'Upload bytes (application/octet-stream, streamed) into the project; identical content is stored once',
      tag: 'blobs',
      query: UploadBlobQuery,
      rawBody: true,
      response: BlobInfo,
      status: 201,
      handler: async ({ query, request, ctx }) => {
        const body = request.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function') {
          throw new PlumbError('invalid_argument', 'send the bytes as the request body');
        }
        const length = request.headers['content-length'];
        const contentLength = length === undefined ? undefined : Number(length);
        return blobs.upload(ctx, body, {
          expectedSha256: query.sha256,
          contentLength: Number.isSafeInteger(contentLength) ? contentLength : undefined,
        });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/blobs/gc',
      permission: 'blobs:gc',
      summary:
        'Remove blobs no dataset version, run artifact, model version or report references, after a grace period',
      tag: 'blobs',
      body: BlobGcRequest,
      response: BlobGcResult,
      handler: async ({ body, ctx }) => blobs.collectGarbage(ctx, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/blobs/:ref/stat',
      permission: 'blobs:read',
      summary: 'Whether the project holds a blob, and its size',
      tag: 'blobs',
      params: BlobRefParams,
      response: BlobInfo,
      handler: async ({ params, ctx }) => {
        const stat = await blobs.statIn(ctx.principal.projectId, params.ref);
        if (!stat) throw notStored(params.ref);
        return { ref: params.ref, size: stat.size };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/blobs/:ref',
      permission: 'blobs:read',
      summary: 'Download a blob the project holds',
      tag: 'blobs',
      params: BlobRefParams,
      response: z.any(),
      binaryResponse: true,
      handler: async ({ params, reply, ctx }) => {
        const { size, stream } = await blobs.open(ctx, params.ref);
        reply.header('content-length', String(size));
        reply.header('x-plumb-sha256', params.ref.slice('sha256:'.length));
        reply.type('application/octet-stream');
        return stream as never;
      },
    }),
  ];
}
