import { PlumbError } from '../../core/errors.js';
import type { Db, Executor } from '../../storage/database.js';
import type { PerformanceOutcomesTable, PerformanceTrafficTable } from './performance.tables.js';

// 12 columns per outcome row; both dialects' parameter limits leave room for this many rows.
const OUTCOME_ROWS_PER_INSERT = 2_000;

export interface OutcomeFilter {
  projectId: string;
  endpoint: string;
  fromMs: number;
  toMs: number;
  modelVersion?: string | undefined;
}

/** The SQL of realised and served performance. */
export class PerformanceRepo {
  constructor(private readonly db: Db) {}

  /** Records outcomes; a prediction's later feedback replaces its earlier one. */
  async upsertOutcomes(rows: PerformanceOutcomesTable[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += OUTCOME_ROWS_PER_INSERT) {
        await trx
          .insertInto('performance_outcomes')
          .values(rows.slice(i, i + OUTCOME_ROWS_PER_INSERT))
          .onConflict((oc) =>
            oc.column('prediction_id').doUpdateSet((eb) => ({
              actual_label: eb.ref('excluded.actual_label'),
              actual_value: eb.ref('excluded.actual_value'),
              received_at: eb.ref('excluded.received_at'),
            })),
          )
          .execute();
      }
    });
  }

  async outcomes(filter: OutcomeFilter): Promise<PerformanceOutcomesTable[]> {
    let q = this.db.kysely
      .selectFrom('performance_outcomes')
      .selectAll()
      .where('project_id', '=', filter.projectId)
      .where('endpoint', '=', filter.endpoint)
      .where('time', '>=', filter.fromMs)
      .where('time', '<', filter.toMs);
    if (filter.modelVersion !== undefined) q = q.where('model_version', '=', filter.modelVersion);
    const rows = await q.orderBy('time').execute();
    return rows.map((r) => ({
      ...r,
      time: Number(r.time),
      received_at: Number(r.received_at),
      score: r.score === null ? null : Number(r.score),
      actual_value: r.actual_value === null ? null : Number(r.actual_value),
    }));
  }

  async traffic(filter: OutcomeFilter): Promise<PerformanceTrafficTable[]> {
    let q = this.db.kysely
      .selectFrom('performance_traffic')
      .selectAll()
      .where('project_id', '=', filter.projectId)
      .where('endpoint', '=', filter.endpoint)
      .where('window_start', '>=', filter.fromMs)
      .where('window_start', '<', filter.toMs);
    if (filter.modelVersion !== undefined) q = q.where('model_version', '=', filter.modelVersion);
    const rows = await q.orderBy('window_start').execute();
    return rows.map(trafficNumbers);
  }

  /** The project's fold position, created at 0 the first time. */
  async cursor(trx: Executor, projectId: string): Promise<number> {
    await trx
      .insertInto('performance_cursors')
      .values({ project_id: projectId, seq: 0 })
      .onConflict((oc) => oc.column('project_id').doNothing())
      .execute();
    const row = await trx
      .selectFrom('performance_cursors')
      .select('seq')
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow();
    return Number(row.seq);
  }

  /**
   * Moves the fold position from `from` to `to`; `conflict` when another fold moved it first,
   * so that fold's transaction (and the windows it wrote) roll back instead of counting twice.
   */
  async advanceCursor(trx: Executor, projectId: string, from: number, to: number): Promise<void> {
    const result = await trx
      .updateTable('performance_cursors')
      .set({ seq: to })
      .where('project_id', '=', projectId)
      .where('seq', '=', from)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new PlumbError('conflict', `the traffic of project ${projectId} was folded concurrently`);
    }
  }

  async trafficWindow(
    trx: Executor,
    key: Pick<PerformanceTrafficTable, 'project_id' | 'endpoint' | 'model_version' | 'window_start'>,
  ): Promise<PerformanceTrafficTable | undefined> {
    const row = await trx
      .selectFrom('performance_traffic')
      .selectAll()
      .where('project_id', '=', key.project_id)
      .where('endpoint', '=', key.endpoint)
      .where('model_version', '=', key.model_version)
      .where('window_start', '=', key.window_start)
      .executeTakeFirst();
    return row && trafficNumbers(row);
  }

  async putTrafficWindow(trx: Executor, row: PerformanceTrafficTable, exists: boolean): Promise<void> {
    if (!exists) {
      await trx.insertInto('performance_traffic').values(row).execute();
      return;
    }
    const { project_id, endpoint, model_version, window_start, ...values } = row;
    await trx
      .updateTable('performance_traffic')
      .set(values)
      .where('project_id', '=', project_id)
      .where('endpoint', '=', endpoint)
      .where('model_version', '=', model_version)
      .where('window_start', '=', window_start)
      .execute();
  }
}

function trafficNumbers(r: PerformanceTrafficTable): PerformanceTrafficTable {
  return {
    ...r,
    window_start: Number(r.window_start),
    predictions: Number(r.predictions),
    errors: Number(r.errors),
    fallbacks: Number(r.fallbacks),
    cost_usd: Number(r.cost_usd),
    prompt_tokens: Number(r.prompt_tokens),
    completion_tokens: Number(r.completion_tokens),
  };
}
