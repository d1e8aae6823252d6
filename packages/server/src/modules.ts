import { accessModule } from './modules/access/access.module.js';
import { alertsModule } from './modules/alerts/alerts.module.js';
import { annotationModule } from './modules/annotation/annotation.module.js';
import { auditModule } from './modules/audit/audit.module.js';
import { blobsModule } from './modules/blobs/blobs.module.js';
import { datasetsModule } from './modules/datasets/datasets.module.js';
import { evalsModule } from './modules/evals/evals.module.js';
import { eventsModule } from './modules/events/events.module.js';
import { monitoringModule } from './modules/monitoring/monitoring.module.js';
import { performanceModule } from './modules/performance/performance.module.js';
import { pipelinesModule } from './modules/pipelines/pipelines.module.js';
import { registryModule } from './modules/registry/registry.module.js';
import { runsModule } from './modules/runs/runs.module.js';
import { servingModule } from './modules/serving/serving.module.js';

/**
 * Every capability, in order: migrations apply and services are created in this order, so a
 * module comes after the modules whose services it takes at creation. Adding a capability is
 * adding its folder and one line here.
 */
export const MODULES = [
  accessModule,
  auditModule,
  blobsModule,
  datasetsModule,
  runsModule,
  registryModule,
  evalsModule,
  eventsModule,
  servingModule,
  monitoringModule,
  annotationModule,
  performanceModule,
  alertsModule,
  pipelinesModule,
] as const;
