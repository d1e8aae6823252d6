export interface RunsTable {
  id: string;
  project_id: string;
  name: string;
  status: 'running' | 'finished' | 'failed' | 'killed';
  code_version: string | null;
  /** JSON object of parameter values (string, number or boolean), written once at creation. */
  params: string;
  /** Metric points logged so far; the next point's `seq` starts here. */
  metric_count: number;
  created_at: string;
  created_by: string;
  finished_at: string | null;
}

export interface RunTagsTable {
  run_id: string;
  key: string;
  value: string;
}

export interface RunInputsTable {
  run_id: string;
  /** Order the caller named the inputs in. */
  position: number;
  dataset_version_id: string;
  ref: string;
}

/** Every logged point, append-only. `seq` orders a run's points in the order they were logged. */
export interface RunMetricsTable {
  run_id: string;
  seq: number;
  key: string;
  step: number;
  value: number;
  /** Milliseconds since the epoch. */
  time: number;
}

/** The latest point of each metric of a run, kept current in the same transaction as the log. */
export interface RunLatestMetricsTable {
  run_id: string;
  key: string;
  step: number;
  value: number;
  time: number;
  seq: number;
}

export interface RunArtifactsTable {
  run_id: string;
  path: string;
  blob_ref: string;
  size: number;
  created_at: string;
}

export interface RunsTables {
  runs: RunsTable;
  run_tags: RunTagsTable;
  run_inputs: RunInputsTable;
  run_metrics: RunMetricsTable;
  run_latest_metrics: RunLatestMetricsTable;
  run_artifacts: RunArtifactsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends RunsTables {}
}
