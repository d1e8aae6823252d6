import type { z } from 'zod';
import {
  Alert,
  AlertEvaluation,
  AlertRule,
  AlertWithDeliveries,
  type CreateAlertRule,
  type EvaluateAlerts,
  type ListAlerts,
} from './schemas/alerts.js';
import { Page } from './schemas/common.js';
import type { Query } from './transport.js';

type Request = <S extends z.ZodType>(
  method: string,
  path: string,
  options: { body?: unknown; query?: Query; schema: S; timeoutMs?: number },
) => Promise<z.infer<S>>;

/** The alert routes as typed methods; PlumbClient exposes them as `client.alerts`. */
export function alertsMethods(client: { request: Request }) {
  const alert = (id: string) => `/api/v1/alerts/${encodeURIComponent(id)}`;
  return {
    createRule: (body: CreateAlertRule) =>
      client.request('POST', '/api/v1/alert-rules', { body, schema: AlertRule }),
    listRules: () => client.request('GET', '/api/v1/alert-rules', { schema: Page(AlertRule) }),
    /** By id or name; the rule's alerts stay. */
    deleteRule: (rule: string) =>
      client.request('DELETE', `/api/v1/alert-rules/${encodeURIComponent(rule)}`, { schema: AlertRule }),
    list: (query: ListAlerts = {}) =>
      client.request('GET', '/api/v1/alerts', { query: { ...query }, schema: Page(Alert) }),
    get: (id: string) => client.request('GET', alert(id), { schema: AlertWithDeliveries }),
    acknowledge: (id: string) => client.request('POST', `${alert(id)}/ack`, { schema: Alert }),
    resolve: (id: string) => client.request('POST', `${alert(id)}/resolve`, { schema: Alert }),
    /** Evaluates the project's rules now, as the schedule does, or as of `at`. */
    evaluate: (query: EvaluateAlerts = {}) =>
      client.request('POST', '/api/v1/alerts/evaluate', { query: { ...query }, schema: AlertEvaluation }),
  };
}
