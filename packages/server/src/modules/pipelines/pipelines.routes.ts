import type { Readable } from 'node:stream';
import {
  AppliedPipeline,
  ApplyPipeline,
  DecideApproval,
  ListPipelineLogs,
  ListPipelineRuns,
  Page,
  PageQuery,
  Pipeline,
  PipelineLogs,
  PipelineParams,
  PipelineRun,
  PipelineRunParams,
  PipelineRunSummary,
  PipelineStepParams,
  StartPipelineRun,
  WebhookAccepted,
} from '@plumb/sdk';
import { z } from 'zod';
import { PlumbError } from '../../core/errors.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { PipelinesService } from './pipelines.service.js';

/** Webhook bodies are small JSON documents. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

// Loose on purpose: a malformed name answers like an unknown one, after the signature check.
const WebhookParams = z.object({ project: z.string().max(200), name: z.string().max(200) }).strict();

export function pipelineRoutes(services: { pipelines: PipelinesService }): RouteSpec[] {
  const { pipelines } = services;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/pipelines',
      permission: 'pipelines:write',
      summary: "Apply a pipeline's YAML as its next version (the same text as the latest changes nothing)",
      tag: 'pipelines',
      body: ApplyPipeline,
      response: AppliedPipeline,
      handler: async ({ ctx, body, reply }) => {
        const applied = await pipelines.apply(ctx, body.yaml, body.baseDir);
        reply.status(applied.created ? 201 : 200);
        return applied;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipelines',
      permission: 'pipelines:read',
      summary: 'List pipelines (their latest versions) by name',
      tag: 'pipelines',
      query: PageQuery,
      response: Page(Pipeline),
      handler: ({ ctx, query }) => pipelines.list(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipelines/:name',
      permission: 'pipelines:read',
      summary: "A pipeline's latest version: YAML, parsed spec and its step graph",
      tag: 'pipelines',
      params: PipelineParams,
      response: Pipeline,
      handler: ({ ctx, params }) => pipelines.get(ctx, params.name),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/pipelines/:name/runs',
      permission: 'pipelines:run',
      summary: 'Start a run of the latest version; a repeated dedupKey returns the run it started',
      tag: 'pipelines',
      params: PipelineParams,
      body: StartPipelineRun,
      response: PipelineRun,
      handler: async ({ ctx, params, body, reply }) => {
        const started = await pipelines.run(ctx, params.name, body);
        reply.status(started.created ? 201 : 200);
        return started.run;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/projects/:project/pipelines/:name/webhook',
      // No API key: the HMAC signature of the body, with the pipeline's secret, authenticates.
      permission: 'public',
      summary:
        "Start a run from a webhook, without an API key: the raw body (any content type) signed in X-Plumb-Signature (or X-Hub-Signature-256): sha256=HMAC with the pipeline's secret; X-Plumb-Delivery (or X-GitHub-Delivery) deduplicates",
      tag: 'pipelines',
      params: WebhookParams,
      rawBody: 'any',
      bodyLimitBytes: WEBHOOK_BODY_LIMIT,
      response: WebhookAccepted,
      handler: async ({ params, request, reply }) => {
        const body = await readAll(request.body as Readable | undefined);
        const header = (...names: string[]) => {
          for (const name of names) {
            const v = request.headers[name];
            const value = Array.isArray(v) ? v[0] : v;
            if (value !== undefined) return value;
          }
          return undefined;
        };
        const accepted = await pipelines.webhook(
          params.project,
          params.name,
          body,
          header('x-plumb-signature', 'x-hub-signature-256'),
          header('x-plumb-delivery', 'x-github-delivery'),
        );
        reply.status(accepted.created ? 201 : 200);
        return accepted;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipeline-runs',
      permission: 'pipelines:read',
      summary: 'List pipeline runs, newest first, by pipeline and status',
      tag: 'pipelines',
      query: ListPipelineRuns,
      response: Page(PipelineRunSummary),
      handler: ({ ctx, query }) => pipelines.listRuns(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipeline-runs/:id',
      permission: 'pipelines:read',
      summary: 'A run with its steps, every attempt, outputs, cache hits and approvals',
      tag: 'pipelines',
      params: PipelineRunParams,
      response: PipelineRun,
      handler: ({ ctx, params }) => pipelines.getRun(ctx, params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/pipeline-runs/:id/cancel',
      permission: 'pipelines:run',
      summary: 'Cancel a run: queued steps never start, a running program is stopped',
      tag: 'pipelines',
      params: PipelineRunParams,
      response: PipelineRun,
      handler: ({ ctx, params }) => pipelines.cancel(ctx, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipeline-runs/:id/logs',
      permission: 'pipelines:read',
      summary: "A run's captured output after a sequence number (poll with `after` to follow)",
      tag: 'pipelines',
      params: PipelineRunParams,
      query: ListPipelineLogs,
      response: PipelineLogs,
      handler: ({ ctx, params, query }) => pipelines.logs(ctx, params.id, query),
    }),
    ...(['approve', 'reject'] as const).map((decision) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/pipeline-runs/:id/steps/:step/${decision}`,
        permission: 'pipelines:approve',
        summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a waiting approval step, with a comment (audited)`,
        tag: 'pipelines',
        params: PipelineStepParams,
        body: DecideApproval,
        response: PipelineRun,
        handler: ({ ctx, params, body }) =>
          pipelines.decide(ctx, params.id, params.step, decision, body.comment),
      }),
    ),
  ];
}

async function readAll(body: Readable | undefined): Promise<Buffer> {
  if (!body || typeof body.pipe !== 'function') return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > WEBHOOK_BODY_LIMIT)
      throw new PlumbError('payload_too_large', 'the webhook body is larger than 1 MB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
