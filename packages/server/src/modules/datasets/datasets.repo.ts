import type { Db, Executor } from '../../storage/database.js';
import type {
  DatasetFilesTable,
  DatasetsTable,
  DatasetVersionsTable,
  ValidationReportsTable,
} from './datasets.tables.js';

export type VersionRow = DatasetVersionsTable & { dataset_name: string };

/** SQL of datasets, versions, their files, lineage edges and validation reports. */
export class DatasetsRepo {
  constructor(private readonly db: Db) {}

  findDataset(
    projectId: string,
    name: string,
    trx: Executor = this.db.kysely,
  ): Promise<DatasetsTable | undefined> {
    return trx
      .selectFrom('datasets')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async insertDataset(trx: Executor, row: DatasetsTable): Promise<void> {
    await trx.insertInto('datasets').values(row).execute();
  }

  listDatasets(projectId: string, afterName: string | undefined, limit: number) {
    let q = this.db.kysely
      .selectFrom('datasets')
      .leftJoin('dataset_versions', 'dataset_versions.dataset_id', 'datasets.id')
      .selectAll('datasets')
      .select((eb) => [
        eb.fn.max('dataset_versions.version').as('latest_version'),
        eb.fn.count('dataset_versions.id').as('version_count'),
      ])
      .where('datasets.project_id', '=', projectId)
      .groupBy([
        'datasets.id',
        'datasets.project_id',
        'datasets.name',
        'datasets.description',
        'datasets.created_at',
        'datasets.created_by',
      ]);
    if (afterName !== undefined) q = q.where('datasets.name', '>', afterName);
    return q.orderBy('datasets.name', 'asc').limit(limit).execute();
  }

  private versions(trx: Executor = this.db.kysely) {
    return trx
      .selectFrom('dataset_versions')
      .innerJoin('datasets', 'datasets.id', 'dataset_versions.dataset_id')
      .selectAll('dataset_versions')
      .select('datasets.name as dataset_name');
  }

  findVersion(datasetId: string, version: number, trx?: Executor): Promise<VersionRow | undefined> {
    return this.versions(trx)
      .where('dataset_versions.dataset_id', '=', datasetId)
      .where('dataset_versions.version', '=', version)
      .executeTakeFirst();
  }

  findLatestVersion(datasetId: string, trx?: Executor): Promise<VersionRow | undefined> {
    return this.versions(trx)
      .where('dataset_versions.dataset_id', '=', datasetId)
      .orderBy('dataset_versions.version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  findVersionById(id: string, trx?: Executor): Promise<(VersionRow & { project_id: string }) | undefined> {
    return this.versions(trx)
      .select('datasets.project_id')
      .where('dataset_versions.id', '=', id)
      .executeTakeFirst();
  }

  findVersionByContent(
    datasetId: string,
    contentHash: string,
    trx?: Executor,
  ): Promise<VersionRow | undefined> {
    return this.versions(trx)
      .where('dataset_versions.dataset_id', '=', datasetId)
      .where('dataset_versions.content_hash', '=', contentHash)
      .executeTakeFirst();
  }

  listVersions(datasetId: string, beforeVersion: number | undefined, limit: number): Promise<VersionRow[]> {
    let q = this.versions().where('dataset_versions.dataset_id', '=', datasetId);
    if (beforeVersion !== undefined) q = q.where('dataset_versions.version', '<', beforeVersion);
    return q.orderBy('dataset_versions.version', 'desc').limit(limit).execute();
  }

  async nextVersionNumber(trx: Executor, datasetId: string): Promise<number> {
    const row = await trx
      .selectFrom('dataset_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('dataset_id', '=', datasetId)
      .executeTakeFirst();
    return Number(row?.v ?? 0) + 1;
  }

  async insertVersion(
    trx: Executor,
    row: DatasetVersionsTable,
    files: DatasetFilesTable[],
    parentIds: string[],
  ): Promise<void> {
    await trx.insertInto('dataset_versions').values(row).execute();
    if (files.length) await trx.insertInto('dataset_files').values(files).execute();
    if (parentIds.length) {
      await trx
        .insertInto('dataset_parents')
        .values(parentIds.map((parent_id) => ({ version_id: row.id, parent_id })))
        .execute();
    }
  }

  files(versionId: string, trx: Executor = this.db.kysely): Promise<DatasetFilesTable[]> {
    return trx
      .selectFrom('dataset_files')
      .selectAll()
      .where('version_id', '=', versionId)
      .orderBy('ordinal')
      .execute();
  }

  /** Refs (`name@vN`) of a version's parents. */
  async parents(versionId: string): Promise<{ id: string; ref: string }[]> {
    const rows = await this.db.kysely
      .selectFrom('dataset_parents')
      .innerJoin('dataset_versions', 'dataset_versions.id', 'dataset_parents.parent_id')
      .innerJoin('datasets', 'datasets.id', 'dataset_versions.dataset_id')
      .select(['dataset_versions.id', 'datasets.name', 'dataset_versions.version'])
      .where('dataset_parents.version_id', '=', versionId)
      .orderBy('datasets.name')
      .orderBy('dataset_versions.version')
      .execute();
    return rows.map((r) => ({ id: r.id, ref: `${r.name}@v${r.version}` }));
  }

  async children(versionId: string): Promise<{ id: string; ref: string }[]> {
    const rows = await this.db.kysely
      .selectFrom('dataset_parents')
      .innerJoin('dataset_versions', 'dataset_versions.id', 'dataset_parents.version_id')
      .innerJoin('datasets', 'datasets.id', 'dataset_versions.dataset_id')
      .select(['dataset_versions.id', 'datasets.name', 'dataset_versions.version'])
      .where('dataset_parents.parent_id', '=', versionId)
      .execute();
    return rows.map((r) => ({ id: r.id, ref: `${r.name}@v${r.version}` }));
  }

  async addConsumer(trx: Executor, versionId: string, kind: string, id: string, at: string): Promise<void> {
    const existing = await trx
      .selectFrom('dataset_consumers')
      .select('version_id')
      .where('version_id', '=', versionId)
      .where('consumer_kind', '=', kind)
      .where('consumer_id', '=', id)
      .executeTakeFirst();
    if (!existing) {
      await trx
        .insertInto('dataset_consumers')
        .values({ version_id: versionId, consumer_kind: kind, consumer_id: id, created_at: at })
        .execute();
    }
  }

  consumers(versionId: string) {
    return this.db.kysely
      .selectFrom('dataset_consumers')
      .selectAll()
      .where('version_id', '=', versionId)
      .orderBy('created_at')
      .execute();
  }

  async setProfile(
    versionId: string,
    update: {
      profile_status: string;
      profile: string | null;
      profile_summary: string | null;
      profile_error: string | null;
    },
  ): Promise<void> {
    await this.db.kysely.updateTable('dataset_versions').set(update).where('id', '=', versionId).execute();
  }

  async setProfileJob(trx: Executor, versionId: string, jobId: string): Promise<void> {
    await trx
      .updateTable('dataset_versions')
      .set({ profile_job_id: jobId })
      .where('id', '=', versionId)
      .execute();
  }

  async insertReport(trx: Executor, row: ValidationReportsTable): Promise<void> {
    await trx.insertInto('validation_reports').values(row).execute();
    await trx
      .updateTable('dataset_versions')
      .set({ validation_status: row.passed ? 'passed' : 'failed', validation_report_id: row.id })
      .where('id', '=', row.version_id)
      .execute();
  }

  findReport(id: string): Promise<ValidationReportsTable | undefined> {
    return this.db.kysely
      .selectFrom('validation_reports')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Every blob ref any version lists. */
  async referencedBlobRefs(): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom('dataset_files').select('blob_ref').distinct().execute();
    return rows.map((r) => r.blob_ref);
  }

  /** Whether any version still lists the blob; used before deleting an uploaded blob. */
  async blobReferenced(ref: string): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('dataset_files')
      .select('version_id')
      .where('blob_ref', '=', ref)
      .executeTakeFirst();
    return row !== undefined;
  }
}
