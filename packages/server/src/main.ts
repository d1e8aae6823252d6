import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { sql } from 'kysely';
import { AuditService } from './core/audit/audit.service.js';
import { type Clock, systemClock } from './core/clock.js';
import type { Config } from './core/config.js';
import { buildApp } from './http/app.js';
import { Metrics } from './http/metrics.js';
import type { RouteSpec } from './http/route.js';
import { accessRoutes } from './modules/access/access.routes.js';
import { KeysService } from './modules/access/keys.service.js';
import { ProjectsService } from './modules/access/projects.service.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { type Db, openDatabase } from './storage/database.js';
import { migrateToLatest } from './storage/migrations/index.js';
import { VERSION } from './version.js';

export interface Services {
  audit: AuditService;
  projects: ProjectsService;
  keys: KeysService;
}

export interface Plumb {
  config: Config;
  db: Db;
  services: Services;
  app: FastifyInstance;
  /** Every API route, as specified (permission, schemas). */
  routes: RouteSpec[];
  metrics: Metrics;
  /** Stops accepting requests, lets in-flight ones finish, then closes storage. */
  close(): Promise<void>;
}

export interface PlumbOptions {
  clock?: Clock;
  logger?: FastifyServerOptions['logger'] | false;
  /** Use an already opened database (tests share one across apps). */
  db?: Db;
}

/**
 * The composition root: the only place that picks adapters, from configuration, and hands
 * them to the modules.
 */
export async function createPlumb(config: Config, options: PlumbOptions = {}): Promise<Plumb> {
  const clock = options.clock ?? systemClock;
  const db = options.db ?? openDatabase(config.databaseUrl);
  await migrateToLatest(db.kysely);

  const audit = new AuditService(db, clock);
  const projects = new ProjectsService(db, audit, clock);
  const keys = new KeysService(db, projects, audit, clock);
  const services: Services = { audit, projects, keys };

  const metrics = new Metrics();
  const routes = [...accessRoutes(services), ...auditRoutes(services)];
  const app = buildApp({
    routes,
    authenticate: (secret) => keys.authenticate(secret),
    checkReady: async () => {
      await sql`select 1`.execute(db.kysely);
    },
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    logger: options.logger ?? { level: config.logLevel },
    version: VERSION,
  });

  let closed = false;
  return {
    config,
    db,
    services,
    app,
    routes,
    metrics,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (!options.db) await db.close();
    },
  };
}
