import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Permission, PermissionTable } from '../core/auth/permissions.js';
import type { Authenticated, RequestContext } from '../core/context.js';
import { PlumbError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { toPlumbError } from './error-mapping.js';
import { STATUS_OF } from './error-status.js';
import type { Metrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { requestLogger } from './request-logger.js';
import type { RouteSpec } from './route.js';
import { parseInput } from './validation.js';
import { registerWebStatic, type WebAssets } from './web-static.js';

export interface AppOptions {
  routes: RouteSpec[];
  /** Who may do what; every route's permission must be declared in it. */
  permissions: PermissionTable;
  /** The key's principal and the change stamp its check read; null for an unknown or revoked key. */
  authenticate(secret: string): Promise<Authenticated | null>;
  /** Throws when the database is unreachable. */
  checkReady(): Promise<void>;
  metrics: Metrics;
  bodyLimitBytes: number;
  /** A socket that sends nothing for this long is closed (default 30 s). */
  idleTimeoutMs?: number;
  /** Longest a whole request, body included, may take (default one hour). */
  requestTimeoutMs?: number;
  logger: FastifyServerOptions['logger'] | false;
  version: string;
  /** The built web UI, served at every non-API path; null or absent: API only. */
  web?: WebAssets | null;
}

/** Paths served without a key. Everything else needs one. */
export const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

declare module 'fastify' {
  interface FastifyRequest {
    plumb: RequestContext | null;
  }
  interface FastifyInstance {
    /** Every route registered on this app, public ones included, for the permission test. */
    registeredRoutes: { method: string; url: string; permission: string | undefined; public: boolean }[];
  }
  interface FastifyContextConfig {
    permission?: Permission;
    /** Served without a key: the route authenticates its caller itself. */
    public?: boolean;
    errorBody?: RouteSpec['errorBody'];
  }
}

export function buildApp(options: AppOptions): FastifyInstance {
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 3_600_000;
  const app = Fastify({
    logger: options.logger,
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => newId('req'),
    childLoggerFactory: requestLogger,
    // Closes idle keep-alive sockets on shutdown so SIGTERM does not wait for clients.
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    // Without these a client that promises a large body and stops sending holds the socket, and
    // the upload's temp file, for good: the idle timeout closes it, the stream errors and the
    // blob store removes the partial file.
    connectionTimeout: idleTimeoutMs,
    requestTimeout: requestTimeoutMs,
  });
  // Headers come first and are small; a client that trickles them is treated as idle.
  app.server.headersTimeout = Math.min(idleTimeoutMs, requestTimeoutMs);
  // The idle timeout is for a client that stops sending or reading. While a request that has
  // fully arrived is being worked on (a long dataset scan) the silence is the server's, so the
  // socket stays open until the answer starts.
  const inFlight = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  app.server.on('timeout', (socket: Socket) => {
    const current = inFlight.get(socket);
    if (current?.req.complete && !current.res.headersSent) return;
    socket.destroy();
  });
  app.decorateRequest('plumb', null);
  const registered: FastifyInstance['registeredRoutes'] = [];
  app.decorate('registeredRoutes', registered);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      registered.push({
        method,
        url: route.url,
        permission: route.config?.permission,
        public: PUBLIC_PATHS.has(route.url) || route.config?.public === true,
      });
    }
  });

  // An empty body with a JSON content type is treated as no body: many clients send the header
  // on every POST. Malformed JSON still fails with invalid_argument.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    defaultJson(request, body as string, done);
  });

  // Uploads stream straight to storage: the parser hands over the socket stream untouched, so
  // no upload is ever held in memory and the JSON body limit does not apply to it.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  if (options.web) registerWebStatic(app, options.web);
  app.addHook('onRequest', async (request, reply) => {
    inFlight.set(request.raw.socket, { req: request.raw, res: reply.raw });
    reply.header('x-request-id', request.id);
    const query = request.url.indexOf('?');
    if (PUBLIC_PATHS.has(query === -1 ? request.url : request.url.slice(0, query))) return;
    if (request.routeOptions.config.public) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new PlumbError('unauthenticated', 'send an API key as "Authorization: Bearer <key>"');
    const checked = await options.authenticate(match[1]!);
    if (!checked) throw new PlumbError('unauthenticated', 'the API key is unknown or revoked');
    const { principal, readAt } = checked;
    request.plumb = { principal, requestId: request.id, readAt };
    const permission = request.routeOptions.config.permission;
    if (permission && !options.permissions.allows(principal.role, permission)) {
      throw new PlumbError(
        'permission_denied',
        `the ${principal.role} role may not ${permission.replace(':', ' ')}`,
        {
          details: { permission, role: principal.role },
        },
      );
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    options.metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler(async (error, request, reply) => {
    const plumbError = toPlumbError(error);
    const status = STATUS_OF[plumbError.code];
    if (status >= 500) request.log.error({ err: error }, plumbError.message);
    else request.log.info({ code: plumbError.code }, plumbError.message);
    const own = request.routeOptions.config?.errorBody?.(plumbError);
    return reply
      .status(status)
      .type('application/json')
      .send(own === undefined ? plumbError.toEnvelope() : own);
  });

  const prefixBodies = errorBodiesByPrefix(options.routes);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const error = new PlumbError('not_found', `no route ${request.method} ${path}`);
    const own = prefixBodies.get(firstSegment(path))?.(error);
    return reply.status(404).send(own === undefined ? error.toEnvelope() : own);
  });

  app.get('/healthz', async () => ({ status: 'ok', checks: { process: 'ok' } }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await options.checkReady();
      return { status: 'ok', checks: { database: 'ok' } };
    } catch (error) {
      return reply.status(503).send({ status: 'unavailable', checks: { database: String(error) } });
    }
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });

  const openapi = buildOpenApi(options.routes, options.version);
  app.get('/api/v1/openapi.json', { config: { permission: 'self:read' } }, async () => openapi);

  for (const spec of options.routes) {
    if (spec.permission !== 'public' && !options.permissions.has(spec.permission)) {
      throw new TypeError(`${spec.method} ${spec.url} needs ${spec.permission}, which no module declares`);
    }
    registerRoute(app, spec);
  }
  return app;
}

