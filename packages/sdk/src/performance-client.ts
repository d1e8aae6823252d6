import type { z } from 'zod';
import { EndpointPerformance, type PerformanceQuery } from './schemas/performance.js';
import type { Query } from './transport.js';

type Request = <S extends z.ZodType>(
  method: string,
  path: string,
  options: { body?: unknown; query?: Query; schema: S; timeoutMs?: number },
) => Promise<z.infer<S>>;

/** The performance route as a typed method; PlumbClient exposes it as `client.performance`. */
export function performanceMethods(client: { request: Request }) {
  return {
    /** Per window and model version: realised, estimated (CBPE) and traffic figures. */
    endpoint: (name: string, query: PerformanceQuery = {}) =>
      client.request('GET', `/api/v1/endpoints/${encodeURIComponent(name)}/performance`, {
        query: { ...query },
        schema: EndpointPerformance,
      }),
  };
}
