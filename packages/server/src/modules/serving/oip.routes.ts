import {
  OipInferenceRequest,
  OipInferenceResponse,
  OipLive,
  OipModelMetadata,
  OipModelParams,
  OipModelReady,
  OipServerMetadata,
  OipServerReady,
  OipVersionParams,
} from '@plumb/sdk';
import type { PlumbError } from '../../core/errors.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { VERSION } from '../../version.js';
import type { OipService } from './oip.service.js';

/**
 * The protocol's error body, `{ "error": message }`. Failures of the key or its permission are
 * Plumb's, not the protocol's, and keep Plumb's envelope.
 */
export function oipErrorBody(error: PlumbError): unknown {
  if (error.code === 'unauthenticated' || error.code === 'permission_denied') return undefined;
  return { error: error.message };
}

const common = { permission: 'endpoints:predict', tag: 'oip', errorBody: oipErrorBody } as const;

/** Open Inference Protocol v2 routes; each endpoint is a model. */
export function oipRoutes({ oip }: { oip: OipService }): RouteSpec[] {
  return [
    defineRoute({
      ...common,
      method: 'GET',
      url: '/v2/health/live',
      summary: 'OIP server live',
      response: OipLive,
      handler: async () => ({ live: true }),
    }),
    defineRoute({
      ...common,
      method: 'GET',
      url: '/v2/health/ready',
      summary: 'OIP server ready',
      response: OipServerReady,
      handler: async () => ({ live: true, ready: true }),
    }),
    defineRoute({
      ...common,
      method: 'GET',
      url: '/v2',
      summary: 'OIP server metadata',
      response: OipServerMetadata,
      handler: async () => ({ name: 'plumb', version: VERSION, extensions: [] }),
    }),
    defineRoute({
      ...common,
      method: 'GET',
      url: '/v2/models/:name',
      summary: "OIP model metadata: the endpoint's primary version",
      params: OipModelParams,
      response: OipModelMetadata,
      handler: ({ ctx, params }) => oip.metadata(ctx, params.name, undefined),
    }),
    defineRoute({
      ...common,
      method: 'GET',
      url: '/v2/models/:name/versions/:v',
      summary: 'OIP model metadata of one version the endpoint serves',
      params: OipVersionParams,
      response: OipModelMetadata,
      handler: ({ ctx, params }) => oip.metadata(ctx, params.name, params.v),
    }),
    defineRoute({
      ...common,
      method: 'GET',
      url: '/v2/models/:name/ready',
      summary: 'OIP model ready',
      params: OipModelParams,
      response: OipModelReady,
      handler: ({ ctx, params }) => oip.ready(ctx, params.name, undefined),
    }),
    defineRoute({
      ...common,
      method: 'GET',
      url: '/v2/models/:name/versions/:v/ready',
      summary: 'OIP model version ready',
      params: OipVersionParams,
      response: OipModelReady,
      handler: ({ ctx, params }) => oip.ready(ctx, params.name, params.v),
    }),
    defineRoute({
      ...common,
      method: 'POST',
      url: '/v2/models/:name/infer',
      summary: "OIP inference through the endpoint's traffic split",
      params: OipModelParams,
      body: OipInferenceRequest,
      response: OipInferenceResponse,
      bodyLimitBytes: 16 * 1024 * 1024,
      handler: ({ ctx, params, body }) => oip.infer(ctx, params.name, undefined, body),
    }),
    defineRoute({
      ...common,
      method: 'POST',
      url: '/v2/models/:name/versions/:v/infer',
      summary: 'OIP inference on one version the endpoint serves',
      params: OipVersionParams,
      body: OipInferenceRequest,
      response: OipInferenceResponse,
      bodyLimitBytes: 16 * 1024 * 1024,
      handler: ({ ctx, params, body }) => oip.infer(ctx, params.name, params.v, body),
    }),
  ];
}
