import type { AuditService } from '../../core/audit/audit.service.js';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../storage/database.js';
import type { JobQueue } from '../../storage/queue/job-queue.js';
import type { KeysService } from '../access/keys.service.js';
import type { ProjectsService } from '../access/projects.service.js';
import type { BlobsService } from '../blobs/blobs.service.js';
import type { DatasetAnalysisService } from '../datasets/dataset-analysis.service.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { EvalsService } from '../evals/evals.service.js';
import type { EventsService } from '../events/events.service.js';
import type { Registry } from '../registry/registry.js';
import type { EndpointsService } from '../serving/endpoints.service.js';

/** An alert as monitoring announces it when it opens. */
export interface OpenedAlert {
  id: string;
  projectId: string;
  ruleId: string;
  ruleName: string;
  endpoint: string | null;
  dedupKey: string;
  openedAt: string;
}

/** What the alerts module offers; optional, so pipelines work before and without it. */
export interface AlertsPort {
  onOpened(listener: (alert: OpenedAlert) => void | Promise<void>): void;
}

/** The services of other modules pipelines call, and the adapters they run on. */
export interface PipelinesDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  jobs: JobQueue;
  /** Where steps get their working folders. */
  workRoot: string;
  /** The URL command steps reach the API at (PLUMB_URL); null when not known. */
  serverUrl: string | null;
  datasets: DatasetsService;
  datasetAnalysis: DatasetAnalysisService;
  registry: Registry;
  evals: EvalsService;
  endpoints: EndpointsService;
  events: EventsService;
  keys: KeysService;
  /** Resolves the project a webhook's path names. */
  projects: Pick<ProjectsService, 'findByName'>;
  blobService: BlobsService;
}
