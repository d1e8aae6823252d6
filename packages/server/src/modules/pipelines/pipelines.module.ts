import { join, resolve } from 'node:path';
import { READERS } from '../../core/auth/permissions.js';
import type { Config } from '../../core/config.js';
import { defineModule } from '../../module.js';
import type { KeysService } from '../access/keys.service.js';
import type { ProjectsService } from '../access/projects.service.js';
import type { BlobsService } from '../blobs/blobs.service.js';
import type { DatasetAnalysisService } from '../datasets/dataset-analysis.service.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { EvalsService } from '../evals/evals.service.js';
import type { EventsService } from '../events/events.service.js';
import type { Registry } from '../registry/registry.js';
import type { EndpointsService } from '../serving/endpoints.service.js';
import { APPROVAL_TIMEOUT_QUEUE } from './approval-desk.js';
import { STEP_QUEUE, type StepPayload } from './pipeline-engine.js';
import { registerPipelineCommands } from './pipelines.cli.js';
import { pipelinesMigrations } from './pipelines.migrations.js';
import type { AlertsPort } from './pipelines.ports.js';
import { pipelineRoutes } from './pipelines.routes.js';
import { CRON_QUEUE, PipelinesService } from './pipelines.service.js';

export interface PipelinesPorts {
  keys: KeysService;
  projects: ProjectsService;
  blobService: BlobsService;
  datasets: DatasetsService;
  datasetAnalysis: DatasetAnalysisService;
  registry: Registry;
  evals: EvalsService;
  endpoints: EndpointsService;
  events: EventsService;
  /** From monitoring's alerts, when that module is present. */
  alerts?: AlertsPort;
}

/** The URL a command step reaches the API at: the configured one, else this server's when its port is fixed. */
function serverUrl(config: Config): string | null {
  if (config.publicUrl) return config.publicUrl;
  if (config.port === 0) return null;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

/** Continuous-training pipelines: versioned DAGs of steps, run over the job queue, and their triggers. */
export const pipelinesModule = defineModule<{ pipelines: PipelinesService }, PipelinesPorts>({
  name: 'pipelines',
  migrations: pipelinesMigrations,
  permissions: {
    'pipelines:read': READERS,
    'pipelines:write': ['maintainer'],
    'pipelines:run': ['maintainer'],
    'pipelines:approve': ['approver', 'maintainer'],
  },
  needs: [
    'keys',
    'projects',
    'blobService',
    'datasets',
    'datasetAnalysis',
    'registry',
    'evals',
    'endpoints',
    'events',
  ],
  create: ({ db, audit, clock, jobs, config }, ports) => {
    const pipelines = new PipelinesService({
      db,
      audit,
      clock,
      jobs,
      workRoot: join(resolve(config.home), 'pipelines'),
      serverUrl: serverUrl(config),
      datasets: ports.datasets,
      datasetAnalysis: ports.datasetAnalysis,
      registry: ports.registry,
      evals: ports.evals,
      endpoints: ports.endpoints,
      events: ports.events,
      keys: ports.keys,
      projects: ports.projects,
      blobService: ports.blobService,
    });
    // Both hooks fire in whichever process saw the event; the run's deduplication key makes
    // one event one run even when several processes hear of it.
    ports.datasets.onVersionCreated((event) => pipelines.onDatasetVersion(event));
    let alerts: AlertsPort | undefined;
    try {
      alerts = ports.alerts;
    } catch {
      alerts = undefined;
    }
    alerts?.onOpened((alert) => pipelines.onAlert(alert));
    return { pipelines };
  },
  routes: pipelineRoutes,
  jobs: ({ pipelines }) => ({
    [STEP_QUEUE]: (job, context) => pipelines.engine.handle(job.payload as StepPayload, context.signal),
    [APPROVAL_TIMEOUT_QUEUE]: async (job) => {
      const { runId, step } = job.payload as StepPayload;
      await pipelines.engine.approvals.timeout(runId, step);
      return { runId, step };
    },
    [CRON_QUEUE]: async (job) => {
      const { pipelineId } = job.payload as { pipelineId: string };
      return { runId: await pipelines.onCron(pipelineId, job.scheduledFor) };
    },
  }),
  cli: registerPipelineCommands,
});
