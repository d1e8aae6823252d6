import { sql } from 'kysely';
import { PlumbError } from '../../core/errors.js';
import type { Db, Executor } from '../../storage/database.js';
import type {
  PerformanceOutcomesTable,
  PerformanceTrafficDaysTable,
  PerformanceTrafficTable,
} from './performance.tables.js';

const DAY_MS = 86_400_000;
// 14 columns per day row.
const DAY_ROWS_PER_INSERT = 1_000;

// 12 columns per outcome row; both dialects' parameter limits leave room for this many rows.
const OUTCOME_ROWS_PER_INSERT = 2_000;

export interface OutcomeFilter {
  projectId: string;
  endpoint: string;
  fromMs: number;
  toMs: number;
  modelVersion?: string | undefined;
}

/** An outcome as reads use it: `segments` only when asked for. */
export type OutcomeRow = Omit<PerformanceOutcomesTable, 'segments'> & { segments?: string };

/** What calibration and the positive class read of an outcome. */
export type ReferenceRow = Pick<OutcomeRow, 'model_version' | 'predicted_label' | 'score' | 'actual_label'>;

/** What one UTC day of an endpoint × model version holds in hourly traffic windows. */
export interface DayExtent {
  endpoint: string;
  modelVersion: string;
  day: number;
  hours: number;
  predictions: number;
  /** The day's first hourly window. */
  first: number;
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

