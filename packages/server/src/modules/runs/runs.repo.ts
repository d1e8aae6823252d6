import type { Db, Executor } from '../../storage/database.js';
import type {
  RunArtifactsTable,
  RunInputsTable,
  RunLatestMetricsTable,
  RunsTable,
  RunTagsTable,
} from './runs.tables.js';

export interface RunFilter {
  projectId: string;
  name?: string;
  status?: RunsTable['status'];
  tag?: { key: string; value?: string };
  /** Newest first: only runs with a smaller id. */
  beforeId?: string;
}

/** SQL of runs and what hangs off them, except the metric points (RunMetricsRepo). */
export class RunsRepo {
  constructor(private readonly db: Db) {}

  async insert(trx: Executor, run: RunsTable, tags: RunTagsTable[], inputs: RunInputsTable[]): Promise<void> {
    await trx.insertInto('runs').values(run).execute();
    if (tags.length > 0) await trx.insertInto('run_tags').values(tags).execute();
    if (inputs.length > 0) await trx.insertInto('run_inputs').values(inputs).execute();
  }

  async find(projectId: string, id: string, trx: Executor = this.db.kysely): Promise<RunsTable | undefined> {
    const row = await trx
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    return row && normalize(row);
  }

  /**
   * Reads the run inside a writing transaction. On PostgreSQL the row is locked, so a batch of
   * points and a concurrent finish cannot interleave; SQLite serializes writers by itself.
   */
  async lock(trx: Executor, projectId: string, id: string): Promise<RunsTable | undefined> {
    let q = trx.selectFrom('runs').selectAll().where('id', '=', id).where('project_id', '=', projectId);
    if (this.db.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && normalize(row);
  }

  async list(filter: RunFilter, limit: number): Promise<RunsTable[]> {
    let q = this.db.kysely.selectFrom('runs').selectAll().where('project_id', '=', filter.projectId);
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    const tag = filter.tag;
    if (tag !== undefined) {
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('run_tags')
            .select('run_tags.run_id')
            .whereRef('run_tags.run_id', '=', 'runs.id')
            .where('run_tags.key', '=', tag.key)
            .$if(tag.value !== undefined, (sub) => sub.where('run_tags.value', '=', tag.value!)),
        ),
      );
    }
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(normalize);
  }

  async tagsOf(runIds: string[]): Promise<RunTagsTable[]> {
    if (runIds.length === 0) return [];
    return this.db.kysely
      .selectFrom('run_tags')
      .selectAll()
      .where('run_id', 'in', runIds)
      .orderBy('key')
      .execute();
  }

  inputsOf(runId: string): Promise<RunInputsTable[]> {
    return this.db.kysely
      .selectFrom('run_inputs')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('position')
      .execute();
  }

  async latestMetricsOf(runIds: string[]): Promise<RunLatestMetricsTable[]> {
    if (runIds.length === 0) return [];
    const rows = await this.db.kysely
      .selectFrom('run_latest_metrics')
      .selectAll()
      .where('run_id', 'in', runIds)
      .orderBy('key')
      .execute();
    return rows.map((r) => ({
      ...r,
      step: Number(r.step),
      value: Number(r.value),
      time: Number(r.time),
      seq: Number(r.seq),
    }));
  }

  async artifactsOf(runId: string): Promise<RunArtifactsTable[]> {
    const rows = await this.db.kysely
      .selectFrom('run_artifacts')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('path')
      .execute();
    return rows.map((r) => ({ ...r, size: Number(r.size) }));
  }

  async referencedBlobRefs(): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom('run_artifacts').select('blob_ref').distinct().execute();
    return rows.map((r) => r.blob_ref);
  }

  async insertArtifact(trx: Executor, row: RunArtifactsTable): Promise<void> {
    await trx.insertInto('run_artifacts').values(row).execute();
  }

  async addMetricCount(trx: Executor, id: string, count: number): Promise<void> {
    await trx
      .updateTable('runs')
      .set((eb) => ({ metric_count: eb('metric_count', '+', count) }))
      .where('id', '=', id)
      .execute();
  }

  /** Ends a running run; false when it had already ended. */
  async finish(trx: Executor, id: string, status: RunsTable['status'], at: string): Promise<boolean> {
    const result = await trx
      .updateTable('runs')
      .set({ status, finished_at: at })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function normalize(row: RunsTable): RunsTable {
  return { ...row, metric_count: Number(row.metric_count) };
}
