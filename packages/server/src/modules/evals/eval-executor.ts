import type { EvalResult } from '@plumb/sdk';
import { sha256Hex } from '../../core/audit/audit-hash.js';
import { canonicalJson } from '../../core/canonical-json.js';
import { isoNow } from '../../core/clock.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { type ModelFiles, ModelRuntime } from '../../runtime/model-runtime.js';
import type { Lease } from '../../runtime/model-session-pool.js';
import type { OnnxModel } from '../../runtime/onnx-model.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import { collectPredictions, type EvalPlan } from './eval-runner.js';
import { scoreCollected } from './eval-scoring.js';
import { type EvalSuiteSpec, parseEvalSuite } from './eval-suite.js';
import type { EvalsRepo } from './evals.repo.js';
import type { EvalsDeps, ResolvedDataset } from './evals.service.js';
import type { EvalRunsTable, GateDecisionsTable } from './evals.tables.js';
import { decideGate } from './gate.js';

export interface ExecuteOptions {
  onProgress?: (rows: number) => void;
  signal?: AbortSignal;
  finalAttempt?: boolean;
  /**
   * Renews the job's lease. Called right before scoring, which runs without yielding (a
   * bootstrap takes up to about a minute within its bound) while no heartbeat can be sent, so
   * it starts with a whole lease ahead of it.
   */
  heartbeat?: () => Promise<unknown>;
}

/** Where model files are read from. */
export type ModelBytes = ModelFiles;

// Failures that a retry cannot fix: the run is marked failed at once.
const FINAL_CODES = new Set(['invalid_argument', 'failed_precondition', 'not_found', 'permission_denied']);
const PROGRESS_EVERY_MS = 500;

type ResolveDatasets = (
  projectId: string,
  refs: { ref: string; role: 'data' | 'red_team' }[],
) => Promise<ResolvedDataset[]>;

/**
 * Runs one queued evaluation: loads both models through a shared session pool, streams the
 * recorded dataset versions through them, scores every slice, applies the gate, and records
 * the result and the decision with their audit records in one transaction.
 */
export class EvalExecutor {
  /** The composition's shared runtime, or one of its own (closed with it) when none is given. */
  private readonly runtime: ModelRuntime;
  private readonly ownsRuntime: boolean;

  constructor(
    private readonly deps: EvalsDeps,
    private readonly repo: EvalsRepo,
    private readonly resolveDatasets: ResolveDatasets,
  ) {
    this.ownsRuntime = deps.runtime === undefined;
    this.runtime = deps.runtime ?? new ModelRuntime(deps.blobs);
  }

  /**
   * Idempotent under at-least-once delivery: an ended run is left alone, and a run found
   * running (its worker died) starts over. Failures a retry cannot fix end the run as failed;
   * others are rethrown for the queue to retry, and end it as failed on the last attempt.
   */
  async execute(evalRunId: string, options: ExecuteOptions = {}): Promise<void> {
    const run = await this.repo.findRun(evalRunId);
    if (!run) throw new PlumbError('not_found', `eval run ${evalRunId} does not exist`);
    if (run.status === 'succeeded' || run.status === 'failed') return;
    const startedAt = this.deps.clock.now();
    const started = await this.deps.db.kysely.transaction().execute(async (trx) => {
      if (!(await this.repo.start(trx, run.id, startedAt.toISOString()))) return false;
      await this.deps.audit.append(trx, {
        actor: run.created_by,
        projectId: run.project_id,
        action: 'eval_run.start',
        resource: `eval_run:${run.id}`,
        change: { startedAt: startedAt.toISOString() },
      });
      return true;
    });
    if (!started) return;
    try {
      const result = await this.evaluate(run, options);
      await this.succeed(run, result.result, result.spec, startedAt);
    } catch (error) {
      const final =
        options.finalAttempt !== false || (error instanceof PlumbError && FINAL_CODES.has(error.code));
      if (final) await this.fail(run, error, startedAt);
      if (!(error instanceof PlumbError && FINAL_CODES.has(error.code))) throw error;
    }
  }

