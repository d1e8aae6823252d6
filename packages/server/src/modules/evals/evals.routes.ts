import {
  CreatedEvalSuite,
  CreateEvalSuite,
  EvalRun,
  EvalRunParams,
  EvalRunSummary,
  EvalSuite,
  EvalSuiteParams,
  EvalSuiteVersionParams,
  ListEvalRuns,
  ListEvalSuites,
  Page,
  StartEvalRun,
} from '@plumb/sdk';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { renderEvalReportHtml } from './eval-report-html.js';
import type { EvalsService } from './evals.service.js';

const suiteRef = (p: { name: string; v: string }) => `${p.name}@${p.v}`;

export function evalRoutes(services: { evals: EvalsService }): RouteSpec[] {
  const { evals } = services;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/eval-suites',
      permission: 'evals:write',
      summary:
        "Store an evaluation suite (YAML) as its name's next version; identical text returns the latest",
      tag: 'evals',
      bodyLimitBytes: 2 * 1024 * 1024,
      body: CreateEvalSuite,
      response: CreatedEvalSuite,
      handler: async ({ ctx, body, reply }) => {
        const result = await evals.createSuite(ctx, body.yaml);
        reply.status(result.created ? 201 : 200);
        return result;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/eval-suites',
      permission: 'evals:read',
      summary: "The project's evaluation suites, latest version of each, by name",
      tag: 'evals',
      query: ListEvalSuites,
      response: Page(EvalSuite),
      handler: ({ ctx, query }) => evals.listSuites(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/eval-suites/:name',
      permission: 'evals:read',
      summary: "A suite's latest version",
      tag: 'evals',
      params: EvalSuiteParams,
      response: EvalSuite,
      handler: ({ ctx, params }) => evals.getSuite(ctx, params.name),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/eval-suites/:name/versions',
      permission: 'evals:read',
      summary: "A suite's versions, newest first",
      tag: 'evals',
      params: EvalSuiteParams,
      query: ListEvalSuites,
      response: Page(EvalSuite),
      handler: ({ ctx, params, query }) => evals.suiteVersions(ctx, params.name, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/eval-suites/:name/versions/:v',
      permission: 'evals:read',
      summary: 'One version of a suite (number, vN or latest)',
      tag: 'evals',
      params: EvalSuiteVersionParams,
      response: EvalSuite,
      handler: ({ ctx, params }) => evals.getSuite(ctx, suiteRef(params)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/eval-runs',
      permission: 'evals:write',
      summary: 'Evaluate a model version against a baseline with a suite; runs in the background',
      tag: 'evals',
      body: StartEvalRun,
      response: EvalRun,
      status: 201,
      handler: ({ ctx, body }) => evals.startRun(ctx, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/eval-runs',
      permission: 'evals:read',
      summary: 'Evaluation runs, newest first, by suite, candidate version or status',
      tag: 'evals',
      query: ListEvalRuns,
      response: Page(EvalRunSummary),
      handler: ({ ctx, query }) => evals.listRuns(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/eval-runs/:id',
      permission: 'evals:read',
      summary: 'An evaluation run: progress, per-slice metrics of both models, and the gate decision',
      tag: 'evals',
      params: EvalRunParams,
      response: EvalRun,
      handler: ({ ctx, params }) => evals.getRun(ctx, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/eval-runs/:id/report.html',
      permission: 'evals:read',
      summary: 'The run as a self-contained HTML report',
      tag: 'evals',
      params: EvalRunParams,
      response: z.string(),
      binaryResponse: true,
      handler: async ({ ctx, params, reply }) => {
        const html = renderEvalReportHtml(await evals.getRun(ctx, params.id));
        reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
        reply.type('text/html; charset=utf-8');
        return html;
      },
    }),
  ];
}
