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
import { runsRoutes } from './modules/runs/runs.routes.js';
import { datasetsUnavailable, RunsService } from './modules/runs/runs.service.js';
import type { BlobStore } from './storage/blob/blob-store.js';
import { openBlobStore } from './storage/blob/blob-store-factory.js';
import { type Db, openDatabase } from './storage/database.js';
import { migrateToLatest } from './storage/migrations/index.js';
import { VERSION } from './version.js';

export interface Services {
  audit: AuditService;
  projects: ProjectsService;
  keys: KeysService;
  runs: RunsService;
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
  // Opened on first use, so a process that never touches blobs never creates their directory.
  let blobStore: Promise<BlobStore> | undefined;
  const blobs = () => {
    blobStore ??= openBlobStore(config.blobUrl).catch((error: unknown) => {
      blobStore = undefined;
      throw error;
    });
    return blobStore;
  };
  // Until the datasets module replaces it, this resolver rejects every input dataset reference.
  const runs = new RunsService(db, audit, clock, datasetsUnavailable, {
    stat: async (ref) => (await blobs()).stat(ref),
  });
  const services: Services = { audit, projects, keys, runs };

  const metrics = new Metrics();
  const routes = [...accessRoutes(services), ...auditRoutes(services), ...runsRoutes(services)];
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
