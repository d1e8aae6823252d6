import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Permission } from '../core/auth/permissions.js';
import type { RequestContext } from '../core/context.js';
import type { PlumbError } from '../core/errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  ctx: RequestContext;
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * One API route: its permission sits next to it, its input is validated by the zod schemas of
 * the wire contract, and the same spec feeds the OpenAPI document.
 */
export interface RouteSpec<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** Fastify path syntax: `/api/v1/keys/:id/revoke`. */
  url: string;
  /**
   * What the caller's key must allow; `public`: the route takes no key and authenticates its
   * caller itself (a signed webhook), and its handler must not read `ctx`.
   */
  permission: Permission | 'public';
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Success status; 200 unless the route creates something. */
  status?: number;
  /**
   * The route takes its body as a raw `application/octet-stream` stream (uploads), passed to
   * the handler as `request.body` unparsed and never buffered; no JSON body schema applies.
   * `any`: the same stream whatever the content type (a signed webhook's signature covers the
   * bytes as sent, which parsing them as JSON would lose).
   */
  rawBody?: boolean | 'any';
  /** Largest JSON body this route accepts, when it needs more than the server's default. */
  bodyLimitBytes?: number;
  /** The route answers with bytes (`reply.send(stream)`), not JSON. */
  binaryResponse?: boolean;
  /**
   * Routes of a standard protocol (OIP v2) answer errors in its shape: the body for an error,
   * or undefined to keep Plumb's envelope (e.g. for key and permission failures).
   */
  errorBody?(error: PlumbError): unknown;
  handler(input: RouteInput<Infer<P>, Infer<Q>, Infer<B>>): Promise<z.input<R>>;
}

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType = z.ZodType,
>(spec: RouteSpec<P, Q, B, R>): RouteSpec {
  return spec as unknown as RouteSpec;
}
