import type { Db, Executor } from '../../storage/database.js';
import type { PricesTable } from './openai-prices.tables.js';

/** SQL of the upstream price table. */
export class PricesRepo {
  constructor(private readonly db: Db) {}

  async find(trx: Executor, projectId: string, model: string, from: string) {
    return trx
      .selectFrom('serving_prices')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('upstream_model', '=', model)
      .where('effective_from', '=', from)
      .executeTakeFirst();
  }

  async insert(trx: Executor, row: PricesTable): Promise<void> {
    await trx.insertInto('serving_prices').values(row).execute();
  }

  async update(
    trx: Executor,
    id: string,
    values: Pick<PricesTable, 'input_per_1m' | 'output_per_1m' | 'created_at' | 'created_by'>,
  ): Promise<void> {
    await trx.updateTable('serving_prices').set(values).where('id', '=', id).execute();
  }

  /** The price of `model` in effect at `at`: the latest one starting at or before it. */
  async inEffect(projectId: string, model: string, at: string): Promise<PricesTable | undefined> {
    return this.db.kysely
      .selectFrom('serving_prices')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('upstream_model', '=', model)
      .where('effective_from', '<=', at)
      .orderBy('effective_from', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** By model, then effective date; `after` is the last row's (model, from) of the previous page. */
  async list(
    projectId: string,
    filter: { model?: string | undefined; after?: [string, string] | undefined },
    limit: number,
  ): Promise<PricesTable[]> {
    let q = this.db.kysely.selectFrom('serving_prices').selectAll().where('project_id', '=', projectId);
    if (filter.model !== undefined) q = q.where('upstream_model', '=', filter.model);
    if (filter.after) {
      const [model, from] = filter.after;
      q = q.where((eb) =>
        eb.or([
          eb('upstream_model', '>', model),
          eb.and([eb('upstream_model', '=', model), eb('effective_from', '>', from)]),
        ]),
      );
    }
    return q.orderBy('upstream_model').orderBy('effective_from').limit(limit).execute();
  }
}
