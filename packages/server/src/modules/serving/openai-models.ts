import type { RequestContext } from '../../core/context.js';
import type { ChatDeps } from './openai-chat.service.js';

export interface OpenAiModel {
  id: string;
  created: number;
  owned_by: string;
}

/**
 * OpenAI's model list: the project's endpoints whose primary route is an OpenAI-compatible
 * upstream now (as resolved at this moment; an alias may move later).
 */
export async function openAiModels(
  ctx: RequestContext,
  deps: Pick<ChatDeps, 'endpoints' | 'servable'>,
): Promise<OpenAiModel[]> {
  const out: OpenAiModel[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.endpoints.list(ctx, { limit: 500, ...(cursor ? { cursor } : {}) });
    for (const endpoint of page.items) {
      // The primary: the route with the largest weight, the first of equals.
      const primary = endpoint.routes.reduce((a, b) => (b.weight > a.weight ? b : a)).target;
      const info = await deps.servable(ctx.principal.projectId, primary).catch(() => null);
      if (info?.artifact.kind !== 'openai') continue;
      out.push({
        id: endpoint.name,
        created: Math.floor(Date.parse(endpoint.createdAt) / 1000),
        owned_by: ctx.principal.projectName,
      });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
