import type { Pipeline, PipelineRun, PipelineRunSummary, PipelineSpec, PipelineStep } from '@plumb/sdk';
import type { Selectable } from 'kysely';
import type { ApprovalState } from './approval-desk.js';
import type { AttemptRow, RunRow, StepRow, VersionRow } from './pipelines.repo.js';
import type { PipelineApprovalsTable } from './pipelines.tables.js';

export function presentPipeline(v: VersionRow): Pipeline {
  const spec = JSON.parse(v.spec) as PipelineSpec;
  return {
    id: v.pipeline_id,
    name: v.name,
    version: v.version,
    ref: `${v.name}@v${v.version}`,
    description: spec.description,
    yaml: v.yaml,
    spec,
    baseDir: v.base_dir,
    createdAt: v.created_at,
    createdBy: v.created_by,
  };
}

export function presentSummary(r: RunRow): PipelineRunSummary {
  return {
    id: r.id,
    pipeline: r.pipeline_name,
    version: r.version,
    status: r.status as PipelineRunSummary['status'],
    trigger: {
      kind: r.trigger_kind as PipelineRunSummary['trigger']['kind'],
      dedupKey: r.dedup_key,
      detail: JSON.parse(r.trigger_detail) as Record<string, unknown>,
    },
    params: JSON.parse(r.params) as Record<string, unknown>,
    error: r.error,
    createdAt: r.created_at,
    createdBy: r.created_by,
    finishedAt: r.finished_at,
  };
}

export function presentRun(
  r: RunRow,
  spec: PipelineSpec,
  steps: StepRow[],
  attempts: AttemptRow[],
  approvals: Selectable<PipelineApprovalsTable>[],
): PipelineRun {
  const needs = new Map(spec.steps.map((s) => [s.name, s.needs]));
  return {
    ...presentSummary(r),
    steps: steps.map((s): PipelineStep => {
      const approval = s.approval ? (JSON.parse(s.approval) as ApprovalState) : null;
      return {
        name: s.name,
        kind: s.kind as PipelineStep['kind'],
        needs: needs.get(s.name) ?? [],
        status: s.status as PipelineStep['status'],
        attempts: attempts
          .filter((a) => a.step === s.name)
          .map((a) => ({
            attempt: a.attempt,
            status: a.status as PipelineStep['attempts'][number]['status'],
            startedAt: a.started_at,
            finishedAt: a.finished_at,
            error: a.error,
            exitCode: a.exit_code,
          })),
        outputs: s.outputs ? (JSON.parse(s.outputs) as Record<string, unknown>) : null,
        cacheKey: s.cache_key,
        cachedFrom: s.cached_from,
        startedAt: s.started_at,
        finishedAt: s.finished_at,
        error: s.error,
        approval: approval
          ? {
              approvers: approval.approvers,
              role: approval.role,
              quorum: approval.quorum,
              timeoutAt: approval.timeoutAt,
              decisions: approvals
                .filter((a) => a.step === s.name)
                .map((a) => ({
                  actor: a.actor,
                  decision: a.decision as 'approve',
                  comment: a.comment,
                  at: a.decided_at,
                })),
            }
          : null,
      };
    }),
  };
}
