import type { z } from 'zod';
import { Page, type PageParams } from './schemas/common.js';
import {
  AppliedPipeline,
  type ListPipelineLogs,
  type ListPipelineRuns,
  Pipeline,
  PipelineLogs,
  PipelineRun,
  PipelineRunSummary,
  type StartPipelineRun,
} from './schemas/pipelines.js';
import type { Query } from './transport.js';

type Request = <S extends z.ZodType>(
  method: string,
  path: string,
  options: { body?: unknown; query?: Query; schema: S; timeoutMs?: number },
) => Promise<z.infer<S>>;

const enc = encodeURIComponent;

/** The pipeline routes as typed methods; PlumbClient exposes them as `client.pipelines`. */
export function pipelinesMethods(client: { request: Request }) {
  const run = (id: string) => `/api/v1/pipeline-runs/${enc(id)}`;
  const methods = {
    /** Stores the YAML as the pipeline's next version; `baseDir` is where its commands run. */
    apply: (yaml: string, baseDir?: string) =>
      client.request('POST', '/api/v1/pipelines', {
        body: baseDir === undefined ? { yaml } : { yaml, baseDir },
        schema: AppliedPipeline,
      }),
    list: (query: PageParams = {}) =>
      client.request('GET', '/api/v1/pipelines', { query: { ...query }, schema: Page(Pipeline) }),
    get: (name: string) => client.request('GET', `/api/v1/pipelines/${enc(name)}`, { schema: Pipeline }),
    run: (name: string, body: StartPipelineRun = {}) =>
      client.request('POST', `/api/v1/pipelines/${enc(name)}/runs`, { body, schema: PipelineRun }),
    runs: (query: ListPipelineRuns = {}) =>
      client.request('GET', '/api/v1/pipeline-runs', {
        query: { ...query },
        schema: Page(PipelineRunSummary),
      }),
    getRun: (id: string) => client.request('GET', run(id), { schema: PipelineRun }),
    cancel: (id: string) => client.request('POST', `${run(id)}/cancel`, { schema: PipelineRun }),
    logs: (id: string, query: ListPipelineLogs = {}) =>
      client.request('GET', `${run(id)}/logs`, { query: { ...query }, schema: PipelineLogs }),
    approve: (id: string, step: string, comment = '') =>
      client.request('POST', `${run(id)}/steps/${enc(step)}/approve`, {
        body: { comment },
        schema: PipelineRun,
      }),
    reject: (id: string, step: string, comment = '') =>
      client.request('POST', `${run(id)}/steps/${enc(step)}/reject`, {
        body: { comment },
        schema: PipelineRun,
      }),
    /** Polls until the run ended or waits for a person (`waiting`); `onProgress` sees every poll. */
    waitForRun: async (
      id: string,
      options: { intervalMs?: number; untilWaiting?: boolean; onProgress?: (r: PipelineRun) => void } = {},
    ): Promise<PipelineRun> => {
      for (;;) {
        const current = await methods.getRun(id);
        options.onProgress?.(current);
        if (['succeeded', 'failed', 'cancelled'].includes(current.status)) return current;
        if (options.untilWaiting && current.status === 'waiting') return current;
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
      }
    },
  };
  return methods;
}
