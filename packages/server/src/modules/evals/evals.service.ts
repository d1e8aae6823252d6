import { createHash } from 'node:crypto';
import type { ColumnSchema, EvalRun, EvalRunSummary, EvalSuite, Page } from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isNumber, isString, pageOf } from '../../core/pagination.js';
import type { ModelRuntime } from '../../runtime/model-runtime.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import type { Db, Executor } from '../../storage/database.js';
import type { JobQueue } from '../../storage/queue/job-queue.js';
import type { DatasetSource } from '../datasets/dataset-source.js';
import type { ModelVersionInfo, ModelVersionResolver } from '../registry/registry.contracts.js';
import { checkBootstrapBound } from './eval-bounds.js';
import { EvalExecutor, type ExecuteOptions, type ModelBytes, requireOnnx } from './eval-executor.js';
import { toRun, toRunSummary, toSuite } from './eval-rows.js';
import { checkColumns } from './eval-runner.js';
import { parseEvalSuite } from './eval-suite.js';
import { EvalsRepo } from './evals.repo.js';
import type { EvalRunsTable, EvalSuitesTable } from './evals.tables.js';

/** Queue of the background job that runs one evaluation. */
export const EVAL_RUN_QUEUE = 'eval.run';

/** What evaluations need of the datasets module (DatasetsService is one). */
export interface EvalDatasets {
  resolve(
    projectId: string,
    ref: string,
  ): Promise<{
    id: string;
    dataset_name: string;
    version: number;
    format: string;
    schema: string;
    row_count: number;
  }>;
  sourceOf(row: { id: string; format: string }): Promise<DatasetSource>;
  recordConsumer(trx: Executor, versionId: string, consumer: { kind: string; id: string }): Promise<void>;
}

export interface EvalsDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  models: ModelVersionResolver;
  datasets: EvalDatasets;
  engine: AnalyticsEngine;
  blobs: ModelBytes;
  /** The process's shared model runtime; without one the evaluations load models on their own. */
  runtime?: ModelRuntime;
  jobs: Pick<JobQueue, 'enqueue'>;
  /** Rows per inference call; default 4,096. */
  batchSize?: number;
}

export interface ResolvedDataset {
  versionId: string;
  ref: string;
  role: 'data' | 'red_team';
  schema: ColumnSchema[];
  rowCount: number;
  source: DatasetSource;
}

/** Evaluation suites (versioned YAML), evaluation runs and their gate decisions. */
export class EvalsService {
  private readonly repo: EvalsRepo;
  readonly executor: EvalExecutor;

  constructor(private readonly deps: EvalsDeps) {
    this.repo = new EvalsRepo(deps.db);
    this.executor = new EvalExecutor(deps, this.repo, (projectId, refs) =>
      this.resolveDatasets(projectId, refs),
    );
  }

