import type { Db, Executor } from '../../storage/database.js';
import type { ModelsTable, ModelVersionInputsTable, ModelVersionsTable } from './registry.tables.js';

export type VersionRow = ModelVersionsTable & { model_name: string; project_id: string };

/** SQL of models, their versions and the versions' training inputs. */
export class ModelsRepo {
  constructor(private readonly db: Db) {}

  findModel(
    projectId: string,
    name: string,
    trx: Executor = this.db.kysely,
  ): Promise<ModelsTable | undefined> {
    return trx
      .selectFrom('models')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** Every blob ref a model version's artifact holds, in any project. */
  async referencedBlobRefs(): Promise<string[]> {
    const rows = await this.db.kysely
      .selectFrom('model_versions')
      .select('blob_ref')
      .distinct()
      .where('blob_ref', 'is not', null)
      .execute();
    return rows.map((r) => r.blob_ref!);
  }

  findModelById(id: string, trx: Executor = this.db.kysely): Promise<ModelsTable | undefined> {
    return trx.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Reads the model inside a writing transaction and, on PostgreSQL, locks its row. Every change
   * to a model's versions, aliases or requests takes this lock first, so those transactions
   * queue per model in one lock order and never deadlock; SQLite serializes writers by itself.
   */
  async lockModel(trx: Executor, id: string): Promise<ModelsTable | undefined> {
    let q = trx.selectFrom('models').selectAll().where('id', '=', id);
    if (this.db.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  async insertModel(trx: Executor, row: ModelsTable): Promise<void> {
    await trx.insertInto('models').values(row).execute();
  }

  async updateModel(trx: Executor, id: string, changes: Partial<ModelsTable>): Promise<void> {
    await trx.updateTable('models').set(changes).where('id', '=', id).execute();
  }

  /** By name, after `afterName`. */
  listModels(projectId: string, afterName: string | undefined, limit: number): Promise<ModelsTable[]> {
    let q = this.db.kysely.selectFrom('models').selectAll().where('project_id', '=', projectId);
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    return q.orderBy('name').limit(limit).execute();
  }

  /** Per model: how many versions, and the highest number. */
  async versionCounts(modelIds: string[]): Promise<Map<string, { count: number; latest: number | null }>> {
    if (modelIds.length === 0) return new Map();
    const rows = await this.db.kysely
      .selectFrom('model_versions')
      .select((eb) => ['model_id', eb.fn.countAll().as('count'), eb.fn.max('version').as('latest')])
      .where('model_id', 'in', modelIds)
      .groupBy('model_id')
      .execute();
    return new Map(
      rows.map((r) => [
        r.model_id,
        { count: Number(r.count), latest: r.latest === null ? null : Number(r.latest) },
      ]),
    );
  }

  private versions(trx: Executor = this.db.kysely) {
    return trx
      .selectFrom('model_versions')
      .innerJoin('models', 'models.id', 'model_versions.model_id')
      .selectAll('model_versions')
      .select(['models.name as model_name', 'models.project_id']);
  }

  async findVersionById(id: string, trx?: Executor): Promise<VersionRow | undefined> {
    const row = await this.versions(trx).where('model_versions.id', '=', id).executeTakeFirst();
    return row && normalize(row);
  }

  async findVersion(modelId: string, version: number, trx?: Executor): Promise<VersionRow | undefined> {
    const row = await this.versions(trx)
      .where('model_versions.model_id', '=', modelId)
      .where('model_versions.version', '=', version)
      .executeTakeFirst();
    return row && normalize(row);
  }

  async findLatestVersion(modelId: string, trx?: Executor): Promise<VersionRow | undefined> {
    const row = await this.versions(trx)
      .where('model_versions.model_id', '=', modelId)
      .orderBy('model_versions.version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && normalize(row);
  }

  /** Newest first, before version `before`. */
  async listVersions(modelId: string, before: number | undefined, limit: number): Promise<VersionRow[]> {
    let q = this.versions().where('model_versions.model_id', '=', modelId);
    if (before !== undefined) q = q.where('model_versions.version', '<', before);
    const rows = await q.orderBy('model_versions.version', 'desc').limit(limit).execute();
    return rows.map(normalize);
  }

  async versionsOfModels(modelIds: string[]): Promise<VersionRow[]> {
    if (modelIds.length === 0) return [];
    const rows = await this.versions()
      .where('model_versions.model_id', 'in', modelIds)
      .orderBy('model_versions.version', 'desc')
      .execute();
    return rows.map(normalize);
  }

  async nextVersionNumber(trx: Executor, modelId: string): Promise<number> {
    const row = await trx
      .selectFrom('model_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('model_id', '=', modelId)
      .executeTakeFirst();
    return Number(row?.v ?? 0) + 1;
  }

  async insertVersion(
    trx: Executor,
    row: ModelVersionsTable,
    inputs: ModelVersionInputsTable[],
  ): Promise<void> {
    await trx.insertInto('model_versions').values(row).execute();
    if (inputs.length > 0) await trx.insertInto('model_version_inputs').values(inputs).execute();
  }

  async inputsOf(versionIds: string[]): Promise<ModelVersionInputsTable[]> {
    if (versionIds.length === 0) return [];
    return this.db.kysely
      .selectFrom('model_version_inputs')
      .selectAll()
      .where('version_id', 'in', versionIds)
      .orderBy('version_id')
      .orderBy('position')
      .execute();
  }

  async setStatus(trx: Executor, id: string, status: string, at: string): Promise<void> {
    await trx
      .updateTable('model_versions')
      .set({ status, status_changed_at: at })
      .where('id', '=', id)
      .execute();
  }

  async setCard(trx: Executor, id: string, card: string): Promise<void> {
    await trx.updateTable('model_versions').set({ card }).where('id', '=', id).execute();
  }
}

function normalize<R extends VersionRow>(row: R): R {
  return {
    ...row,
    version: Number(row.version),
    artifact_size: row.artifact_size === null ? null : Number(row.artifact_size),
  };
}
