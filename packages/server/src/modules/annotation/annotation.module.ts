import { ListEvents } from '@plumb/sdk';
import { READERS } from '../../core/auth/permissions.js';
import { PlumbError } from '../../core/errors.js';
import { defineModule } from '../../module.js';
import type { BlobsService } from '../blobs/blobs.service.js';
import type { DatasetAnalysisService } from '../datasets/dataset-analysis.service.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { EventsService } from '../events/events.service.js';
import type { MonitorViews } from '../monitoring/monitor-views.service.js';
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
  events: EventsService;
  /** Optional: coverage-gap tasks need the monitoring module, read when first asked for. */
  monitorViews?: MonitorViews;
};

/** Predictions read per page while looking for those in a coverage gap, and the most read. */
const EVENTS_PAGE = 500;
const EVENTS_SCANNED = 20_000;

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
  needs: ['datasets', 'datasetAnalysis', 'blobService', 'reviews', 'events'],
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
      coverageGaps: async (ctx, q) => {
        const views = optional(() => ports.monitorViews);
        if (!views)
          throw new PlumbError('failed_precondition', 'coverage-gap tasks need the monitoring module');
        const coverage = await views.coverage(ctx.principal.projectId, q.endpoint, { field: q.field });
        const gaps = new Set(
          coverage.rows.filter((r) => r.unseenInTraining || r.gap >= q.minGap).map((r) => String(r.value)),
        );
        const found: { predictionId: string; inputs: Record<string, unknown> }[] = [];
        let cursor: string | undefined;
        for (let scanned = 0; gaps.size > 0 && found.length < q.limit && scanned < EVENTS_SCANNED; ) {
          // Parsed, so the list's own defaults apply: newest first.
          const page = await ports.events.list(
            ctx,
            ListEvents.parse({
              endpoint: q.endpoint,
              limit: EVENTS_PAGE,
              ...(cursor === undefined ? {} : { cursor }),
            }),
          );
          scanned += page.items.length;
          for (const e of page.items) {
            const inputs = e.inputs as Record<string, unknown> | null;
            const v = inputs?.[q.field];
            if (v !== undefined && v !== null && gaps.has(String(v)) && found.length < q.limit) {
              found.push({ predictionId: e.id, inputs: inputs! });
            }
          }
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        return found;
      },
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

/** A port that may be missing: the composition root throws when no module provides it. */
function optional<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
