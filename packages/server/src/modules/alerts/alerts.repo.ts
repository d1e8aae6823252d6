import type { Db, Executor } from '../../storage/database.js';
import type { AlertDeliveriesTable, AlertRulesTable, AlertsTable } from './alerts.tables.js';

const OPEN_STATUSES = ['open', 'acknowledged'];

/** The SQL of alert rules, their evaluation state, alerts and delivery attempts. */
export class AlertsRepo {
  constructor(private readonly db: Db) {}

  async insertRule(trx: Executor, row: AlertRulesTable): Promise<void> {
    await trx.insertInto('alert_rules').values(row).execute();
  }

  async rule(projectId: string, idOrName: string): Promise<AlertRulesTable | undefined> {
    return this.db.kysely
      .selectFrom('alert_rules')
      .selectAll()
      .where('project_id', '=', projectId)
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst()
      .then((r) => r && ruleNumbers(r));
  }

  async ruleById(id: string): Promise<AlertRulesTable | undefined> {
    const r = await this.db.kysely
      .selectFrom('alert_rules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r && ruleNumbers(r);
  }

  /** A project's rules by name, or every project's when `projectId` is undefined. */
  async rules(projectId?: string): Promise<AlertRulesTable[]> {
    let q = this.db.kysely.selectFrom('alert_rules').selectAll();
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return (await q.orderBy('project_id').orderBy('name').execute()).map(ruleNumbers);
  }

  async deleteRule(trx: Executor, id: string): Promise<void> {
    await trx.deleteFrom('alert_rules').where('id', '=', id).execute();
  }

  /** The rule's latest alert for a subject, whatever its status. */
  async latestAlert(trx: Executor, ruleId: string, subject: string): Promise<AlertsTable | undefined> {
    const r = await trx
      .selectFrom('alerts')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .where('subject', '=', subject)
      .orderBy('run_start', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r && alertNumbers(r);
  }

  /** Inserts the alert unless its dedup key exists; true when this call inserted it. */
  async insertAlert(trx: Executor, row: AlertsTable): Promise<boolean> {
    const result = await trx
      .insertInto('alerts')
      .values(row)
      .onConflict((oc) => oc.columns(['project_id', 'dedup_key']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async openAlerts(trx: Executor, ruleId: string, subject: string): Promise<AlertsTable[]> {
    const rows = await trx
      .selectFrom('alerts')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .where('subject', '=', subject)
      .where('status', 'in', OPEN_STATUSES)
      .execute();
    return rows.map(alertNumbers);
  }

  async alert(
    projectId: string,
    id: string,
    trx: Executor = this.db.kysely,
  ): Promise<AlertsTable | undefined> {
    const r = await trx
      .selectFrom('alerts')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r && alertNumbers(r);
  }

  async alertById(id: string): Promise<AlertsTable | undefined> {
    const r = await this.db.kysely.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    return r && alertNumbers(r);
  }

  /**
   * Moves an alert from one of `from` to `values`' status; false when it was no longer in one
   * of them (someone else acted first), so each transition notifies once.
   */
  async transition(
    trx: Executor,
    id: string,
    from: string[],
    values: Partial<AlertsTable>,
  ): Promise<boolean> {
    const result = await trx
      .updateTable('alerts')
      .set(values)
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Newest first; `before` is the last id of the previous page (ids sort by time). */
  async alerts(
    projectId: string,
    filter: { status?: string | undefined; ruleId?: string | undefined; before?: string | undefined },
    limit: number,
  ): Promise<AlertsTable[]> {
    let q = this.db.kysely.selectFrom('alerts').selectAll().where('project_id', '=', projectId);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.ruleId !== undefined) q = q.where('rule_id', '=', filter.ruleId);
    if (filter.before !== undefined) q = q.where('id', '<', filter.before);
    return (await q.orderBy('id', 'desc').limit(limit).execute()).map(alertNumbers);
  }

  async insertDelivery(row: AlertDeliveriesTable): Promise<void> {
    await this.db.kysely.insertInto('alert_deliveries').values(row).execute();
  }

  async deliveries(alertId: string): Promise<AlertDeliveriesTable[]> {
    const rows = await this.db.kysely
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('alert_id', '=', alertId)
      .orderBy('at')
      .orderBy('attempt')
      .execute();
    return rows.map((r) => ({
      ...r,
      attempt: Number(r.attempt),
      status_code: r.status_code === null ? null : Number(r.status_code),
      duration_ms: Number(r.duration_ms),
    }));
  }
}

function ruleNumbers(r: AlertRulesTable): AlertRulesTable {
  return {
    ...r,
    threshold: r.threshold === null ? null : Number(r.threshold),
    consecutive: Number(r.consecutive),
  };
}

function alertNumbers(r: AlertsTable): AlertsTable {
  return {
    ...r,
    value: r.value === null ? null : Number(r.value),
    threshold: r.threshold === null ? null : Number(r.threshold),
    run_start: Number(r.run_start),
  };
}