  async close(): Promise<void> {
    if (this.ownsRuntime) await this.runtime.close();
  }

  private async evaluate(
    run: EvalRunsTable,
    options: ExecuteOptions,
  ): Promise<{ result: EvalResult; spec: EvalSuiteSpec }> {
    const suite = await this.repo.findSuiteById(run.suite_id);
    if (!suite)
      throw new PlumbError('not_found', `eval suite ${run.suite_name}@v${run.suite_version} does not exist`);
    const { spec } = parseEvalSuite(suite.yaml);
    const recorded = JSON.parse(run.datasets) as { versionId: string; role: 'data' | 'red_team' }[];
    const datasets = await this.resolveDatasets(
      run.project_id,
      recorded.map((d) => ({ ref: d.versionId, role: d.role })),
    );
    const versions = [run.candidate_version_id, run.baseline_version_id].filter(
      (v): v is string => v !== null,
    );
    const infos = await Promise.all(versions.map((v) => this.deps.models.resolve(run.project_id, v)));
    const leases: Lease<OnnxModel>[] = [];
    try {
      for (const info of infos) leases.push(await this.load(info));
      let lastProgress = 0;
      const plan: EvalPlan = {
        task: spec.task,
        label: spec.label,
        positiveLabel: spec.positiveLabel,
        slices: spec.slices,
        groupColumns: spec.gate.fairness.map((f) => f.groupColumn),
        sources: datasets.map((d) => ({
          ref: d.ref,
          role: d.role,
          source: d.source,
          schema: d.schema,
          rows: d.rowCount,
        })),
        models: leases.map((lease, i) => ({
          model: lease.value,
          columns: featureColumnsFor(spec, lease.value, infos[i]!),
        })),
        batchSize: this.deps.batchSize ?? 4096,
        keepAllProbabilities: spec.metrics.includes('log_loss'),
        onProgress: (rows) => {
          options.onProgress?.(rows);
          const now = Date.now();
          if (now - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = now;
          // Progress is bookkeeping, like a job's heartbeat, not a change worth an audit record.
          void this.repo.setProgress(run.id, rows).catch(() => {});
        },
        ...(options.signal ? { signal: options.signal } : {}),
      };
      // Errors name the files as their users uploaded them, never blob paths or SQL.
      const engine = this.deps.engine.forFiles(
        datasets.flatMap((d) =>
          d.source.paths.map((localPath, i) => ({ localPath, name: d.source.names?.[i] ?? d.ref })),
        ),
      );
      const collected = await collectPredictions(engine, plan);
      await options.heartbeat?.();
      const t0 = performance.now();
      const scored = scoreCollected(spec, collected);
      const metricsMs = performance.now() - t0;
      return {
        spec,
        result: {
          ...scored,
          batchSize: plan.batchSize,
          timings: {
            scanMs: Math.round(collected.timings.scanMs),
            inferenceMs: Math.round(collected.timings.inferenceMs),
            metricsMs: Math.round(metricsMs),
          },
        },
      };
    } finally {
      for (const lease of leases) lease.release();
    }
  }

  private async load(info: ModelVersionInfo): Promise<Lease<OnnxModel>> {
    requireOnnx(info);
    const artifact = info.artifact as { kind: 'onnx'; blobRef: string };
    return this.runtime.acquire(artifact.blobRef);
  }

  private async succeed(
    run: EvalRunsTable,
    result: EvalResult,
    spec: EvalSuiteSpec,
    startedAt: Date,
  ): Promise<void> {
    const outcome = decideGate(spec, result, run.baseline_version_id !== null);
    const finishedAt = this.deps.clock.now();
    const suiteRef = `${run.suite_name}@v${run.suite_version}`;
    const decision: GateDecisionsTable = {
      id: newId('gd'),
      eval_run_id: run.id,
      project_id: run.project_id,
      suite_ref: suiteRef,
      candidate_version_id: run.candidate_version_id,
      baseline_version_id: run.baseline_version_id,
      passed: outcome.passed ? 1 : 0,
      reasons: JSON.stringify(outcome.reasons),
      checks: JSON.stringify(outcome.checks),
      decided_at: finishedAt.toISOString(),
    };
    const rows = result.slices.find((s) => s.kind === 'overall')?.rows ?? 0;
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const ended = await this.repo.finish(trx, run.id, {
        status: 'succeeded',
        result: JSON.stringify(result),
        error: null,
        finished_at: finishedAt.toISOString(),
        duration_ms: finishedAt.getTime() - startedAt.getTime(),
        rows_done: run.rows_total,
      });
      if (!ended) return;
      await this.repo.insertDecision(trx, decision);
      await this.deps.audit.append(trx, {
        actor: run.created_by,
        projectId: run.project_id,
        action: 'eval_run.finish',
        resource: `eval_run:${run.id}`,
        change: { status: 'succeeded', rows, digest: sha256Hex(canonicalJson(result.slices)) },
      });
      await this.deps.audit.append(trx, {
        actor: run.created_by,
        projectId: run.project_id,
        action: 'eval.gate_decision',
        resource: `model:${run.candidate_ref}`,
        change: {
          decisionId: decision.id,
          evalRunId: run.id,
          suite: suiteRef,
          baseline: run.baseline_ref,
          passed: outcome.passed,
          reasons: outcome.reasons,
        },
      });
    });
  }

  private async fail(run: EvalRunsTable, error: unknown, startedAt: Date): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const finishedAt = this.deps.clock.now();
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const ended = await this.repo.finish(trx, run.id, {
        status: 'failed',
        result: null,
        error: message.slice(0, 4000),
        finished_at: isoNow(this.deps.clock),
        duration_ms: finishedAt.getTime() - startedAt.getTime(),
        rows_done: run.rows_done,
      });
      if (!ended) return;
      await this.deps.audit.append(trx, {
        actor: run.created_by,
        projectId: run.project_id,
        action: 'eval_run.finish',
        resource: `eval_run:${run.id}`,
        change: { status: 'failed', error: message.slice(0, 500) },
      });
    });
  }
}

