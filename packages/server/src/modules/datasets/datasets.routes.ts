import {
  CreateDatasetVersion,
  CreatedDatasetVersion,
  Dataset,
  DatasetDiff,
  DatasetParams,
  DatasetVersion,
  DatasetVersionParams,
  DiffQuery,
  Lineage,
  ListDatasets,
  ListDatasetVersions,
  Page,
  RowsPage,
  RowsQuery,
  ValidateDatasetVersion,
  ValidationReport,
  ValidationReportParams,
} from '@plumb/sdk';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { DatasetAnalysisService } from './dataset-analysis.service.js';
import type { DatasetsService } from './datasets.service.js';

const ref = (p: { name: string; v: string }) => `${p.name}@${p.v}`;

export function datasetRoutes(services: {
  datasets: DatasetsService;
  datasetAnalysis: DatasetAnalysisService;
}): RouteSpec[] {
  const { datasets, datasetAnalysis: analysis } = services;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/datasets',
      permission: 'datasets:read',
      summary: "List the project's datasets",
      tag: 'datasets',
      query: ListDatasets,
      response: Page(Dataset),
      handler: ({ ctx, query }) => datasets.list(ctx, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/datasets/:name/versions',
      permission: 'datasets:write',
      summary: 'Add a version from uploaded files; identical content returns the existing version',
      tag: 'datasets',
      // Up to 10,000 files per version.
      bodyLimitBytes: 8 * 1024 * 1024,
      params: DatasetParams,
      body: CreateDatasetVersion,
      response: CreatedDatasetVersion,
      handler: async ({ ctx, params, body, reply }) => {
        const result = await datasets.addVersion(ctx, params.name, body);
        reply.status(result.created ? 201 : 200);
        return result;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/datasets/:name/versions',
      permission: 'datasets:read',
      summary: "A dataset's versions, newest first",
      tag: 'datasets',
      params: DatasetParams,
      query: ListDatasetVersions,
      response: Page(DatasetVersion),
      handler: ({ ctx, params, query }) => datasets.versions(ctx, params.name, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/datasets/:name/versions/:v',
      permission: 'datasets:read',
      summary: 'One version (number, vN or latest)',
      tag: 'datasets',
      params: DatasetVersionParams,
      response: DatasetVersion,
      handler: ({ ctx, params }) => datasets.get(ctx, ref(params)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/datasets/:name/versions/:v/rows',
      permission: 'datasets:read',
      summary: "Page through a version's rows",
      tag: 'datasets',
      params: DatasetVersionParams,
      query: RowsQuery,
      response: RowsPage,
      handler: ({ ctx, params, query }) => analysis.rows(ctx, ref(params), query.offset, query.limit),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/datasets/:name/versions/:v/diff',
      permission: 'datasets:read',
      summary: 'Schema, row and distribution changes from another version to this one',
      tag: 'datasets',
      params: DatasetVersionParams,
      query: DiffQuery,
      response: DatasetDiff,
      handler: ({ ctx, params, query }) => analysis.diff(ctx, query.against, ref(params)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/datasets/:name/versions/:v/validations',
      permission: 'datasets:write',
      summary: 'Run a validation suite (YAML) against the version and store the report',
      tag: 'datasets',
      bodyLimitBytes: 2 * 1024 * 1024,
      params: DatasetVersionParams,
      body: ValidateDatasetVersion,
      response: ValidationReport,
      status: 201,
      handler: ({ ctx, params, body }) => analysis.validate(ctx, ref(params), body.suite, body.reference),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/validation-reports/:id',
      permission: 'datasets:read',
      summary: 'A stored validation report',
      tag: 'datasets',
      params: ValidationReportParams,
      response: ValidationReport,
      handler: ({ ctx, params }) => analysis.report(ctx, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/datasets/:name/versions/:v/lineage',
      permission: 'datasets:read',
      summary: 'Upstream parents and producing runs; downstream versions, runs and models',
      tag: 'datasets',
      params: DatasetVersionParams,
      response: Lineage,
      handler: ({ ctx, params }) => analysis.lineage(ctx, ref(params)),
    }),
  ];
}
