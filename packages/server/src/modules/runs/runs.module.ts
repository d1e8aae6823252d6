import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import { registerRunsCommands } from './runs.cli.js';
import { runsMigrations } from './runs.migrations.js';
import { runsRoutes } from './runs.routes.js';
import { RunsService } from './runs.service.js';

/** Experiment tracking: runs with params, metrics, input datasets and artifacts. */
export const runsModule = defineModule<{ runs: RunsService }, { datasets: DatasetsService }>({
  name: 'runs',
  migrations: runsMigrations,
  permissions: { 'runs:read': READERS, 'runs:write': ['maintainer'] },
  needs: ['datasets'],
  create: ({ db, audit, clock, blobs }, { datasets }) => ({
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
      { stat: (ref) => blobs.stat(ref) },
    ),
  }),
  routes: runsRoutes,
  cli: registerRunsCommands,
});
