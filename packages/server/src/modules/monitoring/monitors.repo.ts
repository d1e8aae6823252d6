import type { Selectable } from 'kysely';
import type { Db, Executor } from '../../storage/database.js';
import type { MonitoringMonitorsTable, MonitoringWindowResultsTable } from './monitoring.tables.js';

export type MonitorRow = Selectable<MonitoringMonitorsTable>;
export type WindowResultRow = Selectable<MonitoringWindowResultsTable>;

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
