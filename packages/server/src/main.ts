import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { sql } from 'kysely';
import { AuditService } from './core/audit/audit.service.js';
import { PermissionTable } from './core/auth/permissions.js';
import { type Clock, systemClock } from './core/clock.js';
import type { Config } from './core/config.js';
import { ProcessSecrets } from './core/secrets.js';
import { buildApp } from './http/app.js';
import { Metrics } from './http/metrics.js';
import type { RouteSpec } from './http/route.js';
import { loadWebAssets } from './http/web-static.js';
import type { Infra, PlumbModule } from './module.js';
import { MODULES } from './modules.js';
import { ModelRuntime } from './runtime/model-runtime.js';
import { AnalyticsEngine } from './storage/analytics/duckdb-engine.js';
import { openBlobStore } from './storage/blob/blob-store-factory.js';
import { FileBlobStore } from './storage/blob/file-blob-store.js';
import { type Db, ensurePostgresSchema, openDatabase } from './storage/database.js';
import { type MigrationSet, migrateToLatest } from './storage/migrations/index.js';
import type { JobQueue } from './storage/queue/job-queue.js';
import { openJobQueue } from './storage/queue/job-queue-factory.js';
import { jobsMigrations } from './storage/queue/jobs.migrations.js';
import { Worker } from './storage/queue/worker.js';
import { VERSION } from './version.js';

type Provided<M> = M extends PlumbModule<infer P, never> ? P : never;
type Intersect<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Every module's services by name, and the job queue. */
export type Services = Intersect<Provided<(typeof MODULES)[number]>> & { jobs: JobQueue };

/** The job queue's tables come first (storage's own); then each module's, in module order. */
export function migrationSets(
  modules: readonly PlumbModule[] = MODULES as readonly PlumbModule[],
): MigrationSet[] {
  return [
    { owner: 'jobs', migrations: jobsMigrations },
    ...modules.map((m) => ({ owner: m.name, migrations: m.migrations ?? {} })),
  ];
}

/** Applies every pending migration of every module. */
export function migrate(db: Db): Promise<string[]> {
  return migrateToLatest(db.kysely, migrationSets(), db.schema);
}

export interface Plumb {
  config: Config;
  db: Db;
  services: Services;
  app: FastifyInstance;
  /** Every API route, as specified (permission, schemas). */
  routes: RouteSpec[];
  permissions: PermissionTable;
  metrics: Metrics;
  /** The in-process background worker; `plumb serve` and `plumb worker` start it. */
  worker: Worker;
  /** Stops accepting requests, lets in-flight ones finish, then closes storage. */
  close(): Promise<void>;
}

export interface PlumbOptions {
  clock?: Clock;
  logger?: FastifyServerOptions['logger'] | false;
  /** Use an already opened database (tests share one across apps). */
  db?: Db;
  /**
   * This event loop serves HTTP while background jobs run elsewhere (`plumb serve`'s job thread,
   * `plumb worker` processes): CPU-heavy request work is enqueued as jobs instead of done here.
   */
  jobsRunElsewhere?: boolean;
}

/**
 * The composition root: the only place that picks adapters, from configuration, and hands
 * them to the modules, which are created, routed and given their jobs in the order of MODULES.
 */
export async function createPlumb(config: Config, options: PlumbOptions = {}): Promise<Plumb> {
  const modules = MODULES as readonly PlumbModule[];
  const clock = options.clock ?? systemClock;
  if (!options.db && config.databaseSchema && /^postgres(ql)?:/.test(config.databaseUrl)) {
    await ensurePostgresSchema(config.databaseUrl, config.databaseSchema);
  }
  const db = options.db ?? openDatabase(config.databaseUrl, { schema: config.databaseSchema });
  await migrate(db);

  const blobs = await openBlobStore(config.blobUrl);
  // DuckDB may read the blob files and nothing else.
  const engine = await AnalyticsEngine.open({
    allowedDirectories: blobs instanceof FileBlobStore ? [blobs.root] : [],
  });
  const opened = await openJobQueue(config, db, clock);
  const jobs = opened.queue;
  const permissions = new PermissionTable(modules.map((m) => [m.name, m.permissions ?? {}]));
  const metrics = new Metrics();
  const infra: Infra = {
    config,
    db,
    audit: new AuditService(db, clock),
    clock,
    blobs,
    engine,
    jobs,
    permissions,
    jobsRunElsewhere: options.jobsRunElsewhere === true,
    models: new ModelRuntime(blobs),
    metrics,
    // Read at each call, so a key set or rotated in the environment or the folder applies at once.
    secrets: new ProcessSecrets(process.env, join(config.home, 'secrets')),
  };

  const created = new Map<PlumbModule, object>();
  const provided: Record<string, unknown> = { jobs };
  // Ports are looked up when used, so a module may take a later module's service as long as it
  // only calls it after start-up; a read before that fails, naming the module and the port.
  const portsFor = (m: PlumbModule) =>
    new Proxy({} as Record<string, unknown>, {
      get: (_target, name: string) => {
        if (!(name in provided)) {
          throw new Error(`module ${m.name} used ${name} before the module providing it was created`);
        }
        return provided[name];
      },
    });
  for (const m of modules) {
    const provides = m.create(infra, portsFor(m));
    created.set(m, provides);
    for (const [name, service] of Object.entries(provides)) {
      if (name in provided)
        throw new Error(`module ${m.name} provides ${name}, which another module provides`);
      provided[name] = service;
    }
  }
  for (const m of modules) {
    for (const name of m.needs ?? []) {
      if (!(name in provided)) throw new Error(`module ${m.name} needs ${name}, which no module provides`);
    }
  }
  const services = provided as Services;

  const routes = modules.flatMap((m) => m.routes?.(created.get(m)!) ?? []);
  const app = buildApp({
    routes,
    permissions,
    authenticate: (secret) => services.keys.check(secret),
    checkReady: async () => {
      await sql`select 1`.execute(db.kysely);
    },
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    idleTimeoutMs: config.httpIdleTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    logger: options.logger ?? { level: config.logLevel },
    version: VERSION,
    web: loadWebAssets(),
  });

  const worker = new Worker({
    queue: jobs,
    logger: app.log,
    concurrency: config.workerConcurrency,
    leaseMs: config.workerLeaseMs,
  });
  for (const m of modules) {
    for (const [queue, handler] of Object.entries(m.jobs?.(created.get(m)!) ?? {}))
      worker.register(queue, handler);
  }
  for (const m of modules) {
    for (const [name, spec] of Object.entries(m.schedules ?? {})) await jobs.schedule(name, spec);
  }

  let closed = false;
  return {
    config,
    db,
    services,
    app,
    routes,
    permissions,
    metrics,
    worker,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await worker.stop();
      await opened.close();
      for (const m of [...modules].reverse()) await m.close?.(created.get(m)!);
      await infra.models.close();
      engine.close();
      if (!options.db) await db.close();
    },
  };
}
