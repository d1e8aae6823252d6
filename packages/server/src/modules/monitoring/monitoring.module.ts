import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { EventsService } from '../events/events.service.js';
import type { Registry } from '../registry/registry.js';
import type { EndpointsService } from '../serving/endpoints.service.js';
import { MonitorViews } from './monitor-views.service.js';
import { registerMonitoringCommands } from './monitoring.cli.js';
import { monitoringMigrations } from './monitoring.migrations.js';
import { monitoringRoutes } from './monitoring.routes.js';
import {
  type MonitoringPorts,
  MonitorsService,
  REFERENCE_QUEUE,
  type ReferenceJob,
  WINDOWS_QUEUE,
  type WindowsJob,
} from './monitors.service.js';
import { ProfileWriter } from './profile-writer.js';
import { ProfilesRepo } from './profiles.repo.js';

export const ROLLUP_QUEUE = 'monitoring.rollup';
export const EVALUATE_QUEUE = 'monitoring.evaluate';

export interface MonitoringNeeds {
  events: EventsService;
  registry: Registry;
  datasets: DatasetsService;
  endpoints: EndpointsService;
}

// A type literal: the composition root reads every module's services as a record.
export type MonitoringServices = {
  monitors: MonitorsService;
  monitorViews: MonitorViews;
  profileWriter: ProfileWriter;
};

/** Drift of endpoints' inputs and outputs from profiles written at ingest. */
export const monitoringModule = defineModule<MonitoringServices, MonitoringNeeds>({
  name: 'monitoring',
  migrations: monitoringMigrations,
  permissions: { 'monitors:read': READERS, 'monitors:write': ['maintainer'] },
  needs: ['events', 'registry', 'datasets', 'endpoints'],
  create: ({ db, audit, clock, engine, config, jobs, jobsRunElsewhere }, needs) => {
    const ports: MonitoringPorts = {
      dataset: async (projectId, ref) => {
        const row = await needs.datasets.resolve(projectId, ref);
        const version = await needs.datasets.present(row);
        const source = await needs.datasets.sourceOf(row);
        return {
          id: version.id,
          ref: version.ref,
          columns: version.schema,
          source: { ...source, columns: version.schema },
        };
      },
      servedVersion: async (projectId, endpoint) => {
        const record = await needs.endpoints.record(projectId, endpoint);
        const main = [...record.routes].sort((a, b) => b.weight - a.weight)[0]!;
        const info = await needs.registry.models.resolve(projectId, main.target);
        return { ref: info.ref, datasetVersionIds: info.datasetVersionIds };
      },
    };
    const flushMs = config.monitoringFlushMs;
    const writer = new ProfileWriter(new ProfilesRepo(db), {
      flushMs,
      now: () => clock.now().getTime(),
      onError: () => {
        // Kept in memory and written at the next tick.
      },
    });
    const monitors = new MonitorsService({
      db,
      audit,
      clock,
      engine,
      writer,
      ports,
      jobs,
      inJobs: jobsRunElsewhere,
      graceMs: 2 * flushMs,
    });
    needs.events.onCommitted(writer.ingest);
    writer.start();
    monitors.refresh().catch(() => {
      // Loaded on first use instead; bins start with the next refresh.
    });
    return {
      monitors,
      monitorViews: new MonitorViews(monitors, engine, ports, () => clock.now().getTime()),
      profileWriter: writer,
    };
  },
  routes: monitoringRoutes,
  jobs: ({ monitors }) => ({
    // Both idempotent: a block already rolled up and a window already computed are skipped.
    [ROLLUP_QUEUE]: () => monitors.rollUp(),
    [EVALUATE_QUEUE]: () => monitors.evaluate(),
    // What a request waits for instead of scanning or computing on the HTTP loop; both rerun safely.
    [WINDOWS_QUEUE]: (job) => monitors.computeWindows(job.payload as WindowsJob),
    [REFERENCE_QUEUE]: (job) => monitors.buildReference(job.payload as ReferenceJob),
  }),
  schedules: {
    [ROLLUP_QUEUE]: { cron: '17 * * * *', queue: ROLLUP_QUEUE, maxAttempts: 3 },
    [EVALUATE_QUEUE]: { cron: '*/5 * * * *', queue: EVALUATE_QUEUE, maxAttempts: 3 },
  },
  cli: registerMonitoringCommands,
  close: ({ profileWriter }) => profileWriter.close(),
});