/**
 * The suite's columns for this model's one input: the list form feeds any single-input model;
 * the mapping form is looked up by the model's input name, so models with different inputs
 * (say, a new feature set) can be evaluated by one suite.
 */
export function featureColumnsFor(spec: EvalSuiteSpec, model: OnnxModel, info: ModelVersionInfo): string[] {
  const inputs = model.signature.inputs;
  if (inputs.length !== 1) {
    throw new PlumbError(
      'failed_precondition',
      `${info.ref} has ${inputs.length} inputs; evaluating models with more than one input is not available yet`,
    );
  }
  const input = inputs[0]!.name;
  const entry = spec.features.find((f) => f.input === null) ?? spec.features.find((f) => f.input === input);
  if (!entry) {
    throw new PlumbError(
      'failed_precondition',
      `${info.ref} takes input ${input}, which the suite's features do not map (they map ${spec.features.map((f) => f.input).join(', ')})`,
    );
  }
  const expected = model.featureCount;
  if (expected !== null && expected !== entry.columns.length) {
    throw new PlumbError(
      'failed_precondition',
      `${info.ref} expects ${expected} features in input ${input}, but the suite lists ${entry.columns.length} (${entry.columns.join(', ')})`,
    );
  }
  return entry.columns;
}

export function requireOnnx(m: ModelVersionInfo): void {
  if (m.artifact.kind !== 'onnx') {
    throw new PlumbError(
      'failed_precondition',
      `${m.ref} is served by an upstream (${m.artifact.kind}); evaluating upstream models is not available yet`,
    );
  }
}
