import type { Selectable, Updateable } from 'kysely';
import type { Db, Executor } from '../../storage/database.js';
import type {
  PipelineApprovalsTable,
  PipelineAttemptsTable,
  PipelineLogsTable,
  PipelineRunsTable,
  PipelineStepsTable,
  PipelinesTable,
  PipelineVersionsTable,
} from './pipelines.tables.js';

export type RunRow = Selectable<PipelineRunsTable>;
export type StepRow = Selectable<PipelineStepsTable>;
export type AttemptRow = Selectable<PipelineAttemptsTable>;
export type LogRow = Selectable<PipelineLogsTable>;
export type VersionRow = Selectable<PipelineVersionsTable> & { name: string };

/** The SQL of pipelines, versions, runs, steps, attempts, logs and approvals. */
export class PipelinesRepo {
  constructor(private readonly db: Db) {}

  private x(trx?: Executor): Executor {
    return trx ?? this.db.kysely;
  }

  findPipeline(projectId: string, name: string, trx?: Executor): Promise<PipelinesTable | undefined> {
    return this.x(trx)
      .selectFrom('pipelines')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  findPipelineById(id: string, trx?: Executor): Promise<PipelinesTable | undefined> {
    return this.x(trx).selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insertPipeline(trx: Executor, row: PipelinesTable): Promise<void> {
    await trx.insertInto('pipelines').values(row).execute();
  }

  async setLatest(trx: Executor, id: string, version: number, webhookSecret: string | null): Promise<void> {
    await trx
      .updateTable('pipelines')
      .set({ latest_version: version, webhook_secret: webhookSecret })
      .where('id', '=', id)
      .execute();
  }

  async insertVersion(trx: Executor, row: PipelineVersionsTable): Promise<void> {
    await trx.insertInto('pipeline_versions').values(row).execute();
  }

  findVersion(pipelineId: string, version: number, trx?: Executor): Promise<VersionRow | undefined> {
    return this.x(trx)
      .selectFrom('pipeline_versions as v')
      .innerJoin('pipelines as p', 'p.id', 'v.pipeline_id')
      .selectAll('v')
      .select('p.name')
      .where('v.pipeline_id', '=', pipelineId)
      .where('v.version', '=', version)
      .executeTakeFirst();
  }

  findVersionById(id: string, trx?: Executor): Promise<VersionRow | undefined> {
    return this.x(trx)
      .selectFrom('pipeline_versions as v')
      .innerJoin('pipelines as p', 'p.id', 'v.pipeline_id')
      .selectAll('v')
      .select('p.name')
      .where('v.id', '=', id)
      .executeTakeFirst();
  }

  /** The latest version of each pipeline of the project, by name, after `afterName`. */
  listLatest(projectId: string, afterName: string | undefined, limit: number): Promise<VersionRow[]> {
    let q = this.db.kysely
      .selectFrom('pipelines as p')
      .innerJoin('pipeline_versions as v', (j) =>
        j.onRef('v.pipeline_id', '=', 'p.id').onRef('v.version', '=', 'p.latest_version'),
      )
      .selectAll('v')
      .select('p.name')
      .where('p.project_id', '=', projectId);
    if (afterName !== undefined) q = q.where('p.name', '>', afterName);
    return q.orderBy('p.name').limit(limit).execute();
  }

  /** Latest versions of every project's pipelines (trigger matching reads them on events). */
  allLatest(projectId?: string): Promise<(VersionRow & { project_id: string })[]> {
    let q = this.db.kysely
      .selectFrom('pipelines as p')
      .innerJoin('pipeline_versions as v', (j) =>
        j.onRef('v.pipeline_id', '=', 'p.id').onRef('v.version', '=', 'p.latest_version'),
      )
      .selectAll('v')
      .select(['p.name', 'p.project_id']);
    if (projectId !== undefined) q = q.where('p.project_id', '=', projectId);
    return q.execute();
  }

  async insertRun(trx: Executor, row: PipelineRunsTable): Promise<void> {
    await trx.insertInto('pipeline_runs').values(row).execute();
  }

  findRun(id: string, trx?: Executor): Promise<RunRow | undefined> {
    return this.x(trx).selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findRunByDedup(pipelineId: string, key: string, trx?: Executor): Promise<RunRow | undefined> {
    return this.x(trx)
      .selectFrom('pipeline_runs')
      .selectAll()
      .where('pipeline_id', '=', pipelineId)
      .where('dedup_key', '=', key)
      .executeTakeFirst();
  }

  /** Reads the run inside `trx`, holding its row on PostgreSQL so steps of one run advance one at a time. */
  lockRun(trx: Executor, id: string): Promise<RunRow | undefined> {
    let q = trx.selectFrom('pipeline_runs').selectAll().where('id', '=', id);
    if (this.db.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  listRuns(
    projectId: string,
    filter: { pipeline?: string | undefined; status?: string | undefined; beforeId?: string | undefined },
    limit: number,
  ): Promise<RunRow[]> {
    let q = this.db.kysely.selectFrom('pipeline_runs').selectAll().where('project_id', '=', projectId);
    if (filter.pipeline !== undefined) q = q.where('pipeline_name', '=', filter.pipeline);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    return q.orderBy('id', 'desc').limit(limit).execute();
  }

  async updateRun(trx: Executor, id: string, patch: Updateable<PipelineRunsTable>): Promise<void> {
    await trx.updateTable('pipeline_runs').set(patch).where('id', '=', id).execute();
  }

  async insertSteps(trx: Executor, rows: PipelineStepsTable[]): Promise<void> {
    if (rows.length > 0) await trx.insertInto('pipeline_steps').values(rows).execute();
  }

  steps(runId: string, trx?: Executor): Promise<StepRow[]> {
    return this.x(trx)
      .selectFrom('pipeline_steps')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('ordinal')
      .execute();
  }

  step(runId: string, name: string, trx?: Executor): Promise<StepRow | undefined> {
    return this.x(trx)
      .selectFrom('pipeline_steps')
      .selectAll()
      .where('run_id', '=', runId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** Changes the step only while it is in one of `from`; false when it had moved on. */
  async updateStep(
    trx: Executor,
    runId: string,
    name: string,
    patch: Updateable<PipelineStepsTable>,
    from?: readonly string[],
  ): Promise<boolean> {
    let q = trx.updateTable('pipeline_steps').set(patch).where('run_id', '=', runId).where('name', '=', name);
    if (from) q = q.where('status', 'in', [...from]);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The newest step of this pipeline that succeeded with this cache key, outside `exceptRun`. */
  findCached(pipelineId: string, cacheKey: string, exceptRun: string): Promise<StepRow | undefined> {
    return this.db.kysely
      .selectFrom('pipeline_steps as s')
      .innerJoin('pipeline_runs as r', 'r.id', 's.run_id')
      .selectAll('s')
      .where('r.pipeline_id', '=', pipelineId)
      .where('s.cache_key', '=', cacheKey)
      .where('s.status', '=', 'succeeded')
      .where('s.run_id', '!=', exceptRun)
      .orderBy('s.finished_at', 'desc')
      .executeTakeFirst();
  }

  async insertAttempt(trx: Executor, row: PipelineAttemptsTable): Promise<void> {
    await trx.insertInto('pipeline_attempts').values(row).execute();
  }

  async endAttempt(
    trx: Executor,
    runId: string,
    step: string,
    attempt: number,
    patch: Updateable<PipelineAttemptsTable>,
  ): Promise<void> {
    await trx
      .updateTable('pipeline_attempts')
      .set(patch)
      .where('run_id', '=', runId)
      .where('step', '=', step)
      .where('attempt', '=', attempt)
      .where('status', '=', 'running')
      .execute();
  }

  attempts(runId: string, trx?: Executor): Promise<AttemptRow[]> {
    return this.x(trx)
      .selectFrom('pipeline_attempts')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('attempt')
      .execute();
  }

  async appendLogs(lines: Omit<PipelineLogsTable, 'seq'>[]): Promise<void> {
    if (lines.length > 0) await this.db.kysely.insertInto('pipeline_logs').values(lines).execute();
  }

  logs(runId: string, after: number, step: string | undefined, limit: number): Promise<LogRow[]> {
    let q = this.db.kysely
      .selectFrom('pipeline_logs')
      .selectAll()
      .where('run_id', '=', runId)
      .where('seq', '>', after);
    if (step !== undefined) q = q.where('step', '=', step);
    return q.orderBy('seq').limit(limit).execute();
  }

  async insertApproval(trx: Executor, row: PipelineApprovalsTable): Promise<void> {
    await trx.insertInto('pipeline_approvals').values(row).execute();
  }

  approvals(runId: string, trx?: Executor): Promise<Selectable<PipelineApprovalsTable>[]> {
    return this.x(trx)
      .selectFrom('pipeline_approvals')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('decided_at')
      .execute();
  }
}
