import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { BlobStore } from '../../storage/blob/blob-store.js';
import { registerBlobCommands } from './blobs.cli.js';
import { blobsMigrations } from './blobs.migrations.js';
import { blobRoutes } from './blobs.routes.js';
import { BlobsService } from './blobs.service.js';

/** What each module holding blob refs tells garbage collection. */
interface BlobReferrer {
  referencedBlobRefs(): Promise<string[]>;
}

/**
 * The modules whose rows hold blob refs, created after this one and read only when garbage
 * collection runs. Evaluation reports are rendered on request and hold no blob refs yet.
 */
export interface BlobsPorts {
  datasets: BlobReferrer;
  runs: BlobReferrer;
  registry: { models: { repo: BlobReferrer } };
}

/** The content-addressed store over HTTP: files of datasets, run artifacts and models. */
export const blobsModule = defineModule<{ blobs: BlobStore; blobService: BlobsService }, BlobsPorts>({
  name: 'blobs',
  migrations: blobsMigrations,
  // Garbage collection spans every project: admin keys only.
  permissions: { 'blobs:read': READERS, 'blobs:write': ['maintainer'], 'blobs:gc': [] },
  needs: ['datasets', 'runs', 'registry'],
  create: ({ db, audit, clock, blobs, config }, ports) => ({
    blobs,
    blobService: new BlobsService({
      db,
      audit,
      clock,
      store: blobs,
      quotaBytes: config.projectQuotaBytes,
      referencedRefs: async () => [
        ...(await ports.datasets.referencedBlobRefs()),
        ...(await ports.runs.referencedBlobRefs()),
        ...(await ports.registry.models.repo.referencedBlobRefs()),
      ],
    }),
  }),
  routes: blobRoutes,
  cli: registerBlobCommands,
});
