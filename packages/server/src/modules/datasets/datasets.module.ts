import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import type { BlobsService } from '../blobs/blobs.service.js';
import type { RunsService } from '../runs/runs.service.js';
import { DatasetAnalysisService } from './dataset-analysis.service.js';
import { registerDatasetCommands } from './datasets.cli.js';
import { datasetMigrations } from './datasets.migrations.js';
import { datasetRoutes } from './datasets.routes.js';
import { DatasetsService } from './datasets.service.js';

/** Queue of the background job that profiles large dataset versions. */
export const PROFILE_QUEUE = 'dataset.profile';

/** Versioned, content-addressed datasets: files, schema, profiles, diffs, lineage, validation. */
export const datasetsModule = defineModule({
  name: 'datasets',
  migrations: datasetMigrations,
  permissions: { 'datasets:read': READERS, 'datasets:write': ['maintainer'] },
  needs: ['blobService', 'runs'],
  create: (
    { db, audit, clock, blobs, engine, jobs, jobsRunElsewhere },
    ports: { blobService: BlobsService; runs: RunsService },
  ) => {
    const { blobService } = ports;
    // DuckDB scans the blob files where they lie.
    if (!(blobs instanceof FileBlobStore)) throw new Error('dataset scans need a file blob store');
    const datasets = new DatasetsService({
      db,
      audit,
      clock,
      // A version may list only blobs its project holds.
      blobs: { stat: (ref, projectId) => blobService.statForUse(projectId, ref) },
      engine,
      localPath: (ref) => blobs.localPath(ref),
      scheduleProfile: async (trx, versionId) =>
        (await jobs.enqueue(PROFILE_QUEUE, { versionId }, { dedupeKey: `profile:${versionId}` }, trx)).id,
      readJob: (jobId) => jobs.get(jobId),
      // The runs module comes later: its service is read when a version names a run.
      profileInJobs: jobsRunElsewhere,
      requireRun: async (ctx, runId) => {
        await ports.runs.get(ctx, runId);
      },
    });
    return { datasets, datasetAnalysis: new DatasetAnalysisService({ db, audit, clock, engine, datasets }) };
  },
  routes: datasetRoutes,
  jobs: ({ datasets }) => ({
    // Delivery is at least once: profiling twice stores the same profile.
    [PROFILE_QUEUE]: async (job, context) => {
      const { versionId } = job.payload as { versionId: string };
      // Progress is stored with heartbeats, by default a third of the lease apart; one a second
      // keeps `dataset show` and `dataset add --wait` current without a write per chunk.
      let sent = 0;
      await datasets.profileVersion(versionId, (rows) => {
        context.progress({ rows });
        if (Date.now() - sent < 1000) return;
        sent = Date.now();
        void context.heartbeat();
      });
      return { versionId };
    },
  }),
  cli: registerDatasetCommands,
});
