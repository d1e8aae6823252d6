import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { BlobsService } from '../blobs/blobs.service.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import { registerRunsCommands } from './runs.cli.js';
import { runsMigrations } from './runs.migrations.js';
import { runsRoutes } from './runs.routes.js';
import { RunsService } from './runs.service.js';

/** Experiment tracking: runs with params, metrics, input datasets and artifacts. */
export const runsModule = defineModule<
  { runs: RunsService },
  { datasets: DatasetsService; blobService: BlobsService }
>({
  name: 'runs',
  migrations: runsMigrations,
  permissions: { 'runs:read': READERS, 'runs:write': ['maintainer'] },
  needs: ['datasets', 'blobService'],
  create: ({ db, audit, clock }, { datasets, blobService }) => ({
    runs: new RunsService(
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
      // An artifact may name only a blob the run's project holds.
      { stat: (ref, projectId) => blobService.statForUse(projectId, ref) },
    ),
  }),
  routes: runsRoutes,
  cli: registerRunsCommands,
});
