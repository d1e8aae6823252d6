import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { BlobsService } from '../blobs/blobs.service.js';
import type { DatasetAnalysisService } from '../datasets/dataset-analysis.service.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { RunsService } from '../runs/runs.service.js';
import { registerRegistryCommands } from './registry.cli.js';
import type { GateLookup } from './registry.contracts.js';
import { createRegistry, type Registry } from './registry.js';
import { registryMigrations } from './registry.migrations.js';
import { registryRoutes } from './registry.routes.js';

export interface RegistryPorts {
  runs: RunsService;
  datasets: DatasetsService;
  datasetAnalysis: DatasetAnalysisService;
  blobService: BlobsService;
  /** From the evaluations module, created after this one: read only when a promotion asks. */
  gates: GateLookup;
}

/** Models, versions, cards, aliases, promotions and approvals, the inventory and lineage. */
export const registryModule = defineModule<{ registry: Registry }, RegistryPorts>({
  name: 'registry',
  migrations: registryMigrations,
  permissions: { 'models:read': READERS, 'models:write': ['maintainer'], 'models:approve': ['approver'] },
  needs: ['runs', 'datasets', 'datasetAnalysis', 'blobService', 'gates'],
  create: ({ db, audit, clock, blobs, permissions, models, secrets }, ports) => ({
    registry: createRegistry({
      db,
      audit,
      clock,
      permissions,
      secrets,
      runtime: models,
      runs: ports.runs,
      datasets: {
        get: (ctx, ref) => ports.datasets.get(ctx, ref),
        recordConsumer: (trx, versionId, consumer) => ports.datasets.recordConsumer(trx, versionId, consumer),
        lineage: (ctx, ref) => ports.datasetAnalysis.lineage(ctx, ref),
      },
      blobs,
      projectBlobs: { stat: (ref, projectId) => ports.blobService.statForUse(projectId, ref) },
      // Read on each use: the evaluations module is created after this one.
      get gates() {
        return ports.gates;
      },
    }),
  }),
  routes: registryRoutes,
  cli: registerRegistryCommands,
});
