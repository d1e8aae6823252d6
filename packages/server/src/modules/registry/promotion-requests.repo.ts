import type { Db, Executor } from '../../storage/database.js';
import type { PromotionRequestsTable } from './registry.tables.js';

export type RequestRow = PromotionRequestsTable & {
  model_name: string;
  project_id: string;
  version: number;
  expected_version: number | null;
};

export interface RequestFilter {
  projectId: string;
  status?: string;
  modelId?: string;
  versionId?: string;
  beforeId?: string;
}

/** SQL of promotion requests. */
export class PromotionRequestsRepo {
  constructor(private readonly db: Db) {}

  private requests(trx: Executor = this.db.kysely) {
    return trx
      .selectFrom('promotion_requests as r')
      .innerJoin('models as m', 'm.id', 'r.model_id')
      .innerJoin('model_versions as v', 'v.id', 'r.version_id')
      .leftJoin('model_versions as e', 'e.id', 'r.expected_version_id')
      .selectAll('r')
      .select(['m.name as model_name', 'm.project_id', 'v.version', 'e.version as expected_version']);
  }

  async find(id: string, trx?: Executor): Promise<RequestRow | undefined> {
    const row = await this.requests(trx).where('r.id', '=', id).executeTakeFirst();
    return row && normalize(row);
  }

  async insert(trx: Executor, row: PromotionRequestsTable): Promise<void> {
    await trx.insertInto('promotion_requests').values(row).execute();
  }

  /** Newest first. */
  async list(filter: RequestFilter, limit: number): Promise<RequestRow[]> {
    let q = this.requests().where('m.project_id', '=', filter.projectId);
    if (filter.status !== undefined) q = q.where('r.status', '=', filter.status);
    if (filter.modelId !== undefined) q = q.where('r.model_id', '=', filter.modelId);
    if (filter.versionId !== undefined) q = q.where('r.version_id', '=', filter.versionId);
    if (filter.beforeId !== undefined) q = q.where('r.id', '<', filter.beforeId);
    const rows = await q.orderBy('r.id', 'desc').limit(limit).execute();
    return rows.map(normalize);
  }

  async pendingCounts(modelIds: string[]): Promise<Map<string, number>> {
    if (modelIds.length === 0) return new Map();
    const rows = await this.db.kysely
      .selectFrom('promotion_requests')
      .select((eb) => ['model_id', eb.fn.countAll().as('n')])
      .where('model_id', 'in', modelIds)
      .where('status', '=', 'pending')
      .groupBy('model_id')
      .execute();
    return new Map(rows.map((r) => [r.model_id, Number(r.n)]));
  }

  /** Decides a pending request; false when it was no longer pending. */
  async decide(
    trx: Executor,
    id: string,
    decision: { status: string; decided_by: string; decided_at: string; comment: string | null },
  ): Promise<boolean> {
    const result = await trx
      .updateTable('promotion_requests')
      .set(decision)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Marks the alias's other pending requests stale; returns their ids. */
  async markStale(
    trx: Executor,
    modelId: string,
    alias: string,
    at: string,
    exceptId?: string,
  ): Promise<string[]> {
    let q = trx
      .selectFrom('promotion_requests')
      .select('id')
      .where('model_id', '=', modelId)
      .where('alias', '=', alias)
      .where('status', '=', 'pending');
    if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
    const ids = (await q.execute()).map((r) => r.id);
    if (ids.length > 0) {
      await trx
        .updateTable('promotion_requests')
        .set({ status: 'stale', decided_at: at })
        .where('id', 'in', ids)
        .execute();
    }
    return ids;
  }
}

function normalize<R extends RequestRow>(row: R): R {
  return {
    ...row,
    version: Number(row.version),
    expected_version: row.expected_version === null ? null : Number(row.expected_version),
  };
}
