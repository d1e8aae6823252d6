import type { Page, ReviewItem } from '@plumb/sdk';
import type { RequestContext } from '../../core/context.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import type { EndpointsRepo } from './endpoints.repo.js';
import type { EndpointsService } from './endpoints.service.js';

/** Low-confidence predictions waiting for a human label, per endpoint, oldest first. */
export class ReviewQueueService {
  constructor(
    private readonly endpoints: EndpointsService,
    private readonly repo: EndpointsRepo,
  ) {}

  async list(
    ctx: RequestContext,
    name: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ReviewItem>> {
    const endpoint = await this.endpoints.record(ctx.principal.projectId, name);
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.repo.listReviews(endpoint.id, after, query.limit + 1);
    return pageOf(
      rows,
      query.limit,
      (r) => ({
        id: r.id,
        predictionId: r.prediction_id,
        modelVersion: r.model_version,
        inputs: JSON.parse(r.inputs) as unknown,
        output: JSON.parse(r.output) as unknown,
        label: r.label === null ? null : (JSON.parse(r.label) as string | number),
        confidence: r.confidence,
        createdAt: r.created_at,
      }),
      (r) => r.id,
    );
  }
}
