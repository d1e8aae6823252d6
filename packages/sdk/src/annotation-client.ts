import type { z } from 'zod';
import {
  type AddAnnotationTasks,
  AddedAnnotationTasks,
  type AddGoldItems,
  AgreementReport,
  AnnotationExport,
  AnnotationExportList,
  AnnotationLabel,
  AnnotationProject,
  AnnotationReview,
  AnnotationStatus,
  CalibrationState,
  type CreateAnnotationProject,
  type ExportAnnotations,
  Guidelines,
  type ListLabels,
  NextAnnotationTask,
  ReviewTask,
  SkippedItem,
  type SubmitLabel,
  type SubmitReview,
  SubmittedLabel,
} from './schemas/annotation.js';
import { Page, type PageParams } from './schemas/common.js';
import type { Query } from './transport.js';

type Request = <S extends z.ZodType>(
  method: string,
  path: string,
  options: { body?: unknown; query?: Query; schema: S; timeoutMs?: number },
) => Promise<z.infer<S>>;

/** Adding a dataset version's rows reads the whole version. */
const IMPORT_TIMEOUT_MS = 60 * 60 * 1000;

/** The annotation routes as typed methods; PlumbClient exposes them as `client.annotation`. */
export function annotationMethods(client: { request: Request }) {
  const request: Request = (method, path, options) => client.request(method, path, options);
  const project = (name: string) => `/api/v1/annotation/projects/${encodeURIComponent(name)}`;
  const item = (name: string, id: string) => `${project(name)}/items/${encodeURIComponent(id)}`;
  return {
    create: (body: CreateAnnotationProject) =>
      request('POST', '/api/v1/annotation/projects', { body, schema: AnnotationProject }),
    list: (query: PageParams = {}) =>
      request('GET', '/api/v1/annotation/projects', { query, schema: Page(AnnotationProject) }),
    get: (name: string) => request('GET', project(name), { schema: AnnotationProject }),
    guidelines: (name: string, version?: number) =>
      request('GET', `${project(name)}/guidelines`, {
        query: version === undefined ? {} : { version },
        schema: Guidelines,
      }),
    setGuidelines: (name: string, markdown: string) =>
      request('POST', `${project(name)}/guidelines`, { body: { markdown }, schema: Guidelines }),
    addTasks: (name: string, body: AddAnnotationTasks) =>
      request('POST', `${project(name)}/tasks`, {
        body,
        schema: AddedAnnotationTasks,
        timeoutMs: IMPORT_TIMEOUT_MS,
      }),
    addGold: (name: string, body: AddGoldItems) =>
      request('POST', `${project(name)}/gold`, { body, schema: AddedAnnotationTasks }),
    next: (name: string) => request('GET', `${project(name)}/next`, { schema: NextAnnotationTask }),
    calibration: (name: string) =>
      request('GET', `${project(name)}/calibration`, { schema: CalibrationState.nullable() }),
    label: (name: string, itemId: string, body: SubmitLabel) =>
      request('POST', `${item(name, itemId)}/labels`, { body, schema: SubmittedLabel }),
    editLabel: (name: string, itemId: string, body: SubmitLabel) =>
      request('PUT', `${item(name, itemId)}/labels/mine`, { body, schema: SubmittedLabel }),
    skip: (name: string, itemId: string, reason: string) =>
      request('POST', `${item(name, itemId)}/skip`, { body: { reason }, schema: SkippedItem }),
    labels: (name: string, query: ListLabels = {}) =>
      request('GET', `${project(name)}/labels`, { query, schema: Page(AnnotationLabel) }),
    agreement: (name: string) => request('GET', `${project(name)}/agreement`, { schema: AgreementReport }),
    status: (name: string) => request('GET', `${project(name)}/status`, { schema: AnnotationStatus }),
    reviewQueue: (name: string, query: PageParams = {}) =>
      request('GET', `${project(name)}/review-queue`, { query, schema: Page(ReviewTask) }),
    review: (name: string, itemId: string, body: SubmitReview) =>
      request('POST', `${item(name, itemId)}/reviews`, { body, schema: AnnotationReview }),
    export: (name: string, body: ExportAnnotations) =>
      request('POST', `${project(name)}/exports`, {
        body,
        schema: AnnotationExport,
        timeoutMs: IMPORT_TIMEOUT_MS,
      }),
    exports: (name: string) => request('GET', `${project(name)}/exports`, { schema: AnnotationExportList }),
  };
}

export type AnnotationMethods = ReturnType<typeof annotationMethods>;
