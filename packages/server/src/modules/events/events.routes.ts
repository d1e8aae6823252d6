import {
  FeedbackResult,
  InferenceEvent,
  ListEvents,
  Page,
  PostEvents,
  PostFeedback,
  RecordedEvents,
} from '@plumb/sdk';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { EventsService } from './events.service.js';

// 10,000 events with small inputs and outputs run to a few MB of JSON.
const BATCH_BODY_LIMIT = 32 * 1024 * 1024;

export function eventsRoutes(services: { events: EventsService }): RouteSpec[] {
  const { events } = services;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/events',
      permission: 'events:write',
      summary:
        'Record predictions made outside Plumb (up to 10,000): all or nothing, answered once committed',
      tag: 'events',
      bodyLimitBytes: BATCH_BODY_LIMIT,
      body: PostEvents,
      response: RecordedEvents,
      status: 201,
      handler: async ({ ctx, body }) => ({ ids: await events.recordFromApi(ctx, body.events) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/events',
      permission: 'events:read',
      summary: 'List inference events by endpoint, model version, arm, time and tag, newest first',
      tag: 'events',
      query: ListEvents,
      response: Page(InferenceEvent),
      handler: ({ ctx, query }) => events.list(ctx, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/feedback',
      permission: 'feedback:write',
      summary: "Attach ground truth to predictions by id; ids unknown in the caller's project come back",
      tag: 'events',
      bodyLimitBytes: BATCH_BODY_LIMIT,
      body: PostFeedback,
      response: FeedbackResult,
      handler: ({ ctx, body }) => events.feedback(ctx, body.feedback),
    }),
  ];
}
