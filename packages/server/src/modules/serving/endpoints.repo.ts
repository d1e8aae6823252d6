import { sql } from 'kysely';
import { changeStampReader } from '../../storage/change-stamp.js';
import type { Db, Executor } from '../../storage/database.js';
import { SharedRead } from '../../storage/shared-read.js';
import type { EndpointsTable, ReviewQueueTable, ShadowStatsTable } from './serving.tables.js';

/** Counter increments for one shadow, summed over a batch of compared requests. */
export type ShadowStatsDelta = Omit<ShadowStatsTable, 'endpoint_id' | 'shadow'>;

/** SQL of endpoints, the review queue and shadow counters. */
export class EndpointsRepo {
  private readonly stamp: SharedRead<number>;

  constructor(private readonly db: Db) {
    this.stamp = new SharedRead(changeStampReader(db));
  }

  /**
   * The audit head's sequence: it grows with every committed mutation in any process sharing
   * the database (each writes its audit record in its own transaction, appends serialized), so
   * lookups made under an unchanged stamp are still current. One primary-key read of a one-row
   * table, shared by the predictions that asked in the same turn of the event loop.
   */
  changeStamp(): Promise<number> {
    return this.stamp.get();
  }

  /** Audit-head reads issued so far (fewer than predictions when concurrent ones shared). */
  get stampReads(): number {
    return this.stamp.reads;
  }

  async insert(trx: Executor, row: EndpointsTable): Promise<void> {
    await trx.insertInto('endpoints').values(row).execute();
  }

  async update(
    trx: Executor,
    id: string,
    values: Pick<EndpointsTable, 'description' | 'settings' | 'updated_at'>,
  ): Promise<void> {
    await trx.updateTable('endpoints').set(values).where('id', '=', id).execute();
  }

  async find(projectId: string, name: string, trx: Executor = this.db.kysely) {
    return trx
      .selectFrom('endpoints')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async list(projectId: string, afterName: string | undefined, limit: number): Promise<EndpointsTable[]> {
    let q = this.db.kysely.selectFrom('endpoints').selectAll().where('project_id', '=', projectId);
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    return q.orderBy('name').limit(limit).execute();
  }

  /** Removes the endpoint with its review queue and shadow counters. */
  async delete(trx: Executor, id: string): Promise<void> {
    await trx.deleteFrom('serving_review_queue').where('endpoint_id', '=', id).execute();
    await trx.deleteFrom('serving_shadow_stats').where('endpoint_id', '=', id).execute();
    await trx.deleteFrom('endpoints').where('id', '=', id).execute();
  }

  async insertReviews(rows: ReviewQueueTable[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.kysely.insertInto('serving_review_queue').values(rows).execute();
  }

  async listReviews(endpointId: string, afterId: string | undefined, limit: number) {
    let q = this.db.kysely
      .selectFrom('serving_review_queue')
      .selectAll()
      .where('endpoint_id', '=', endpointId);
    if (afterId !== undefined) q = q.where('id', '>', afterId);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ ...r, confidence: Number(r.confidence) }));
  }

  /** Adds each delta to its shadow's counters, in one transaction. */
  async addShadowStats(deltas: { endpointId: string; shadow: string; delta: ShadowStatsDelta }[]) {
    if (deltas.length === 0) return;
    await this.db.kysely.transaction().execute(async (trx) => {
      for (const { endpointId, shadow, delta } of deltas) {
        await trx
          .insertInto('serving_shadow_stats')
          .values({ endpoint_id: endpointId, shadow, ...delta })
          .onConflict((oc) =>
            oc.columns(['endpoint_id', 'shadow']).doUpdateSet({
              compared: sql`serving_shadow_stats.compared + ${delta.compared}`,
              failed: sql`serving_shadow_stats.failed + ${delta.failed}`,
              dropped: sql`serving_shadow_stats.dropped + ${delta.dropped}`,
              label_compared: sql`serving_shadow_stats.label_compared + ${delta.label_compared}`,
              label_agreed: sql`serving_shadow_stats.label_agreed + ${delta.label_agreed}`,
              score_compared: sql`serving_shadow_stats.score_compared + ${delta.score_compared}`,
              abs_score_diff_sum: sql`serving_shadow_stats.abs_score_diff_sum + ${delta.abs_score_diff_sum}`,
              latency_diff_sum_ms: sql`serving_shadow_stats.latency_diff_sum_ms + ${delta.latency_diff_sum_ms}`,
            }),
          )
          .execute();
      }
    });
  }

  async shadowStats(endpointId: string): Promise<ShadowStatsTable[]> {
    const rows = await this.db.kysely
      .selectFrom('serving_shadow_stats')
      .selectAll()
      .where('endpoint_id', '=', endpointId)
      .orderBy('shadow')
      .execute();
    return rows.map((r) => ({
      endpoint_id: r.endpoint_id,
      shadow: r.shadow,
      compared: Number(r.compared),
      failed: Number(r.failed),
      dropped: Number(r.dropped),
      label_compared: Number(r.label_compared),
      label_agreed: Number(r.label_agreed),
      score_compared: Number(r.score_compared),
      abs_score_diff_sum: Number(r.abs_score_diff_sum),
      latency_diff_sum_ms: Number(r.latency_diff_sum_ms),
    }));
  }
}
