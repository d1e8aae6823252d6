import type {
  FinalRunStatus,
  Page,
  Run,
  RunArtifact,
  RunComparison,
  RunMetricPoint,
  RunParamValue,
  RunStatus,
  RunSummary,
} from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import { sha256Hex } from '../../core/audit/audit-hash.js';
import { canonicalJson } from '../../core/canonical-json.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import type { Db, Executor } from '../../storage/database.js';
import { compareRuns } from './run-comparison.js';
import { RunMetricsRepo } from './run-metrics.repo.js';
import {
  groupByRun,
  isStepSeq,
  latestPerKey,
  parseTagFilter,
  timeOf,
  toPoint,
  toSummary,
} from './run-rows.js';
import { RunsRepo } from './runs.repo.js';
import type { RunMetricsTable, RunsTable } from './runs.tables.js';

/**
 * Resolves the dataset versions a run reads (`weather@v3`, `dsv_…`) and records the run as
 * their consumer for lineage. The datasets module implements it.
 */
export interface DatasetVersionResolver {
  /** Rejects with `not_found` (or another PlumbError) when the reference names no version. */
  resolve(projectId: string, ref: string): Promise<{ id: string; ref: string }>;
  /** Runs inside the run's creating transaction, so the lineage edge commits with the run. */
  recordConsumer(trx: Executor, versionId: string, consumer: { kind: 'run'; id: string }): Promise<void>;
}

/** What runs need of the blob store: the blob's size when the project holds it, else null. */
export interface ArtifactBlobs {
  stat(ref: string, projectId: string): Promise<{ size: number } | null>;
}

export interface CreateRunInput {
  name: string;
  params: Record<string, RunParamValue>;
  tags: Record<string, string>;
  codeVersion: string | null;
  inputs: string[];
}

export interface MetricPointInput {
  key: string;
  value: number;
  step: number;
  /** Milliseconds since the epoch or ISO-8601; the server's time when absent. */
  time?: number | string | undefined;
}

