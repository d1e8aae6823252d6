import type { Db, Executor } from '../../storage/database.js';
import type { EvalRunsTable, EvalSuitesTable, GateDecisionsTable } from './evals.tables.js';

export interface EvalRunFilter {
  projectId: string;
  suite?: string;
  candidate?: string;
  status?: string;
  /** Newest first: only runs with a smaller id. */
  beforeId?: string;
}

/** SQL of evaluation suites, runs and gate decisions. */
export class EvalsRepo {
  constructor(private readonly db: Db) {}

  async insertSuite(trx: Executor, row: EvalSuitesTable): Promise<void> {
    await trx.insertInto('eval_suites').values(row).execute();
  }

  async findSuite(
    projectId: string,
    name: string,
    version: number | 'latest',
    trx: Executor = this.db.kysely,
  ): Promise<EvalSuitesTable | undefined> {
    let q = trx
      .selectFrom('eval_suites')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name);
    q = version === 'latest' ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
    const row = await q.executeTakeFirst();
    return row && normalizeSuite(row);
  }

  async findSuiteById(id: string): Promise<EvalSuitesTable | undefined> {
    const row = await this.db.kysely
      .selectFrom('eval_suites')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && normalizeSuite(row);
  }

  /** The latest version of each suite, by name. */
  async listLatestSuites(
    projectId: string,
    afterName: string | undefined,
    limit: number,
  ): Promise<EvalSuitesTable[]> {
    let q = this.db.kysely
      .selectFrom('eval_suites as s')
      .selectAll('s')
      .where('s.project_id', '=', projectId)
      .where(({ eb, selectFrom }) =>
        eb(
          's.version',
          '=',
          selectFrom('eval_suites as t')
            .select((e) => e.fn.max('t.version').as('v'))
            .whereRef('t.project_id', '=', 's.project_id')
            .whereRef('t.name', '=', 's.name'),
        ),
      );
    if (afterName !== undefined) q = q.where('s.name', '>', afterName);
    const rows = await q.orderBy('s.name').limit(limit).execute();
    return rows.map(normalizeSuite);
  }

  async listSuiteVersions(
    projectId: string,
    name: string,
    beforeVersion: number | undefined,
    limit: number,
  ): Promise<EvalSuitesTable[]> {
    let q = this.db.kysely
      .selectFrom('eval_suites')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name);
    if (beforeVersion !== undefined) q = q.where('version', '<', beforeVersion);
    const rows = await q.orderBy('version', 'desc').limit(limit).execute();
    return rows.map(normalizeSuite);
  }

  async insertRun(trx: Executor, row: EvalRunsTable): Promise<void> {
    await trx.insertInto('eval_runs').values(row).execute();
  }

  async findRun(id: string, trx: Executor = this.db.kysely): Promise<EvalRunsTable | undefined> {
    const row = await trx.selectFrom('eval_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && normalizeRun(row);
  }

  async listRuns(filter: EvalRunFilter, limit: number): Promise<EvalRunsTable[]> {
    let q = this.db.kysely.selectFrom('eval_runs').selectAll().where('project_id', '=', filter.projectId);
    if (filter.suite !== undefined) q = q.where('suite_name', '=', filter.suite);
    if (filter.candidate !== undefined) q = q.where('candidate_version_id', '=', filter.candidate);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(normalizeRun);
  }

  /** Succeeded runs whose candidate is this version, newest first. */
  async succeededRunsOf(versionId: string): Promise<EvalRunsTable[]> {
    const rows = await this.db.kysely
      .selectFrom('eval_runs')
      .selectAll()
      .where('candidate_version_id', '=', versionId)
      .where('status', '=', 'succeeded')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(normalizeRun);
  }

  /** Moves a queued (or re-delivered running) run to running; false if it has already ended. */
  async start(trx: Executor, id: string, at: string): Promise<boolean> {
    const result = await trx
      .updateTable('eval_runs')
      .set({ status: 'running', started_at: at, rows_done: 0 })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async setProgress(id: string, rowsDone: number): Promise<void> {
    await this.db.kysely
      .updateTable('eval_runs')
      .set({ rows_done: rowsDone })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  /** Ends a running run; false if it had already ended (a second delivery of the job). */
  async finish(
    trx: Executor,
    id: string,
    fields: Pick<EvalRunsTable, 'status' | 'result' | 'error' | 'finished_at' | 'duration_ms' | 'rows_done'>,
  ): Promise<boolean> {
    const result = await trx
      .updateTable('eval_runs')
      .set(fields)
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async insertDecision(trx: Executor, row: GateDecisionsTable): Promise<void> {
    await trx.insertInto('gate_decisions').values(row).execute();
  }

  async decisionsOf(runIds: string[]): Promise<GateDecisionsTable[]> {
    if (runIds.length === 0) return [];
    const rows = await this.db.kysely
      .selectFrom('gate_decisions')
      .selectAll()
      .where('eval_run_id', 'in', runIds)
      .execute();
    return rows.map(normalizeDecision);
  }

  async latestDecision(
    candidateVersionId: string,
    trx: Executor = this.db.kysely,
  ): Promise<GateDecisionsTable | undefined> {
    const row = await trx
      .selectFrom('gate_decisions')
      .selectAll()
      .where('candidate_version_id', '=', candidateVersionId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && normalizeDecision(row);
  }

  /** The newest decision of each candidate that has one (decision ids sort by time). */
  async latestDecisions(candidateVersionIds: string[]): Promise<GateDecisionsTable[]> {
    const newest = new Map<string, GateDecisionsTable>();
    for (let i = 0; i < candidateVersionIds.length; i += IDS_PER_QUERY) {
      const rows = await this.db.kysely
        .selectFrom('gate_decisions')
        .selectAll()
        .where('candidate_version_id', 'in', candidateVersionIds.slice(i, i + IDS_PER_QUERY))
        .orderBy('id', 'desc')
        .execute();
      for (const row of rows) {
        if (!newest.has(row.candidate_version_id))
          newest.set(row.candidate_version_id, normalizeDecision(row));
      }
    }
    return [...newest.values()];
  }
}

/** Ids bound per statement at most, well inside SQLite's and PostgreSQL's limits. */
const IDS_PER_QUERY = 500;

function normalizeSuite(row: EvalSuitesTable): EvalSuitesTable {
  return { ...row, version: Number(row.version) };
}

function normalizeRun(row: EvalRunsTable): EvalRunsTable {
  return {
    ...row,
    suite_version: Number(row.suite_version),
    rows_done: Number(row.rows_done),
    rows_total: Number(row.rows_total),
    duration_ms: row.duration_ms === null ? null : Number(row.duration_ms),
  };
}

function normalizeDecision(row: GateDecisionsTable): GateDecisionsTable {
  return { ...row, passed: Number(row.passed) };
}
