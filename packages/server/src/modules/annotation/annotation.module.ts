import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { BlobsService } from '../blobs/blobs.service.js';
import type { DatasetAnalysisService } from '../datasets/dataset-analysis.service.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { ReviewQueueService } from '../serving/review-queue.service.js';
import { registerAnnotationCommands } from './annotation.cli.js';
import { annotationMigrations } from './annotation.migrations.js';
import type { AnnotationPorts } from './annotation.ports.js';
import { AnnotationRepo } from './annotation.repo.js';
import { annotationRoutes } from './annotation.routes.js';
import { AnnotationExportService } from './annotation-export.service.js';
import { AnnotationProjectsService } from './annotation-projects.service.js';
import { AnnotationQualityService } from './annotation-quality.service.js';
import { AnnotationReviewService } from './annotation-review.service.js';
import { AnnotationWorkService } from './annotation-work.service.js';

// A type literal, not an interface: the composition root reads every module's services as a record.
export type AnnotationServices = {
  annotationProjects: AnnotationProjectsService;
  annotationWork: AnnotationWorkService;
  annotationQuality: AnnotationQualityService;
  annotationReview: AnnotationReviewService;
  annotationExport: AnnotationExportService;
};

type Needs = {
  datasets: DatasetsService;
  datasetAnalysis: DatasetAnalysisService;
  blobService: BlobsService;
  reviews: ReviewQueueService;
};

/** Annotation: label schemas, guidelines, blind overlapping assignment, gold, agreement, review, export. */
export const annotationModule = defineModule<AnnotationServices, Needs>({
  name: 'annotation',
  migrations: annotationMigrations,
  permissions: {
    // Annotators read a project's schema and guidelines, never other people's labels.
    'annotation-projects:read': [...READERS, 'annotator'],
    'annotation:label': ['annotator', 'maintainer', 'approver'],
    'annotation:read': READERS,
    'annotation:write': ['maintainer'],
    'annotation:review': ['approver', 'maintainer'],
  },
  needs: ['datasets', 'datasetAnalysis', 'blobService', 'reviews'],
  create: ({ db, audit, clock }, ports) => {
    const repo = new AnnotationRepo(db);
    const sources: AnnotationPorts = {
      resolveDataset: async (ctx, ref) => {
        const row = await ports.datasets.resolve(ctx.principal.projectId, ref);
        return { id: row.id, ref: `${row.dataset_name}@v${row.version}`, sliceColumn: row.slice_column };
      },
      datasetRows: async (ctx, ref, offset, limit) => {
        const page = await ports.datasetAnalysis.rows(ctx, ref, offset, limit);
        return {
          total: page.total,
          rows: page.rows.map((r) => Object.fromEntries(page.columns.map((c, i) => [c.name, r[i] ?? null]))),
        };
      },
      reviewQueue: (ctx, endpoint, cursor, limit) =>
        ports.reviews.list(ctx, endpoint, { limit, ...(cursor === undefined ? {} : { cursor }) }),
      writeDataset: async (ctx, name, jsonl, meta) => {
        const blob = await ports.blobService.upload(ctx, jsonl, { contentLength: jsonl.byteLength });
        const { version } = await ports.datasets.addVersion(ctx, name, {
          files: [{ path: 'annotations.jsonl', ref: blob.ref }],
          ...meta,
        });
        return { id: version.id, ref: version.ref };
      },
    };
    const deps = { db, audit, clock, repo, ports: sources };
    const projects = new AnnotationProjectsService(deps);
    const quality = new AnnotationQualityService(deps, projects);
    return {
      annotationProjects: projects,
      annotationWork: new AnnotationWorkService({ ...deps, random: Math.random }, projects),
      annotationQuality: quality,
      annotationReview: new AnnotationReviewService(deps, projects),
      annotationExport: new AnnotationExportService(deps, projects, quality),
    };
  },
  routes: annotationRoutes,
  cli: registerAnnotationCommands,
});
