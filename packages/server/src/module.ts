import type { Role } from '@plumb/sdk';
import type { Command } from 'commander';
import type { Migration } from 'kysely';
import type { AuditService } from './core/audit/audit.service.js';
import type { PermissionTable } from './core/auth/permissions.js';
import type { Clock } from './core/clock.js';
import type { Config } from './core/config.js';
import type { SecretSource } from './core/secrets.js';
import type { Metrics } from './http/metrics.js';
import type { RouteSpec } from './http/route.js';
import type { ModelRuntime } from './runtime/model-runtime.js';
import type { AnalyticsEngine } from './storage/analytics/duckdb-engine.js';
import type { BlobStore } from './storage/blob/blob-store.js';
import type { Db } from './storage/database.js';
import type { JobQueue, ScheduleSpec } from './storage/queue/job-queue.js';
import type { JobHandler } from './storage/queue/worker.js';

/** What every module may use: the adapters `main.ts` picked, and the permission table. */
export interface Infra {
  config: Config;
  db: Db;
  audit: AuditService;
  clock: Clock;
  blobs: BlobStore;
  engine: AnalyticsEngine;
  jobs: JobQueue;
  permissions: PermissionTable;
  /** This thread's ONNX models, each loaded once and shared by the modules that run them. */
  models: ModelRuntime;
  /** Background jobs run off this event loop, which serves HTTP: see PlumbOptions.jobsRunElsewhere. */
  jobsRunElsewhere: boolean;
  /** This instance's Prometheus metrics (/metrics). */
  metrics: Metrics;
  /** Upstreams' API keys, read by reference when a call is made. */
  secrets: SecretSource;
}

/**
 * One capability: everything the rest of Plumb needs to know of it. `main.ts` applies the
 * migrations in module order, creates the services in module order (a module's `needs` name
 * services of earlier modules, or of later ones when read only after start-up), mounts the
 * routes, registers the job handlers, and the CLI adds the commands.
 */
export interface PlumbModule<Provides extends object = object, Needs extends object = object> {
  name: string;
  /** Migrations named `<module>/NNNN_what`, applied in name order within the module. */
  migrations?: Record<string, Migration>;
  /** Each permission the module's routes use, with the roles granted it (admin has all). */
  permissions?: Record<string, readonly Role[]>;
  /** Services of other modules this one takes as ports. */
  needs?: readonly string[];
  create(infra: Infra, ports: Needs): Provides;
  routes?(services: Provides): RouteSpec[];
  /** Background job handlers by queue name. */
  jobs?(services: Provides): Record<string, JobHandler>;
  /** Recurring jobs by schedule name, declared at every start (a kept cron keeps its next tick). */
  schedules?: Record<string, ScheduleSpec>;
  cli?(program: Command): void;
  close?(services: Provides): Promise<void> | void;
}

/** Keeps a module's types while checking it against the manifest shape. */
export function defineModule<Provides extends object, Needs extends object = object>(
  module: PlumbModule<Provides, Needs>,
): PlumbModule<Provides, Needs> {
  return module;
}