  /** Stores the YAML as the suite's next version, unless the latest version has this exact text. */
  async createSuite(ctx: RequestContext, yamlText: string): Promise<{ suite: EvalSuite; created: boolean }> {
    const projectId = ctx.principal.projectId;
    const { yaml, spec } = parseEvalSuite(yamlText);
    // Resolved now so a misspelt dataset, or a bootstrap too large for it, fails here, not at
    // the first run.
    const datasets = await this.resolveDatasets(projectId, [
      ...spec.datasets.map((ref) => ({ ref, role: 'data' as const })),
      ...spec.redTeam.map((r) => ({ ref: r.dataset, role: 'red_team' as const })),
    ]);
    checkBootstrapBound(spec, datasets);
    const contentHash = `sha256:${createHash('sha256').update(yamlText).digest('hex')}`;
    const latest = await this.repo.findSuite(projectId, spec.name, 'latest');
    if (latest?.content_hash === contentHash) return { suite: toSuite(latest), created: false };
    try {
      const row = await this.deps.db.kysely.transaction().execute(async (trx) => {
        const current = await this.repo.findSuite(projectId, spec.name, 'latest', trx);
        const row: EvalSuitesTable = {
          id: newId('evs'),
          project_id: projectId,
          name: spec.name,
          version: (current?.version ?? 0) + 1,
          yaml: yamlText,
          spec: JSON.stringify(yaml),
          content_hash: contentHash,
          created_at: isoNow(this.deps.clock),
          created_by: actorOf(ctx),
        };
        await this.repo.insertSuite(trx, row);
        await this.deps.audit.append(trx, {
          actor: actorOf(ctx),
          projectId,
          action: 'eval_suite.create',
          resource: `eval_suite:${row.name}@v${row.version}`,
          change: { contentHash, datasets: spec.datasets, metrics: spec.metrics },
        });
        return row;
      });
      return { suite: toSuite(row), created: true };
    } catch (error) {
      if (PlumbError.is(error, 'already_exists')) {
        throw new PlumbError(
          'conflict',
          `another version of suite ${spec.name} was stored at the same time; try again`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  /** `name`, `name@latest`, `name@vN` or `name@N`. */
  async getSuite(ctx: RequestContext, ref: string): Promise<EvalSuite> {
    return toSuite(await this.findSuite(ctx.principal.projectId, ref));
  }

  /** The latest version of each suite, by name. */
  async listSuites(
    ctx: RequestContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<EvalSuite>> {
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.repo.listLatestSuites(ctx.principal.projectId, after, query.limit + 1);
    return pageOf(rows, query.limit, toSuite, (r) => r.name);
  }

  async suiteVersions(
    ctx: RequestContext,
    name: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<EvalSuite>> {
    const before = decodeCursor(query.cursor, isNumber);
    const rows = await this.repo.listSuiteVersions(ctx.principal.projectId, name, before, query.limit + 1);
    if (rows.length === 0 && before === undefined)
      throw new PlumbError('not_found', `eval suite ${name} does not exist`);
    return pageOf(rows, query.limit, toSuite, (r) => r.version);
  }

  /**
   * Checks everything that can be checked without reading rows (suite, models, datasets and
   * their columns), records the run with the dataset versions it will read, and queues it.
   */
  async startRun(
    ctx: RequestContext,
    input: { suite: string; candidate: string; baseline?: string | null | undefined },
  ): Promise<EvalRun> {
    const projectId = ctx.principal.projectId;
    const suite = await this.findSuite(projectId, input.suite);
    const { spec } = parseEvalSuite(suite.yaml);
    const candidate = await this.deps.models.resolve(projectId, input.candidate);
    const baseline = input.baseline ? await this.resolveBaseline(projectId, input.baseline) : null;
    for (const m of [candidate, baseline]) if (m) requireOnnx(m);
    const datasets = await this.resolveDatasets(projectId, [
      ...spec.datasets.map((ref) => ({ ref, role: 'data' as const })),
      ...spec.redTeam.map((r) => ({ ref: r.dataset, role: 'red_team' as const })),
    ]);
    checkBootstrapBound(spec, datasets);
    const featureColumns = [...new Set(spec.features.flatMap((f) => f.columns))];
    const groupColumns = spec.gate.fairness.map((f) => f.groupColumn);
    for (const d of datasets) {
      checkColumns(
        { ...spec, groupColumns },
        { ref: d.ref, role: d.role, source: d.source, schema: d.schema },
        featureColumns,
      );
    }
    const row: EvalRunsTable = {
      id: newId('evr'),
      project_id: projectId,
      suite_id: suite.id,
      suite_name: suite.name,
      suite_version: suite.version,
      candidate_version_id: candidate.id,
      candidate_ref: candidate.ref,
      baseline_version_id: baseline?.id ?? null,
      baseline_ref: baseline?.ref ?? null,
      baseline_requested: input.baseline ?? null,
      datasets: JSON.stringify(datasets.map((d) => ({ versionId: d.versionId, ref: d.ref, role: d.role }))),
      status: 'queued',
      rows_done: 0,
      rows_total: datasets.reduce((n, d) => n + d.rowCount, 0),
      result: null,
      error: null,
      created_at: isoNow(this.deps.clock),
      created_by: actorOf(ctx),
      started_at: null,
      finished_at: null,
      duration_ms: null,
    };
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.repo.insertRun(trx, row);
      for (const id of new Set(datasets.map((d) => d.versionId))) {
        await this.deps.datasets.recordConsumer(trx, id, { kind: 'eval_run', id: row.id });
      }
      await this.deps.jobs.enqueue(
        EVAL_RUN_QUEUE,
        { evalRunId: row.id },
        { dedupeKey: `eval:${row.id}`, maxAttempts: 3 },
        trx,
      );
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'eval_run.create',
        resource: `eval_run:${row.id}`,
        change: {
          suite: `${suite.name}@v${suite.version}`,
          candidate: candidate.ref,
          baseline: baseline?.ref ?? null,
          baselineRequested: row.baseline_requested,
          datasets: datasets.map((d) => d.ref),
        },
      });
    });
    return toRun(row, undefined);
  }

  async getRun(ctx: RequestContext, id: string): Promise<EvalRun> {
    const row = await this.mustFindRun(ctx, id);
    const [decision] = await this.repo.decisionsOf([id]);
    return toRun(row, decision);
  }

  async listRuns(
    ctx: RequestContext,
    query: {
      limit: number;
      cursor?: string | undefined;
      suite?: string | undefined;
      candidate?: string | undefined;
      status?: string | undefined;
    },
  ): Promise<Page<EvalRunSummary>> {
    const beforeId = decodeCursor(query.cursor, isString);
    const rows = await this.repo.listRuns(
      {
        projectId: ctx.principal.projectId,
        ...(query.suite === undefined ? {} : { suite: query.suite }),
        ...(query.candidate === undefined ? {} : { candidate: query.candidate }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(beforeId === undefined ? {} : { beforeId }),
      },
      query.limit + 1,
    );
    const kept = rows.slice(0, query.limit);
    const decisions = new Map(
      (await this.repo.decisionsOf(kept.map((r) => r.id))).map((d) => [d.eval_run_id, d]),
    );
    return pageOf(
      rows,
      query.limit,
      (r) => toRunSummary(r, decisions.get(r.id)),
      (r) => r.id,
    );
  }

  /** The job handler's entry: runs a queued evaluation to its end (see EvalExecutor). */
  execute(evalRunId: string, options: ExecuteOptions = {}): Promise<void> {
    return this.executor.execute(evalRunId, options);
  }

  async close(): Promise<void> {
    await this.executor.close();
  }

  private async findSuite(projectId: string, ref: string): Promise<EvalSuitesTable> {
    const match = /^([a-z0-9][a-z0-9._-]*)(?:@(?:v?(\d+)|(latest)))?$/.exec(ref);
    if (!match)
      throw new PlumbError(
        'invalid_argument',
        `"${ref.slice(0, 120)}" is not a suite; write name or name@vN`,
      );
    const version = match[2] === undefined ? 'latest' : Number(match[2]);
    const row = await this.repo.findSuite(projectId, match[1]!, version);
    if (!row) throw new PlumbError('not_found', `eval suite ${ref} does not exist`);
    return row;
  }

  /**
   * `name@vN`, `name@latest` and `mv_…` must exist; `name@<alias>` may point at nothing yet
   * (the first model has no champion), which means no baseline.
   */
  private async resolveBaseline(projectId: string, ref: string): Promise<ModelVersionInfo | null> {
    const alias = /^([a-z0-9][a-z0-9._-]*)@([a-z][a-z0-9_-]*)$/.exec(ref);
    if (alias && alias[2] !== 'latest' && !/^v\d+$/.test(alias[2]!)) {
      return this.deps.models.aliasTarget(projectId, alias[1]!, alias[2]!);
    }
    return this.deps.models.resolve(projectId, ref);
  }

  private async resolveDatasets(
    projectId: string,
    refs: { ref: string; role: 'data' | 'red_team' }[],
  ): Promise<ResolvedDataset[]> {
    return Promise.all(
      refs.map(async ({ ref, role }) => {
        const row = await this.deps.datasets.resolve(projectId, ref);
        const schema = JSON.parse(row.schema) as ColumnSchema[];
        // With the recorded schema, CSV is read with the types the version was checked with.
        const source = { ...(await this.deps.datasets.sourceOf(row)), columns: schema };
        return {
          versionId: row.id,
          ref: `${row.dataset_name}@v${row.version}`,
          role,
          schema,
          rowCount: Number(row.row_count),
          source,
        };
      }),
    );
  }

  /** Runs of other projects are reported missing, not forbidden, so ids do not leak. */
  private async mustFindRun(ctx: RequestContext, id: string): Promise<EvalRunsTable> {
    const row = await this.repo.findRun(id);
    if (!row || row.project_id !== ctx.principal.projectId) {
      throw new PlumbError('not_found', `eval run ${id} does not exist`);
    }
    return row;
  }
}

/** Stands in for the model registry where it is not wired: no model version can be named. */
export const modelRegistryUnavailable: ModelVersionResolver = {
  resolve: async () => {
    throw new PlumbError('failed_precondition', 'the model registry is not available');
  },
  aliasTarget: async () => {
    throw new PlumbError('failed_precondition', 'the model registry is not available');
  },
};
