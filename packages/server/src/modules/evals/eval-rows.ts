import type { EvalResult, EvalRun, EvalRunSummary, EvalSuite, GateCheck, GateDecision } from '@plumb/sdk';
import type { GateDecisionInfo } from '../registry/registry.contracts.js';
import type { EvalRunsTable, EvalSuitesTable, GateDecisionsTable } from './evals.tables.js';

// Conversions between stored rows and the wire shapes of evaluations.

export function toSuite(row: EvalSuitesTable): EvalSuite {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    ref: `${row.name}@v${row.version}`,
    yaml: row.yaml,
    spec: JSON.parse(row.spec),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export function toDecision(row: GateDecisionsTable): GateDecision {
  return {
    id: row.id,
    evalRunId: row.eval_run_id,
    suite: row.suite_ref,
    candidateVersionId: row.candidate_version_id,
    baselineVersionId: row.baseline_version_id,
    passed: row.passed === 1,
    reasons: JSON.parse(row.reasons) as string[],
    checks: JSON.parse(row.checks) as GateCheck[],
    decidedAt: row.decided_at,
  };
}

export function toDecisionInfo(row: GateDecisionsTable): GateDecisionInfo {
  const { checks: _checks, ...info } = toDecision(row);
  return info;
}

export function toRunSummary(row: EvalRunsTable, decision: GateDecisionsTable | undefined): EvalRunSummary {
  return {
    id: row.id,
    projectId: row.project_id,
    suite: {
      id: row.suite_id,
      name: row.suite_name,
      version: row.suite_version,
      ref: `${row.suite_name}@v${row.suite_version}`,
    },
    candidate: { versionId: row.candidate_version_id, ref: row.candidate_ref },
    baseline:
      row.baseline_version_id === null
        ? null
        : { versionId: row.baseline_version_id, ref: row.baseline_ref ?? '' },
    baselineRequested: row.baseline_requested,
    datasets: JSON.parse(row.datasets),
    status: row.status as EvalRun['status'],
    rowsDone: row.rows_done,
    rowsTotal: row.rows_total,
    decision: decision ? toDecision(decision) : null,
    error: row.error,
    createdAt: row.created_at,
    createdBy: row.created_by,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
  };
}

export function toRun(row: EvalRunsTable, decision: GateDecisionsTable | undefined): EvalRun {
  return {
    ...toRunSummary(row, decision),
    result: row.result === null ? null : (JSON.parse(row.result) as EvalResult),
  };
}