/** Experiment tracking: runs with params, tags, inputs, metric series and artifacts. */
export class RunsService {
  private readonly repo: RunsRepo;
  private readonly metrics: RunMetricsRepo;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly datasets: DatasetVersionResolver,
    private readonly blobs: ArtifactBlobs,
  ) {
    this.repo = new RunsRepo(db);
    this.metrics = new RunMetricsRepo(db);
  }

  async create(ctx: RequestContext, input: CreateRunInput): Promise<Run> {
    const projectId = ctx.principal.projectId;
    // Resolved before the transaction: resolving only reads, and the write lock stays short.
    const inputs = new Map<string, { id: string; ref: string }>();
    for (const ref of input.inputs) {
      const version = await this.datasets.resolve(projectId, ref);
      if (!inputs.has(version.id)) inputs.set(version.id, version);
    }
    const run: RunsTable = {
      id: newId('run'),
      project_id: projectId,
      name: input.name,
      status: 'running',
      code_version: input.codeVersion,
      params: JSON.stringify(input.params),
      metric_count: 0,
      created_at: isoNow(this.clock),
      created_by: actorOf(ctx),
      finished_at: null,
    };
    const tags = Object.entries(input.tags).map(([key, value]) => ({ run_id: run.id, key, value }));
    const inputRows = [...inputs.values()].map((v, position) => ({
      run_id: run.id,
      position,
      dataset_version_id: v.id,
      ref: v.ref,
    }));
    await this.db.kysely.transaction().execute(async (trx) => {
      await this.repo.insert(trx, run, tags, inputRows);
      for (const v of inputs.values())
        await this.datasets.recordConsumer(trx, v.id, { kind: 'run', id: run.id });
      await this.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'run.create',
        resource: `run:${run.id}`,
        change: {
          name: run.name,
          params: input.params,
          tags: input.tags,
          codeVersion: run.code_version,
          inputs: inputRows.map((i) => i.ref),
        },
      });
    });
    return {
      ...toSummary(run, tags),
      inputs: inputRows.map((i) => ({ datasetVersionId: i.dataset_version_id, ref: i.ref })),
      metrics: [],
      artifacts: [],
    };
  }

  async get(ctx: RequestContext, id: string): Promise<Run> {
    const run = await this.mustFind(ctx, id);
    const [tags, inputs, latest, artifacts] = await Promise.all([
      this.repo.tagsOf([id]),
      this.repo.inputsOf(id),
      this.repo.latestMetricsOf([id]),
      this.repo.artifactsOf(id),
    ]);
    return {
      ...toSummary(run, tags),
      inputs: inputs.map((i) => ({ datasetVersionId: i.dataset_version_id, ref: i.ref })),
      metrics: latest.map(toPoint),
      artifacts: artifacts.map((a) => ({
        path: a.path,
        blobRef: a.blob_ref,
        size: a.size,
        createdAt: a.created_at,
      })),
    };
  }

  /** Newest first. */
  async list(
    ctx: RequestContext,
    query: { limit: number; cursor?: string; name?: string; status?: RunStatus; tag?: string },
  ): Promise<Page<RunSummary>> {
    const beforeId = decodeCursor(query.cursor, isString);
    const rows = await this.repo.list(
      {
        projectId: ctx.principal.projectId,
        ...(query.name === undefined ? {} : { name: query.name }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.tag === undefined ? {} : { tag: parseTagFilter(query.tag) }),
        ...(beforeId === undefined ? {} : { beforeId }),
      },
      query.limit + 1,
    );
    const tags = groupByRun(await this.repo.tagsOf(rows.slice(0, query.limit).map((r) => r.id)));
    return pageOf(
      rows,
      query.limit,
      (r) => toSummary(r, tags.get(r.id) ?? []),
      (r) => r.id,
    );
  }

  /**
   * Appends a batch of points in one transaction: all of it commits, or none of it. The points
   * are numbered after the run's existing ones, so the log order survives ties in step and time.
   */
  async logMetrics(
    ctx: RequestContext,
    id: string,
    points: MetricPointInput[],
  ): Promise<{ runId: string; accepted: number }> {
    const now = this.clock.now().getTime();
    return this.db.kysely.transaction().execute(async (trx) => {
      const run = await this.lockRunning(trx, ctx, id, 'log metrics to');
      const rows: RunMetricsTable[] = points.map((p, i) => ({
        run_id: id,
        seq: run.metric_count + i,
        key: p.key,
        step: p.step,
        value: p.value,
        time: timeOf(p.time, now),
      }));
      await this.metrics.insertPoints(trx, rows);
      await this.metrics.upsertLatest(trx, latestPerKey(rows));
      await this.repo.addMetricCount(trx, id, rows.length);
      await this.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: run.project_id,
        action: 'run.log_metrics',
        resource: `run:${id}`,
        // The digest makes the audit chain cover every point without copying them into it.
        change: {
          points: rows.length,
          keys: [...new Set(rows.map((r) => r.key))].sort(),
          firstSeq: run.metric_count,
          digest: sha256Hex(canonicalJson(rows.map((r) => [r.key, r.step, r.value, r.time]))),
        },
      });
      return { runId: id, accepted: rows.length };
    });
  }

  /** One metric's points by step, paged; the cursor is the last (step, seq) returned. */
  async metricHistory(
    ctx: RequestContext,
    id: string,
    query: { key: string; limit: number; cursor?: string },
  ): Promise<Page<RunMetricPoint>> {
    await this.mustFind(ctx, id);
    const after = decodeCursor(query.cursor, isStepSeq);
    const rows = await this.metrics.history(
      id,
      query.key,
      after && { step: after[0], seq: after[1] },
      query.limit + 1,
    );
    return pageOf(rows, query.limit, toPoint, (r) => [r.step, r.seq]);
  }

  /** Every blob ref any run's artifacts hold, in any project; garbage collection keeps these. */
  referencedBlobRefs(): Promise<string[]> {
    return this.repo.referencedBlobRefs();
  }

  async logArtifact(
    ctx: RequestContext,
    id: string,
    input: { path: string; blobRef: string },
  ): Promise<RunArtifact> {
    await this.mustFind(ctx, id);
    const stat = await this.blobs.stat(input.blobRef, ctx.principal.projectId);
    if (!stat) {
      throw new PlumbError(
        'failed_precondition',
        `blob ${input.blobRef} is not in the blob store; upload it first`,
        {
          details: { blobRef: input.blobRef },
        },
      );
    }
    const row = {
      run_id: id,
      path: input.path,
      blob_ref: input.blobRef,
      size: stat.size,
      created_at: isoNow(this.clock),
    };
    await this.db.kysely.transaction().execute(async (trx) => {
      const run = await this.lockRunning(trx, ctx, id, 'log artifacts to');
      try {
        await this.repo.insertArtifact(trx, row);
      } catch (error) {
        if (PlumbError.is(error, 'already_exists')) {
          throw new PlumbError('already_exists', `run ${id} already has an artifact at ${input.path}`, {
            cause: error,
          });
        }
        throw error;
      }
      await this.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: run.project_id,
        action: 'run.log_artifact',
        resource: `run:${id}`,
        change: { path: row.path, blobRef: row.blob_ref, size: row.size },
      });
    });
    return { path: row.path, blobRef: row.blob_ref, size: row.size, createdAt: row.created_at };
  }

  /** Ends the run; from then on it is immutable. */
  async finish(ctx: RequestContext, id: string, status: FinalRunStatus): Promise<Run> {
    await this.db.kysely.transaction().execute(async (trx) => {
      const run = await this.lockRunning(trx, ctx, id, 'finish');
      const at = isoNow(this.clock);
      if (!(await this.repo.finish(trx, id, status, at))) throw alreadyEnded(id, 'finish');
      await this.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: run.project_id,
        action: 'run.finish',
        resource: `run:${id}`,
        change: { status, finishedAt: at },
      });
    });
    return this.get(ctx, id);
  }

  async compare(ctx: RequestContext, ids: string[]): Promise<RunComparison> {
    const runs = await Promise.all(ids.map((id) => this.mustFind(ctx, id)));
    const [tags, latest] = await Promise.all([this.repo.tagsOf(ids), this.repo.latestMetricsOf(ids)]);
    const tagsByRun = groupByRun(tags);
    const latestByRun = groupByRun(latest);
    return compareRuns(
      runs.map((run) => ({
        summary: toSummary(run, tagsByRun.get(run.id) ?? []),
        metrics: (latestByRun.get(run.id) ?? []).map(toPoint),
      })),
    );
  }

  /** Runs of other projects are reported missing, not forbidden, so ids do not leak. */
  private async mustFind(ctx: RequestContext, id: string): Promise<RunsTable> {
    const run = await this.repo.find(ctx.principal.projectId, id);
    if (!run) throw new PlumbError('not_found', `run ${id} does not exist`);
    return run;
  }

  private async lockRunning(
    trx: Executor,
    ctx: RequestContext,
    id: string,
    verb: string,
  ): Promise<RunsTable> {
    const run = await this.repo.lock(trx, ctx.principal.projectId, id);
    if (!run) throw new PlumbError('not_found', `run ${id} does not exist`);
    if (run.status !== 'running') throw alreadyEnded(id, verb, run.status);
    return run;
  }
}

/** Stands in for the datasets module until it exists: runs cannot name inputs yet. */
function alreadyEnded(id: string, verb: string, status?: string): PlumbError {
  return new PlumbError(
    'failed_precondition',
    `cannot ${verb} run ${id}: it has ended${status ? ` (${status})` : ''} and a finished run is immutable`,
    { details: { runId: id, ...(status ? { status } : {}) } },
  );
}