function firstSegment(path: string): string {
  return `/${path.split('/')[1] ?? ''}`;
}

/**
 * The error shape of each first path segment whose routes all answer errors in one shape of their
 * own (`/v2`, the Open Inference Protocol's): an unmatched path there answers its 404 in that
 * shape too, as a client of that protocol expects.
 */
function errorBodiesByPrefix(routes: RouteSpec[]): Map<string, NonNullable<RouteSpec['errorBody']>> {
  const shapes = new Map<string, RouteSpec['errorBody'] | null>();
  for (const spec of routes) {
    const prefix = firstSegment(spec.url);
    const seen = shapes.get(prefix);
    shapes.set(prefix, seen === undefined || seen === spec.errorBody ? (spec.errorBody ?? null) : null);
  }
  const bodies = new Map<string, NonNullable<RouteSpec['errorBody']>>();
  for (const [prefix, body] of shapes) if (body) bodies.set(prefix, body);
  return bodies;
}

/** The context a public route's handler gets: there is no key, and reading one is a bug. */
const NO_KEY = new Proxy({} as RequestContext, {
  get: () => {
    throw new PlumbError('internal', 'a public route read the caller of a request that has no API key');
  },
});

function registerRoute(app: FastifyInstance, spec: RouteSpec): void {
  app.route({
    method: spec.method,
    url: spec.url,
    config: {
      ...(spec.permission === 'public' ? { public: true } : { permission: spec.permission }),
      ...(spec.errorBody ? { errorBody: spec.errorBody } : {}),
    },
    ...(spec.bodyLimitBytes ? { bodyLimit: spec.bodyLimitBytes } : {}),
    ...(spec.rawBody === 'any'
      ? {
          preParsing: async (request: FastifyRequest, _reply: unknown, payload: Readable) => {
            request.headers['content-type'] = 'application/octet-stream';
            return payload;
          },
        }
      : {}),
    handler: async (request, reply) => {
      const ctx = request.plumb ?? (spec.permission === 'public' ? NO_KEY : null);
      if (!ctx) throw new PlumbError('unauthenticated', 'authentication is required');
      const params = spec.params ? parseInput('path', spec.params, request.params) : undefined;
      const query = spec.query ? parseInput('query', spec.query, request.query) : undefined;
      if (
        spec.rawBody === true &&
        !String(request.headers['content-type'] ?? '').startsWith('application/octet-stream')
      ) {
        throw new PlumbError(
          'invalid_argument',
          `${spec.method} ${spec.url} takes an application/octet-stream body`,
        );
      }
      const body = spec.rawBody
        ? request.body
        : spec.body
          ? parseInput('body', spec.body, request.body ?? {})
          : undefined;
      if (!spec.body && !spec.rawBody && request.body !== undefined && request.body !== null) {
        throw new PlumbError('invalid_argument', `${spec.method} ${spec.url} takes no body`);
      }
      const result = await spec.handler({ params, query, body, ctx, request, reply });
      // A handler may choose its own status (e.g. 200 for an add that found identical content).
      if (spec.status !== undefined && reply.statusCode === 200) reply.status(spec.status);
      return result;
    },
  });
}
