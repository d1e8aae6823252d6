import type { AnnotationReview, LabelValue, Page, ReviewTask, SubmitReview } from '@plumb/sdk';
import type { z } from 'zod';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isNumber, pageOf } from '../../core/pagination.js';
import type { AnnotationItemsTable } from './annotation.tables.js';
import { toLabel } from './annotation-mapper.js';
import type { AnnotationDeps, AnnotationProjectsService } from './annotation-projects.service.js';
import { checkLabel } from './label-schema.js';

/** Reviewers: the queue of disagreements and spot checks, and their decisions. */
export class AnnotationReviewService {
  constructor(
    private readonly deps: AnnotationDeps,
    private readonly projects: AnnotationProjectsService,
  ) {}

  async queue(
    ctx: RequestContext,
    name: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ReviewTask>> {
    const p = await this.projects.require(ctx, name);
    const after = decodeCursor(query.cursor, isNumber);
    const rows = await this.deps.repo.reviewQueue(p.row.id, after, query.limit + 1);
    const page = pageOf(
      rows,
      query.limit,
      (r) => r,
      (r) => Number(r.ordinal),
    );
    const items = await Promise.all(
      page.items.map(async (item) => ({
        itemId: item.id,
        reason: reasonOf(item),
        data: JSON.parse(item.data) as Record<string, unknown>,
        agreement: item.agreement === null ? null : Number(item.agreement),
        consensus: item.consensus === null ? null : (JSON.parse(item.consensus) as LabelValue),
        labels: (await this.deps.repo.itemLabels(this.deps.repo.kysely, item.id)).map(toLabel),
      })),
    );
    return { items, nextCursor: page.nextCursor };
  }

  /**
   * Settles an item: `accept` keeps the agreed consensus (a spot check passed), `override`
   * makes the reviewer's answer the consensus, which is how disagreements are resolved and,
   * under the `reviewer` rule, how every item is decided. Nobody reviews an item they labelled.
   */
  async review(
    ctx: RequestContext,
    name: string,
    itemId: string,
    input: z.output<typeof SubmitReview>,
  ): Promise<AnnotationReview> {
    const p = await this.projects.require(ctx, name);
    const reviewer = actorOf(ctx);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const item = await this.deps.repo.findItem(p.row.id, itemId, trx);
      if (!item || item.is_gold === 1)
        throw new PlumbError('not_found', `item ${itemId} does not exist in ${name}`);
      if (item.status === 'open')
        throw new PlumbError('failed_precondition', `item ${itemId} does not have all its labels yet`);
      if (item.status === 'resolved')
        throw new PlumbError('failed_precondition', `item ${itemId} was already reviewed`);
      const labels = await this.deps.repo.itemLabels(trx, itemId);
      if (labels.some((l) => l.annotator === reviewer)) {
        throw new PlumbError('permission_denied', `you labelled item ${itemId}, so someone else reviews it`);
      }
      let value: LabelValue;
      if (input.decision === 'accept') {
        if (item.consensus === null) {
          throw new PlumbError(
            'failed_precondition',
            `item ${itemId} has no consensus to accept; override it with a value`,
          );
        }
        value = JSON.parse(item.consensus) as LabelValue;
      } else {
        value = checkLabel(p.schema, input.value!, JSON.parse(item.data) as Record<string, unknown>);
      }
      const row = {
        id: newId('anr'),
        annotation_project_id: p.row.id,
        item_id: itemId,
        reviewer,
        decision: input.decision,
        value: JSON.stringify(value),
        note: input.note,
        created_at: isoNow(this.deps.clock),
      };
      await this.deps.repo.insertReview(trx, row);
      await this.deps.repo.setOutcome(trx, itemId, {
        status: 'resolved',
        agreement: item.agreement,
        consensus: row.value,
        consensus_source: input.decision === 'accept' ? item.consensus_source : 'reviewer',
        spot_check: item.spot_check,
      });
      await this.deps.audit.append(trx, {
        actor: reviewer,
        projectId: ctx.principal.projectId,
        action: 'annotation.review',
        resource: `annotation:${name}/${itemId}`,
        change: { review: row.id, reason: reasonOf(item), decision: input.decision, value, note: input.note },
      });
      return {
        id: row.id,
        itemId,
        reviewer,
        decision: input.decision,
        value,
        note: row.note,
        createdAt: row.created_at,
      };
    });
  }
}

function reasonOf(item: AnnotationItemsTable): ReviewTask['reason'] {
  if (item.status === 'adjudication') return 'adjudication';
  if (item.status === 'review') return 'review';
  return 'spot_check';
}
