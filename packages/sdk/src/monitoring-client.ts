import type { z } from 'zod';
import {
  Coverage,
  type CoverageQuery,
  type CreateMonitor,
  type DriftQuery,
  DriftReport,
  DriftSeries,
  Monitor,
  MonitorList,
  MonitorStatus,
  type SeriesQuery,
  type StatusQuery,
} from './schemas/monitoring.js';
import type { Query } from './transport.js';

type Request = <S extends z.ZodType>(
  method: string,
  path: string,
  options: { body?: unknown; query?: Query; schema: S; timeoutMs?: number },
) => Promise<z.infer<S>>;

/** Building a monitor's reference reads the whole reference dataset version. */
const CREATE_TIMEOUT_MS = 10 * 60 * 1000;

/** The monitoring routes as typed methods; PlumbClient exposes them as `client.monitors`. */
export function monitoringMethods(client: { request: Request }) {
  const request: Request = (method, path, options) => client.request(method, path, options);
  const monitor = (id: string) => `/api/v1/monitors/${encodeURIComponent(id)}`;
  const endpoint = (name: string) => `/api/v1/endpoints/${encodeURIComponent(name)}`;
  return {
    create: (body: CreateMonitor) =>
      request('POST', '/api/v1/monitors', { body, schema: Monitor, timeoutMs: CREATE_TIMEOUT_MS }),
    list: (query: { endpoint?: string } = {}) =>
      request('GET', '/api/v1/monitors', { query, schema: MonitorList }),
    get: (id: string) => request('GET', monitor(id), { schema: Monitor }),
    delete: (id: string) => request('DELETE', monitor(id), { schema: Monitor }),
    drift: (id: string, query: DriftQuery) =>
      request('GET', `${monitor(id)}/drift`, { query, schema: DriftReport }),
    series: (id: string, query: SeriesQuery) =>
      request('GET', `${monitor(id)}/series`, { query, schema: DriftSeries }),
    status: (name: string, query: StatusQuery = {}) =>
      request('GET', `${endpoint(name)}/monitoring`, { query, schema: MonitorStatus }),
    coverage: (name: string, query: CoverageQuery) =>
      request('GET', `${endpoint(name)}/coverage`, { query, schema: Coverage }),
  };
}
