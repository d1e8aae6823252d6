import {
  Alert,
  AlertEvaluation,
  AlertRule,
  AlertWithDeliveries,
  CreateAlertRule,
  EvaluateAlerts,
  ListAlerts,
  Page,
} from '@plumb/sdk';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { AlertsService } from './alerts.service.js';

const RuleParams = z.object({ rule: z.string().min(1).max(100) }).strict();
const AlertParams = z.object({ id: z.string().min(1).max(64) }).strict();

export function alertsRoutes(services: { alerts: AlertsService }): RouteSpec[] {
  const { alerts } = services;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/alert-rules',
      permission: 'alerts:write',
      summary: 'Create a rule on a monitored value: threshold, consecutive windows, optional signed webhook',
      tag: 'alerts',
      body: CreateAlertRule,
      response: AlertRule,
      status: 201,
      handler: ({ ctx, body }) => alerts.createRule(ctx, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/alert-rules',
      permission: 'alerts:read',
      summary: "The project's alert rules by name",
      tag: 'alerts',
      response: Page(AlertRule),
      handler: ({ ctx }) => alerts.listRules(ctx),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/alert-rules/:rule',
      permission: 'alerts:write',
      summary: 'Delete an alert rule (by id or name); its alerts stay',
      tag: 'alerts',
      params: RuleParams,
      response: AlertRule,
      handler: ({ ctx, params }) => alerts.deleteRule(ctx, params.rule),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/alerts',
      permission: 'alerts:read',
      summary: 'Alerts newest first, by status and rule',
      tag: 'alerts',
      query: ListAlerts,
      response: Page(Alert),
      handler: ({ ctx, query }) => alerts.list(ctx, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/alerts/evaluate',
      permission: 'alerts:write',
      summary: "Evaluate the project's rules now, as the schedule does, or as if the present were `at`",
      tag: 'alerts',
      query: EvaluateAlerts,
      response: AlertEvaluation,
      handler: ({ ctx, query }) => alerts.evaluateProject(ctx, query.at),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/alerts/:id',
      permission: 'alerts:read',
      summary: 'An alert with every attempt to deliver its notifications',
      tag: 'alerts',
      params: AlertParams,
      response: AlertWithDeliveries,
      handler: ({ ctx, params }) => alerts.get(ctx, params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/alerts/:id/ack',
      permission: 'alerts:ack',
      summary: 'Acknowledge an open alert',
      tag: 'alerts',
      params: AlertParams,
      response: Alert,
      handler: ({ ctx, params }) => alerts.acknowledge(ctx, params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/alerts/:id/resolve',
      permission: 'alerts:ack',
      summary: 'Resolve an alert by hand; the same run of windows never opens it again',
      tag: 'alerts',
      params: AlertParams,
      response: Alert,
      handler: ({ ctx, params }) => alerts.resolve(ctx, params.id),
    }),
  ];
}
