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
import { blobRoutes } from './modules/blobs/blobs.routes.js';
import { DatasetAnalysisService } from './modules/datasets/dataset-analysis.service.js';
import { datasetRoutes } from './modules/datasets/datasets.routes.js';
import { DatasetsService } from './modules/datasets/datasets.service.js';
import { evalRoutes } from './modules/evals/evals.routes.js';
import { EVAL_RUN_QUEUE, EvalsService } from './modules/evals/evals.service.js';
import { EvalGateLookup } from './modules/evals/gate-lookup.js';
import { createRegistry, type Registry } from './modules/registry/registry.js';
import { registryRoutes } from './modules/registry/registry.routes.js';
import { runsRoutes } from './modules/runs/runs.routes.js';
import { RunsService } from './modules/runs/runs.service.js';
import { AnalyticsEngine } from './storage/analytics/duckdb-engine.js';
import type { BlobStore } from './storage/blob/blob-store.js';
import { openBlobStore } from './storage/blob/blob-store-factory.js';
import { FileBlobStore } from './storage/blob/file-blob-store.js';
import { type Db, openDatabase } from './storage/database.js';
import { migrateToLatest } from './storage/migrations/index.js';
import { DbJobQueue } from './storage/queue/db-job-queue.js';
import { Worker } from './storage/queue/worker.js';
import { VERSION } from './version.js';

export interface Services {
  audit: AuditService;
  projects: ProjectsService;
  keys: KeysService;
  runs: RunsService;
  blobs: BlobStore;
  jobs: DbJobQueue;
  datasets: DatasetsService;
  datasetAnalysis: DatasetAnalysisService;
  evals: EvalsService;
  registry: Registry;
}

/** Queue of the background job that profiles large dataset versions. */
export const PROFILE_QUEUE = 'dataset.profile';

export interface Plumb {
  config: Config;
  db: Db;
  services: Services;
  app: FastifyInstance;
  /** Every API route, as specified (permission, schemas). */
  routes: RouteSpec[];
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
}

/**
 * The composition root: the only place that picks adapters, from configuration, and hands
 * them to the modules.
 */
export async function createPlumb(config: Config, options: PlumbOptions = {}): Promise<Plumb> {
  const clock = options.clock ?? systemClock;
  const db = options.db ?? openDatabase(config.databaseUrl);
  await migrateToLatest(db.kysely, db.schema);

  const audit = new AuditService(db, clock);
  const projects = new ProjectsService(db, audit, clock);
  const keys = new KeysService(db, projects, audit, clock);
  const blobStore = await openBlobStore(config.blobUrl);
  const blobs = async () => blobStore;
  if (!(blobStore instanceof FileBlobStore)) throw new Error('dataset scans need a file blob store');
  const fileBlobs = blobStore;
  // DuckDB may read the blob files and nothing else.
  const engine = await AnalyticsEngine.open({ allowedDirectories: [fileBlobs.root] });
  const jobs = new DbJobQueue(db, { clock });
  const datasets = new DatasetsService({
    db,
    audit,
    clock,
    blobs: blobStore,
    engine,
    localPath: (ref) => fileBlobs.localPath(ref),
    scheduleProfile: async (trx, versionId) => {
      await jobs.enqueue(PROFILE_QUEUE, { versionId }, { dedupeKey: `profile:${versionId}` }, trx);
    },
  });
  const datasetAnalysis = new DatasetAnalysisService({ db, audit, clock, engine, datasets });
  // Until the datasets module replaces it, this resolver rejects every input dataset reference.
  const runs = new RunsService(
    db,
    audit,
    clock,
    {
      resolve: async (projectId, ref) => {
        const row = await datasets.resolve(projectId, ref);
        return { id: row.id, ref: `${row.dataset_name}@v${row.version}` };
      },
      recordConsumer: (trx, versionId, consumer) => datasets.recordConsumer(trx, versionId, consumer),
    },
    { stat: async (ref) => (await blobs()).stat(ref) },
  );
  const registry = createRegistry({
    db,
    audit,
    clock,
    runs,
    datasets: {
      get: (ctx, ref) => datasets.get(ctx, ref),
      recordConsumer: (trx, versionId, consumer) => datasets.recordConsumer(trx, versionId, consumer),
      lineage: (ctx, ref) => datasetAnalysis.lineage(ctx, ref),
    },
    blobs: blobStore,
    // Reads gate decisions from the database only, so it exists before the evaluations service
    // (which resolves model versions through the registry).
    gates: new EvalGateLookup(db),
  });
  const evals = new EvalsService({
    db,
    audit,
    clock,
    models: registry.models,
    datasets,
    engine,
    blobs: blobStore,
    jobs,
  });
  const services: Services = {
    audit,
    projects,
    keys,
    runs,
    blobs: blobStore,
    jobs,
    datasets,
    datasetAnalysis,
    evals,
    registry,
  };

  const metrics = new Metrics();
  // Delivery is at least once: profiling twice stores the same profile.
  const registerJobs = (worker: Worker) =>
    worker
      .register<{ versionId: string }, { versionId: string }>(PROFILE_QUEUE, async (job, context) => {
        await datasets.profileVersion(job.payload.versionId, (rows) => context.progress({ rows }));
        return { versionId: job.payload.versionId };
      })
      // Idempotent too: an ended run is left alone, one caught mid-way starts over.
      .register<{ evalRunId: string }, { evalRunId: string }>(EVAL_RUN_QUEUE, async (job, context) => {
        await evals.execute(job.payload.evalRunId, {
          onProgress: (rows) => context.progress({ rows }),
          signal: context.signal,
          finalAttempt: job.attempts >= job.maxAttempts,
        });
        return { evalRunId: job.payload.evalRunId };
      });
  const routes = [
    ...accessRoutes(services),
    ...auditRoutes(services),
    ...runsRoutes(services),
    ...blobRoutes(services),
    ...datasetRoutes(services),
    ...evalRoutes(services),
    ...registryRoutes(services),
  ];
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

  const worker = registerJobs(
    new Worker({ queue: jobs, logger: app.log, concurrency: config.workerConcurrency }),
  );

  let closed = false;
  return {
    config,
    db,
    services,
    app,
    routes,
    metrics,
    worker,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await worker.stop();
      await evals.close();
      engine.close();
      if (!options.db) await db.close();
    },
  };
}
