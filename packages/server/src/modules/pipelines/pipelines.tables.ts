import type { Generated } from 'kysely';

/** A pipeline: its latest version number and the secret its webhook is signed with. */
export interface PipelinesTable {
  id: string;
  project_id: string;
  name: string;
  latest_version: number;
  webhook_secret: string | null;
  created_at: string;
  created_by: string;
}

/** Each applied text of a pipeline; `spec` is the parsed spec (JSON text). */
export interface PipelineVersionsTable {
  id: string;
  pipeline_id: string;
  version: number;
  yaml: string;
  spec: string;
  base_dir: string | null;
  /** Who applied it (JSON): the runs its triggers start act as them. */
  principal: string;
  created_at: string;
  created_by: string;
}

/**
 * One run. `principal` (JSON) is who the run acts as: whoever started it, or whoever applied the
 * pipeline's version for runs its triggers start. `dedup_key` is unique per pipeline.
 */
export interface PipelineRunsTable {
  id: string;
  project_id: string;
  pipeline_id: string;
  pipeline_name: string;
  version_id: string;
  version: number;
  status: string;
  trigger_kind: string;
  trigger_detail: string;
  dedup_key: string;
  params: string;
  principal: string;
  error: string | null;
  created_at: string;
  created_by: string;
  finished_at: string | null;
}

/** One step of a run; `outputs` and `approval` are JSON. */
export interface PipelineStepsTable {
  run_id: string;
  name: string;
  ordinal: number;
  kind: string;
  status: string;
  attempts: number;
  outputs: string | null;
  cache_key: string | null;
  cached_from: string | null;
  approval: string | null;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

export interface PipelineAttemptsTable {
  run_id: string;
  step: string;
  attempt: number;
  status: string;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  exit_code: number | null;
}

/** Captured output of command steps and what the engine says about each attempt. */
export interface PipelineLogsTable {
  seq: Generated<number>;
  run_id: string;
  step: string;
  attempt: number;
  stream: string;
  time: string;
  text: string;
}

export interface PipelineApprovalsTable {
  run_id: string;
  step: string;
  actor: string;
  decision: string;
  comment: string;
  decided_at: string;
}

export interface PipelinesTables {
  pipelines: PipelinesTable;
  pipeline_versions: PipelineVersionsTable;
  pipeline_runs: PipelineRunsTable;
  pipeline_steps: PipelineStepsTable;
  pipeline_attempts: PipelineAttemptsTable;
  pipeline_logs: PipelineLogsTable;
  pipeline_approvals: PipelineApprovalsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends PipelinesTables {}
}
