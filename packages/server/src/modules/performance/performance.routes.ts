import { EndpointPerformance, PerformanceQuery } from '@plumb/sdk';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { PerformanceService } from './performance.service.js';

const EndpointParams = z.object({ name: z.string().min(1).max(200) }).strict();

export function performanceRoutes(services: { performance: PerformanceService }): RouteSpec[] {
  const { performance } = services;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/endpoints/:name/performance',
      permission: 'performance:read',
      summary:
        "An endpoint's performance per window and model version: realised from feedback, estimated before it (CBPE), latency, errors, fallbacks, cost and tokens",
      tag: 'performance',
      params: EndpointParams,
      query: PerformanceQuery,
      response: EndpointPerformance,
      handler: ({ ctx, params, query }) => performance.endpointPerformance(ctx, params.name, query),
    }),
  ];
}
