import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { CreateDatasetVersion, Dataset, DatasetVersion, Page } from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isNumber, isString, pageOf } from '../../core/pagination.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import type { Db, Executor } from '../../storage/database.js';
import { profileSource, storedProfile } from './dataset-profiler.js';
import { parseVersionRef } from './dataset-ref.js';
import { scanFiles } from './dataset-scanner.js';
import { type DatasetFormat, type DatasetSource, engineFor } from './dataset-source.js';
import { toDatasetVersion } from './dataset-version.mapper.js';
import { DatasetsRepo, type VersionRow } from './datasets.repo.js';

/** Versions up to this many cells are profiled before `add` returns; larger ones in the background. */
export const INLINE_PROFILE_CELLS = 2_000_000;
/**
 * How long `add` waits for a small version's profile job when profiles run off this event loop;
 * past it the version is returned pending, and `--wait` or `show` follow the job.
 */
export const INLINE_PROFILE_WAIT_MS = 10_000;

export interface DatasetsDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  /** The blob's size when the project holds it (uploaded it); null otherwise, as for one never stored. */
  blobs: { stat(ref: string, projectId: string): Promise<{ size: number } | null> };
  engine: AnalyticsEngine;
  /** Where DuckDB can read a blob. */
  localPath(ref: string): string;
  /**
   * Enqueues the profile job inside the version's transaction, so it exists iff the version
   * does, and returns its id.
   */
  scheduleProfile(trx: Executor, versionId: string): Promise<string>;
  /** The profile job's state and last reported progress; null once the job record is gone. */
  readJob(jobId: string): Promise<ProfileJobState | null>;
  /**
   * Rejects with `not_found` unless the run exists in the caller's project, with the same
   * message for a run of another project as for none, so run ids do not leak.
   */
  requireRun(ctx: RequestContext, runId: string): Promise<void>;
  /**
   * Background jobs run off this event loop, which serves HTTP: every profile is then a job
   * (up to 2 M cells would hold the loop for seconds), and `add` waits for a small version's.
   */
  profileInJobs?: boolean;
}

export interface ProfileJobState {
  status: string;
  /** What the handler last reported: `{ rows }`. */
  progress: unknown;
}

type AddInput = Omit<CreateDatasetVersion, 'message' | 'parents' | 'tags'> & {
  message: string;
  parents: string[];
  tags: Record<string, string>;
};

/** A version just committed (not one that existed with the same content). */
export interface DatasetVersionCreated {
  projectId: string;
  dataset: string;
  version: number;
  versionId: string;
}

export class DatasetsService {
  readonly repo: DatasetsRepo;
  private readonly created: ((event: DatasetVersionCreated) => unknown)[] = [];

  /**
   * Calls `listener` after each new version commits, in this process. A listener's failure is
   * its own: it never fails the version.
   */
  onVersionCreated(listener: (event: DatasetVersionCreated) => unknown): void {
    this.created.push(listener);
  }

  constructor(private readonly deps: DatasetsDeps) {
    this.repo = new DatasetsRepo(deps.db);
  }

