import { type Selectable, sql } from 'kysely';
import type { Db, Executor } from '../../storage/database.js';
import type { MonitoringMonitorsTable, MonitoringWindowResultsTable } from './monitoring.tables.js';

export type MonitorRow = Selectable<MonitoringMonitorsTable>;
export type WindowResultRow = Selectable<MonitoringWindowResultsTable>;
export type SeriesRow = Pick<
  WindowResultRow,
  'window_start' | 'share_drifted' | 'dataset_drifted' | 'series'
> & {
  features: string | null;
};

/** The SQL of monitors and their per-window results. */
export class MonitorsRepo {
  constructor(private readonly db: Db) {}

  async insert(trx: Executor, row: MonitorRow): Promise<void> {
    await trx.insertInto('monitoring_monitors').values(row).execute();
  }

  async find(projectId: string, id: string): Promise<MonitorRow | undefined> {
    const row = await this.db.kysely
      .selectFrom('monitoring_monitors')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && normalize(row);
  }

  async list(projectId?: string, endpoint?: string): Promise<MonitorRow[]> {
    let q = this.db.kysely.selectFrom('monitoring_monitors').selectAll();
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    if (endpoint !== undefined) q = q.where('endpoint', '=', endpoint);
    return (await q.orderBy('id').execute()).map(normalize);
  }

  async delete(trx: Executor, id: string): Promise<void> {
    await trx.deleteFrom('monitoring_window_results').where('monitor_id', '=', id).execute();
    await trx.deleteFrom('monitoring_monitors').where('id', '=', id).execute();
  }

  async results(monitorId: string, from: number, to: number): Promise<WindowResultRow[]> {
    const rows = await this.db.kysely
      .selectFrom('monitoring_window_results')
      .selectAll()
      .where('monitor_id', '=', monitorId)
      .where('window_start', '>=', from)
      .where('window_start', '<', to)
      .orderBy('window_start')
      .execute();
    return rows.map((r) => ({
      ...r,
      window_start: Number(r.window_start),
      window_end: Number(r.window_end),
      share_drifted: Number(r.share_drifted),
      dataset_drifted: Number(r.dataset_drifted),
      computed_at: Number(r.computed_at),
    }));
  }

  /** Window starts with a stored result in [from, to). */
  async resultStarts(monitorId: string, from: number, to: number): Promise<Set<number>> {
    const rows = await this.db.kysely
      .selectFrom('monitoring_window_results')
      .select('window_start')
      .where('monitor_id', '=', monitorId)
      .where('window_start', '>=', from)
      .where('window_start', '<', to)
      .execute();
    return new Set(rows.map((r) => Number(r.window_start)));
  }

  /** What charts read: the numbers of each window, and its JSON only when it has no series. */
  async seriesRows(monitorId: string, from: number, to: number): Promise<SeriesRow[]> {
    const rows = await this.db.kysely
      .selectFrom('monitoring_window_results')
      .select([
        'window_start',
        'share_drifted',
        'dataset_drifted',
        'series',
        sql<string | null>`case when series is null then features end`.as('features'),
      ])
      .where('monitor_id', '=', monitorId)
      .where('window_start', '>=', from)
      .where('window_start', '<', to)
      .orderBy('window_start')
      .execute();
    for (const r of rows) {
      r.window_start = Number(r.window_start);
      r.share_drifted = Number(r.share_drifted);
      r.dataset_drifted = Number(r.dataset_drifted);
    }
    return rows;
  }

  async saveResults(rows: WindowResultRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) {
        await trx
          .insertInto('monitoring_window_results')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) =>
            oc.columns(['monitor_id', 'window_start']).doUpdateSet((eb) => ({
              window_end: eb.ref('excluded.window_end'),
              share_drifted: eb.ref('excluded.share_drifted'),
              dataset_drifted: eb.ref('excluded.dataset_drifted'),
              features: eb.ref('excluded.features'),
              series: eb.ref('excluded.series'),
              computed_at: eb.ref('excluded.computed_at'),
            })),
          )
          .execute();
      }
    });
  }

  /** Start of the last window with a stored result; null when none. */
  async lastResult(monitorId: string): Promise<number | null> {
    const row = await this.db.kysely
      .selectFrom('monitoring_window_results')
      .select((eb) => eb.fn.max('window_start').as('last'))
      .where('monitor_id', '=', monitorId)
      .executeTakeFirst();
    return row?.last === null || row?.last === undefined ? null : Number(row.last);
  }
}

function normalize(r: MonitorRow): MonitorRow {
  return { ...r, window_ms: Number(r.window_ms) };
}
