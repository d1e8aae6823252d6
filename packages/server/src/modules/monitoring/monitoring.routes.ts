import {
  Coverage,
  CoverageQuery,
  CreateMonitor,
  DriftQuery,
  DriftReport,
  DriftSeries,
  Monitor,
  MonitorList,
  MonitorStatus,
  SeriesQuery,
  StatusQuery,
} from '@plumb/sdk';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { MonitorViews } from './monitor-views.service.js';
import type { MonitorsService } from './monitors.service.js';

const MonitorParams = z.object({ id: z.string().min(1).max(64) });
const EndpointParams = z.object({ name: z.string().min(1).max(200) });
const ListQuery = z.object({ endpoint: z.string().min(1).max(200).optional() }).strict();

export function monitoringRoutes(services: {
  monitors: MonitorsService;
  monitorViews: MonitorViews;
}): RouteSpec[] {
  const { monitors, monitorViews: views } = services;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/monitors',
      permission: 'monitors:write',
      summary:
        "Monitor an endpoint's inputs and outputs against a reference (default: the served version's training data)",
      tag: 'monitoring',
      body: CreateMonitor,
      response: Monitor,
      status: 201,
      handler: ({ ctx, body }) =>
        monitors.create(ctx, {
          endpoint: body.endpoint,
          reference: body.reference,
          windowMs: body.window,
          features: body.features,
          overrides: body.overrides,
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors',
      permission: 'monitors:read',
      summary: 'List monitors, optionally of one endpoint',
      tag: 'monitoring',
      query: ListQuery,
      response: MonitorList,
      handler: async ({ ctx, query }) => ({ items: await monitors.list(ctx, query.endpoint) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id',
      permission: 'monitors:read',
      summary: 'A monitor: its reference, window and each feature’s test and threshold',
      tag: 'monitoring',
      params: MonitorParams,
      response: Monitor,
      handler: ({ ctx, params }) => monitors.get(ctx, params.id),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/monitors/:id',
      permission: 'monitors:write',
      summary: 'Delete a monitor and its per-window results (profiles stay)',
      tag: 'monitoring',
      params: MonitorParams,
      response: Monitor,
      handler: ({ ctx, params }) => monitors.delete(ctx, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id/drift',
      permission: 'monitors:read',
      summary:
        'Drift of a time range from stored profiles: per feature test, statistic, threshold and verdict',
      tag: 'monitoring',
      params: MonitorParams,
      query: DriftQuery,
      response: DriftReport,
      handler: ({ ctx, params, query }) => views.drift(ctx.principal.projectId, params.id, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id/series',
      permission: 'monitors:read',
      summary: 'Per-window drift, bucketed on the server (min, max and last per bucket) for charts',
      tag: 'monitoring',
      params: MonitorParams,
      query: SeriesQuery,
      response: DriftSeries,
      handler: ({ ctx, params, query }) => views.series(ctx.principal.projectId, params.id, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/endpoints/:name/monitoring',
      permission: 'monitors:read',
      summary: "Every monitor of an endpoint over a range, with each model version's training–serving skew",
      tag: 'monitoring',
      params: EndpointParams,
      query: StatusQuery,
      response: MonitorStatus,
      handler: ({ ctx, params, query }) => views.status(ctx.principal.projectId, params.name, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/endpoints/:name/coverage',
      permission: 'monitors:read',
      summary:
        'Each value of a field: its share of production traffic next to its share of the training data',
      tag: 'monitoring',
      params: EndpointParams,
      query: CoverageQuery,
      response: Coverage,
      handler: ({ ctx, params, query }) => views.coverage(ctx.principal.projectId, params.name, query),
    }),
  ];
}