  async outcomes(filter: OutcomeFilter, withSegments = true): Promise<OutcomeRow[]> {
    let q = this.db.kysely
      .selectFrom('performance_outcomes')
      .select([
        'prediction_id',
        'project_id',
        'endpoint',
        'model_version',
        'time',
        'predicted_label',
        'score',
        'actual_label',
        'actual_value',
        'received_at',
      ])
      .$if(withSegments, (qb) => qb.select('segments'))
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
    })) as OutcomeRow[];
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

  /** The filter's outcomes in time order with only what calibration and the positive class read. */
  async referenceOutcomes(filter: OutcomeFilter): Promise<ReferenceRow[]> {
    let q = this.db.kysely
      .selectFrom('performance_outcomes')
      .select(['model_version', 'predicted_label', 'score', 'actual_label'])
      .where('project_id', '=', filter.projectId)
      .where('endpoint', '=', filter.endpoint)
      .where('time', '>=', filter.fromMs)
      .where('time', '<', filter.toMs);
    if (filter.modelVersion !== undefined) q = q.where('model_version', '=', filter.modelVersion);
    const rows = await q.orderBy('time').execute();
    for (const r of rows) if (r.score !== null) r.score = Number(r.score);
    return rows;
  }

  /** Stored outcomes of the filter's range, counted. */
  async countOutcomes(filter: OutcomeFilter): Promise<number> {
    let q = this.db.kysely
      .selectFrom('performance_outcomes')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('project_id', '=', filter.projectId)
      .where('endpoint', '=', filter.endpoint)
      .where('time', '>=', filter.fromMs)
      .where('time', '<', filter.toMs);
    if (filter.modelVersion !== undefined) q = q.where('model_version', '=', filter.modelVersion);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  /**
   * Hourly traffic windows starting in [fromMs, toMs) per endpoint × model version × UTC day:
   * how many, their predictions and the first. `endpoint` '' means every endpoint of the project.
   */
  async dayExtents(filter: OutcomeFilter): Promise<DayExtent[]> {
    // A literal, not a parameter: PostgreSQL matches the grouped expression by its text.
    const day = sql<number>`(window_start - (window_start % ${sql.lit(DAY_MS)}))`;
    let q = this.db.kysely
      .selectFrom('performance_traffic')
      .select((eb) => [
        'endpoint',
        'model_version',
        day.as('day'),
        eb.fn.countAll().as('hours'),
        eb.fn.sum('predictions').as('predictions'),
        eb.fn.min('window_start').as('first'),
      ])
      .where('project_id', '=', filter.projectId)
      .where('window_start', '>=', filter.fromMs)
      .where('window_start', '<', filter.toMs);
    if (filter.endpoint !== '') q = q.where('endpoint', '=', filter.endpoint);
    if (filter.modelVersion !== undefined) q = q.where('model_version', '=', filter.modelVersion);
    const rows = await q.groupBy(['endpoint', 'model_version', day]).execute();
    return rows.map((r) => ({
      endpoint: r.endpoint,
      modelVersion: r.model_version,
      day: Number(r.day),
      hours: Number(r.hours),
      predictions: Number(r.predictions),
      first: Number(r.first),
    }));
  }

  /** Hourly traffic windows of the filter starting in any of `ranges` ([from, to), ascending). */
  async trafficIn(
    filter: OutcomeFilter,
    ranges: readonly [number, number][],
  ): Promise<PerformanceTrafficTable[]> {
    const out: PerformanceTrafficTable[] = [];
    for (const [fromMs, toMs] of ranges)
      for (const t of await this.traffic({ ...filter, fromMs, toMs })) out.push(t);
    return out;
  }

  /** Day roll-ups starting in [fromMs, toMs); `endpoint` '' means every endpoint of the project. */
  async trafficDays(filter: OutcomeFilter): Promise<PerformanceTrafficDaysTable[]> {
    let q = this.db.kysely
      .selectFrom('performance_traffic_days')
      .selectAll()
      .where('project_id', '=', filter.projectId)
      .where('window_start', '>=', filter.fromMs)
      .where('window_start', '<', filter.toMs);
    if (filter.endpoint !== '') q = q.where('endpoint', '=', filter.endpoint);
    if (filter.modelVersion !== undefined) q = q.where('model_version', '=', filter.modelVersion);
    const rows = await q.orderBy('window_start').orderBy('model_version').execute();
    return rows.map((r) => ({ ...trafficNumbers(r), hours: Number(r.hours) }));
  }

  /** What each day roll-up starting in [fromMs, toMs) was merged from; `endpoint` '' means every endpoint. */
  async dayStamps(
    filter: OutcomeFilter,
  ): Promise<
    Pick<
      PerformanceTrafficDaysTable,
      'endpoint' | 'model_version' | 'window_start' | 'hours' | 'predictions'
    >[]
  > {
    let q = this.db.kysely
      .selectFrom('performance_traffic_days')
      .select(['endpoint', 'model_version', 'window_start', 'hours', 'predictions'])
      .where('project_id', '=', filter.projectId)
      .where('window_start', '>=', filter.fromMs)
      .where('window_start', '<', filter.toMs);
    if (filter.endpoint !== '') q = q.where('endpoint', '=', filter.endpoint);
    const rows = await q.execute();
    return rows.map((r) => ({
      ...r,
      window_start: Number(r.window_start),
      hours: Number(r.hours),
      predictions: Number(r.predictions),
    }));
  }

  /** Writes day roll-ups, replacing those of the same day. */
  async putTrafficDays(rows: PerformanceTrafficDaysTable[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += DAY_ROWS_PER_INSERT) {
        await trx
          .insertInto('performance_traffic_days')
          .values(rows.slice(i, i + DAY_ROWS_PER_INSERT))
          .onConflict((oc) =>
            oc.columns(['project_id', 'endpoint', 'window_start', 'model_version']).doUpdateSet((eb) => ({
              hours: eb.ref('excluded.hours'),
              predictions: eb.ref('excluded.predictions'),
              errors: eb.ref('excluded.errors'),
              fallbacks: eb.ref('excluded.fallbacks'),
              cost_usd: eb.ref('excluded.cost_usd'),
              prompt_tokens: eb.ref('excluded.prompt_tokens'),
              completion_tokens: eb.ref('excluded.completion_tokens'),
              latency: eb.ref('excluded.latency'),
              scores: eb.ref('excluded.scores'),
            })),
          )
          .execute();
      }
    });
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