  async addVersion(
    ctx: RequestContext,
    name: string,
    input: AddInput,
  ): Promise<{ version: DatasetVersion; created: boolean }> {
    const projectId = ctx.principal.projectId;
    // Checked before anything else, so a bad run is refused even when the content exists.
    if (input.producedByRun !== undefined) await this.deps.requireRun(ctx, input.producedByRun);
    const files = normalizeFiles(input.files);
    const sized = await Promise.all(
      files.map(async (f) => {
        const stat = await this.deps.blobs.stat(f.ref, projectId);
        if (!stat)
          throw new PlumbError(
            'failed_precondition',
            `${f.path}: its content ${f.ref} has not been uploaded`,
          );
        return { ...f, size: stat.size };
      }),
    );
    const contentHash = hashContent(sized);
    const existing = await this.findByContent(projectId, name, contentHash);
    if (existing) return { version: await this.present(existing), created: false };

    const parentIds = await Promise.all(
      input.parents.map(async (p) => (await this.resolve(projectId, p)).id),
    );
    const scan = await scanFiles(
      this.deps.engine,
      sized.map((f) => ({ path: f.path, size: f.size, localPath: this.deps.localPath(f.ref) })),
      { timeColumn: input.timeColumn, sliceColumn: input.sliceColumn },
    );
    const source: DatasetSource = {
      format: scan.format,
      paths: sized.map((f) => this.deps.localPath(f.ref)),
      names: sized.map((f) => f.path),
    };
    const small = scan.rowCount * scan.schema.length <= INLINE_PROFILE_CELLS;
    const inline = small && this.deps.profileInJobs !== true;
    const stored = inline
      ? storedProfile(
          await profileSource(
            engineFor(this.deps.engine, source),
            source,
            scan.schema,
            undefined,
            scan.rowCount,
          ),
        )
      : { profile: null, profile_summary: null };

    try {
      const row = await this.deps.db.kysely.transaction().execute(async (trx) => {
        const dataset = await this.ensureDataset(trx, ctx, name, input.description);
        const version = await this.repo.nextVersionNumber(trx, dataset.id);
        const row = {
          id: newId('dsv'),
          dataset_id: dataset.id,
          version,
          content_hash: contentHash,
          format: scan.format,
          schema: JSON.stringify(scan.schema),
          row_count: scan.rowCount,
          byte_size: sized.reduce((n, f) => n + f.size, 0),
          time_column: input.timeColumn ?? null,
          slice_column: input.sliceColumn ?? null,
          slice_counts: scan.sliceCounts === null ? null : JSON.stringify(scan.sliceCounts),
          profile_status: inline ? 'ready' : 'pending',
          profile_error: null,
          profile_job_id: null as string | null,
          ...stored,
          produced_by_run: input.producedByRun ?? null,
          message: input.message,
          tags: JSON.stringify(input.tags),
          validation_status: 'unvalidated',
          validation_report_id: null,
          created_at: isoNow(this.deps.clock),
          created_by: actorOf(ctx),
        };
        await this.repo.insertVersion(
          trx,
          row,
          sized.map((f, ordinal) => ({
            version_id: row.id,
            path: f.path,
            blob_ref: f.ref,
            size: f.size,
            ordinal,
          })),
          parentIds,
        );
        await this.deps.audit.append(trx, {
          actor: actorOf(ctx),
          projectId,
          action: 'dataset.version.create',
          resource: `dataset:${name}@v${version}`,
          change: {
            contentHash,
            files: sized.map((f) => [f.path, f.ref]),
            parents: input.parents,
            rows: scan.rowCount,
            message: input.message,
          },
        });
        if (!inline) {
          row.profile_job_id = await this.deps.scheduleProfile(trx, row.id);
          await this.repo.setProfileJob(trx, row.id, row.profile_job_id);
        }
        return { ...row, dataset_name: name };
      });
      for (const listener of this.created) {
        const event = { projectId, dataset: name, version: row.version, versionId: row.id };
        void Promise.resolve()
          .then(() => listener(event))
          .catch(() => {});
      }
      return {
        version: await this.present(small && !inline ? await this.awaitProfile(row) : row),
        created: true,
      };
    } catch (error) {
      // Two identical adds racing: the unique content constraint lets one win; the other
      // answers with the winner, as a repeated add would.
      if (PlumbError.is(error, 'already_exists')) {
        const winner = await this.findByContent(projectId, name, contentHash);
        if (winner) return { version: await this.present(winner), created: false };
        throw new PlumbError('conflict', `another version of ${name} was added at the same time; try again`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** The version once its profile job ended, or as it is after INLINE_PROFILE_WAIT_MS. */
  private async awaitProfile(row: VersionRow): Promise<VersionRow> {
    const deadline = Date.now() + INLINE_PROFILE_WAIT_MS;
    let current = row;
    while (current.profile_status === 'pending' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = (await this.repo.findVersionById(row.id)) ?? current;
    }
    return current;
  }

  /** Computes and stores the profile of a version added with status `pending` (the job handler). */
  async profileVersion(versionId: string, onProgress?: (rows: number) => void): Promise<void> {
    const row = await this.repo.findVersionById(versionId);
    if (!row) throw new PlumbError('not_found', `dataset version ${versionId} does not exist`);
    if (row.profile_status === 'ready') return;
    try {
      const source = await this.sourceOf(row);
      const profiles = await profileSource(
        engineFor(this.deps.engine, source),
        source,
        JSON.parse(row.schema),
        onProgress,
        Number(row.row_count),
      );
      await this.repo.setProfile(versionId, {
        profile_status: 'ready',
        ...storedProfile(profiles),
        profile_error: null,
      });
    } catch (error) {
      await this.repo.setProfile(versionId, {
        profile_status: 'failed',
        profile: null,
        profile_summary: null,
        profile_error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }

  async list(
    ctx: RequestContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Dataset>> {
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.repo.listDatasets(ctx.principal.projectId, after, query.limit + 1);
    return pageOf(
      rows,
      query.limit,
      (r) => ({
        id: r.id,
        name: r.name,
        description: r.description,
        latestVersion: r.latest_version === null ? null : Number(r.latest_version),
        versionCount: Number(r.version_count),
        createdAt: r.created_at,
        createdBy: r.created_by,
      }),
      (r) => r.name,
    );
  }

  async versions(
    ctx: RequestContext,
    name: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<DatasetVersion>> {
    const dataset = await this.requireDataset(ctx.principal.projectId, name);
    const before = decodeCursor(query.cursor, isNumber);
    const rows = await this.repo.listVersions(dataset.id, before, query.limit + 1);
    const page = pageOf(
      rows,
      query.limit,
      (r) => r,
      (r) => r.version,
    );
    return { items: await Promise.all(page.items.map((r) => this.present(r))), nextCursor: page.nextCursor };
  }

  /** Every blob ref a version's files hold, in any project; garbage collection keeps these. */
  referencedBlobRefs(): Promise<string[]> {
    return this.repo.referencedBlobRefs();
  }

  async get(ctx: RequestContext, ref: string): Promise<DatasetVersion> {
    return this.present(await this.resolve(ctx.principal.projectId, ref));
  }

  /** Resolves `name@vN`, `name@latest`, `name` or `dsv_…` within a project. */
  async resolve(projectId: string, ref: string, trx?: Executor): Promise<VersionRow> {
    const parsed = parseVersionRef(ref);
    if (parsed.selector.kind === 'id') {
      const row = await this.repo.findVersionById(parsed.selector.id, trx);
      if (!row || row.project_id !== projectId)
        throw new PlumbError('not_found', `dataset version ${ref} does not exist`);
      return row;
    }
    const dataset = await this.requireDataset(projectId, parsed.name!, trx);
    const row =
      parsed.selector.kind === 'latest'
        ? await this.repo.findLatestVersion(dataset.id, trx)
        : await this.repo.findVersion(dataset.id, parsed.selector.version, trx);
    if (!row) throw new PlumbError('not_found', `dataset version ${ref} does not exist`);
    return row;
  }

  /** Records that a run or model version consumed a dataset version (for lineage). */
  async recordConsumer(
    trx: Executor,
    versionId: string,
    consumer: { kind: string; id: string },
  ): Promise<void> {
    await this.repo.addConsumer(trx, versionId, consumer.kind, consumer.id, isoNow(this.deps.clock));
  }

  async sourceOf(row: { id: string; format: string }): Promise<DatasetSource> {
    const files = await this.repo.files(row.id);
    return {
      format: row.format as DatasetFormat,
      paths: files.map((f) => this.deps.localPath(f.blob_ref)),
      names: files.map((f) => f.path),
    };
  }

  async present(row: VersionRow): Promise<DatasetVersion> {
    const [files, parents, job] = await Promise.all([
      this.repo.files(row.id),
      this.repo.parents(row.id),
      row.profile_job_id ? this.deps.readJob(row.profile_job_id) : null,
    ]);
    return toDatasetVersion(row, files, parents, job);
  }

  private async findByContent(
    projectId: string,
    name: string,
    contentHash: string,
  ): Promise<VersionRow | undefined> {
    const dataset = await this.repo.findDataset(projectId, name);
    return dataset && this.repo.findVersionByContent(dataset.id, contentHash);
  }

  private async requireDataset(projectId: string, name: string, trx?: Executor) {
    const dataset = await this.repo.findDataset(projectId, name, trx);
    if (!dataset) throw new PlumbError('not_found', `dataset ${name} does not exist`);
    return dataset;
  }

  private async ensureDataset(
    trx: Executor,
    ctx: RequestContext,
    name: string,
    description: string | undefined,
  ) {
    const existing = await this.repo.findDataset(ctx.principal.projectId, name, trx);
    if (existing) return existing;
    const row = {
      id: newId('ds'),
      project_id: ctx.principal.projectId,
      name,
      description: description ?? '',
      created_at: isoNow(this.deps.clock),
      created_by: actorOf(ctx),
    };
    await this.repo.insertDataset(trx, row);
    await this.deps.audit.append(trx, {
      actor: actorOf(ctx),
      projectId: ctx.principal.projectId,
      action: 'dataset.create',
      resource: `dataset:${name}`,
      change: { name, description: row.description },
    });
    return row;
  }
}

/** Paths are relative, normalized, unique, and never climb out of the version. */
function normalizeFiles(files: { path: string; ref: string }[]): { path: string; ref: string }[] {
  const seen = new Set<string>();
  return files.map((f) => {
    const path = posix.normalize(f.path.replaceAll('\\', '/'));
    if (path.startsWith('/') || path === '..' || path.startsWith('../') || path === '.') {
      throw new PlumbError(
        'invalid_argument',
        `file path "${f.path}" must be relative and inside the version`,
      );
    }
    if (seen.has(path)) throw new PlumbError('invalid_argument', `file path "${path}" appears twice`);
    seen.add(path);
    return { path, ref: f.ref };
  });
}

/** sha256 over the sorted (path, file hash) list: the same files under the same names, the same version. */
export function hashContent(files: { path: string; ref: string }[]): string {
  const lines = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.path}\t${f.ref}\n`);
  return `sha256:${createHash('sha256').update(lines.join('')).digest('hex')}`;
}
