import type { Endpoint, RedactionMode } from '@plumb/sdk';

/** How an endpoint serves, as stored (JSON) and as the prediction path reads it. */
export interface EndpointSettings {
  routes: { target: string; weight: number }[];
  shadows: string[];
  fallback: { versions: string[]; defaultResponse: unknown };
  timeoutMs: number;
  cacheTtlMs: number;
  reviewThreshold: number | null;
  redact: Record<string, RedactionMode>;
  features: string[] | null;
}

/** An endpoint as the services see it. */
export interface EndpointRecord extends EndpointSettings {
  id: string;
  projectId: string;
  name: string;
  description: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export function toEndpoint(e: EndpointRecord): Endpoint {
  return {
    id: e.id,
    name: e.name,
    description: e.description,
    routes: e.routes,
    shadows: e.shadows,
    fallback: e.fallback,
    timeoutMs: e.timeoutMs,
    cacheTtlMs: e.cacheTtlMs,
    reviewThreshold: e.reviewThreshold,
    redact: e.redact,
    features: e.features,
    createdAt: e.createdAt,
    createdBy: e.createdBy,
    updatedAt: e.updatedAt,
  };
}

/** Every version target an endpoint names: routes, shadows and fallbacks. */
export function targetsOf(s: EndpointSettings): string[] {
  return [...new Set([...s.routes.map((r) => r.target), ...s.shadows, ...s.fallback.versions])];
}
