import {
  CreateEndpoint,
  Endpoint,
  EndpointParams,
  ListEndpoints,
  ListReviewQueue,
  Page,
  PredictRequest,
  PredictResponse,
  ReviewItem,
  ShadowReportList,
  UpdateEndpoint,
} from '@plumb/sdk';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { EndpointsService } from './endpoints.service.js';
import type { EventTimes } from './event-times.js';
import type { PredictService } from './predict.service.js';
import type { ReviewQueueService } from './review-queue.service.js';
import type { ShadowRunner } from './shadow-runner.js';

export const ROUTE_KEY_HEADER = 'x-plumb-route-key';

export interface EndpointRouteServices {
  endpoints: EndpointsService;
  predictions: PredictService;
  shadows: ShadowRunner;
  reviews: ReviewQueueService;
  eventTimes: EventTimes;
}

export function endpointRoutes({
  endpoints,
  predictions,
  shadows,
  reviews,
  eventTimes,
}: EndpointRouteServices): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/endpoints',
      permission: 'endpoints:write',
      summary:
        'Create an endpoint: weighted routes over model versions or aliases, shadows, fallback, cache, review',
      tag: 'endpoints',
      body: CreateEndpoint,
      response: Endpoint,
      status: 201,
      handler: ({ ctx, body }) => endpoints.create(ctx, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/endpoints',
      permission: 'endpoints:read',
      summary: "The project's endpoints, by name",
      tag: 'endpoints',
      query: ListEndpoints,
      response: Page(Endpoint),
      handler: ({ ctx, query }) => endpoints.list(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/endpoints/:name',
      permission: 'endpoints:read',
      summary: 'An endpoint and how it serves',
      tag: 'endpoints',
      params: EndpointParams,
      response: Endpoint,
      handler: ({ ctx, params }) => endpoints.get(ctx, params.name),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/endpoints/:name',
      permission: 'endpoints:write',
      summary: 'Change an endpoint; the next request is served the new way',
      tag: 'endpoints',
      params: EndpointParams,
      body: UpdateEndpoint,
      response: Endpoint,
      handler: ({ ctx, params, body }) => endpoints.update(ctx, params.name, body),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/endpoints/:name',
      permission: 'endpoints:write',
      summary: 'Delete an endpoint with its review queue and shadow counters',
      tag: 'endpoints',
      params: EndpointParams,
      response: Endpoint,
      handler: ({ ctx, params }) => endpoints.delete(ctx, params.name),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/endpoints/:name/predict',
      permission: 'endpoints:predict',
      summary: `Predict rows of named features; a route key (${ROUTE_KEY_HEADER} or routeKey) keeps a caller on one route; time (with events:write) logs them at the caller's times`,
      tag: 'endpoints',
      params: EndpointParams,
      body: PredictRequest,
      response: PredictResponse,
      handler: async ({ ctx, params, body, request }) => {
        const header = request.headers[ROUTE_KEY_HEADER];
        const routeKey =
          body.routeKey ?? (typeof header === 'string' && header.length > 0 ? header : undefined);
        const times = eventTimes.check(ctx, body.time, body.inputs.length);
        const result = await predictions.predict(ctx, params.name, {
          input: { kind: 'named', rows: body.inputs },
          routeKey,
          tags: body.tags,
          traceId: body.traceId,
          ...(times ? { times } : {}),
        });
        return {
          endpoint: result.endpoint,
          predictions: result.predictions.map(({ tensors: _, ...p }) => p),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/endpoints/:name/shadows',
      permission: 'endpoints:read',
      summary: "Each shadow's agreement with the primary (labels or scores) and latency difference",
      tag: 'endpoints',
      params: EndpointParams,
      response: ShadowReportList,
      handler: async ({ ctx, params }) => {
        const endpoint = await endpoints.record(ctx.principal.projectId, params.name);
        return { endpoint: endpoint.name, shadows: await shadows.report(endpoint) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/endpoints/:name/review-queue',
      permission: 'endpoints:read',
      summary: 'Predictions whose confidence fell below the review threshold, oldest first',
      tag: 'endpoints',
      params: EndpointParams,
      query: ListReviewQueue,
      response: Page(ReviewItem),
      handler: ({ ctx, params, query }) => reviews.list(ctx, params.name, query),
    }),
  ];
}
