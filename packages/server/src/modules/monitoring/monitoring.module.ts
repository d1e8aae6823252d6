import type { Alert } from '@plumb/sdk';
import { READERS } from '../../core/auth/permissions.js';
import type { RequestContext } from '../../core/context.js';
import { defineModule } from '../../module.js';
import type { AlertsService } from '../alerts/alerts.service.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { EvalsService } from '../evals/evals.service.js';
import type { EventsService } from '../events/events.service.js';
import type { PerformanceService } from '../performance/performance.service.js';
import type { Registry } from '../registry/registry.js';
import type { EndpointsService } from '../serving/endpoints.service.js';
import { MonitorViews } from './monitor-views.service.js';
import { registerMonitoringCommands } from './monitoring.cli.js';
import { monitoringMigrations } from './monitoring.migrations.js';
import { monitoringRoutes } from './monitoring.routes.js';
import {
  DRIFT_QUEUE,
  type DriftJob,
  type MonitoringPorts,
  MonitorsService,
  REFERENCE_QUEUE,
  type ReferenceJob,
  VALUES_QUEUE,
  type ValuesJob,
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
  evals: EvalsService;
  /** Created after this module: read only when a status is asked for. */
  performance: PerformanceService;
  alerts: AlertsService;
}

/** Most alerts and evaluation runs read per page. */
const PAGE = 500;

/** The context other modules' list methods take; they read only its project. */
function readerIn(projectId: string): RequestContext {
  return {
    principal: { keyId: 'system', keyName: 'system', role: 'viewer', projectId, projectName: '' },
    requestId: 'monitoring',
  };
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
  needs: ['events', 'registry', 'datasets', 'endpoints', 'evals', 'performance', 'alerts'],
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
        return { id: info.id, ref: info.ref, datasetVersionIds: info.datasetVersionIds };
      },
      evaluationData: async (projectId, versionId) => {
        const ids = new Set<string>();
        let cursor: string | undefined;
        do {
          const page = await needs.evals.listRuns(readerIn(projectId), {
            limit: PAGE,
            candidate: versionId,
            status: 'succeeded',
            ...(cursor ? { cursor } : {}),
          });
          for (const run of page.items)
            for (const d of run.datasets) if (d.role === 'data') ids.add(d.versionId);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return [...ids];
      },
      performance: async (projectId, endpoint, range) => {
        const p = await needs.performance.series(projectId, endpoint, range);
        return { positiveClass: p.positiveClass, series: p.series };
      },
      openAlerts: async (projectId, endpoint) => {
        const out: Alert[] = [];
        for (const status of ['open', 'acknowledged'] as const) {
          let cursor: string | undefined;
          do {
            const page = await needs.alerts.list(readerIn(projectId), {
              limit: PAGE,
              status,
              ...(cursor ? { cursor } : {}),
            });
            out.push(...page.items.filter((a) => a.endpoint === endpoint));
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
        }
        return out.sort((a, b) => b.openedAt.localeCompare(a.openedAt) || b.id.localeCompare(a.id));
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
    // Large merges of a drift read: pure, so a rerun gives the same answer.
    [DRIFT_QUEUE]: (job) => monitors.computeDrift(job.payload as DriftJob),
    [VALUES_QUEUE]: (job) => monitors.computeValues(job.payload as ValuesJob),
  }),
  schedules: {
    [ROLLUP_QUEUE]: { cron: '17 * * * *', queue: ROLLUP_QUEUE, maxAttempts: 3 },
    [EVALUATE_QUEUE]: { cron: '*/5 * * * *', queue: EVALUATE_QUEUE, maxAttempts: 3 },
  },
  cli: registerMonitoringCommands,
  close: ({ profileWriter }) => profileWriter.close(),
});
