import { ErrorEnvelope } from '@plumb/sdk';
import { z } from 'zod';
import type { RouteSpec } from './route.js';

const toSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, target: 'openapi-3.0', unrepresentable: 'any' });

const BINARY = { type: 'string', format: 'binary' };

function requestBody(route: RouteSpec): object {
  if (route.rawBody)
    return { requestBody: { required: true, content: { 'application/octet-stream': { schema: BINARY } } } };
  if (!route.body) return {};
  return {
    requestBody: {
      required: true,
      content: { 'application/json': { schema: toSchema(route.body, 'input') } },
    },
  };
}

/** OpenAPI 3.0 document generated from the same route specs and zod schemas that serve requests. */
export function buildOpenApi(routes: RouteSpec[], version: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const json = toSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, property] of Object.entries(json.properties ?? {})) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (json.required ?? []).includes(name),
          schema: property,
        });
      }
    }
    const status = String(route.status ?? 200);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(route.permission === 'public'
        ? { security: [] }
        : { 'x-permission': route.permission, security: [{ bearer: [] }] }),
      parameters,
      ...requestBody(route),
      responses: {
        [status]: route.binaryResponse
          ? { description: 'the bytes', content: { 'application/octet-stream': { schema: BINARY } } }
          : {
              description: 'success',
              content: { 'application/json': { schema: toSchema(route.response, 'output') } },
            },
        default: {
          description: 'error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Plumb API', version },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: toSchema(ErrorEnvelope, 'output') },
    },
    paths,
  };
}
