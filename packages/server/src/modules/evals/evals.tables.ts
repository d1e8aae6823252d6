/** One version of an evaluation suite, as written (YAML) and as parsed. */
export interface EvalSuitesTable {
  id: string;
  project_id: string;
  name: string;
  version: number;
  yaml: string;
  /** JSON of the parsed suite, defaults filled in. */
  spec: string;
  /** sha256 of the YAML text: re-creating the latest version's exact text adds nothing. */
  content_hash: string;
  created_at: string;
  created_by: string;
}

export interface EvalRunsTable {
  id: string;
  project_id: string;
  suite_id: string;
  suite_name: string;
  suite_version: number;
  candidate_version_id: string;
  candidate_ref: string;
  baseline_version_id: string | null;
  baseline_ref: string | null;
  /** The baseline as asked for (`name@champion`), also when it resolved to no version. */
  baseline_requested: string | null;
  /** JSON array of { versionId, ref, role }: the dataset versions read, resolved at start. */
  datasets: string;
  /** queued | running | succeeded | failed */
  status: string;
  rows_done: number;
  rows_total: number;
  /** JSON of the EvalResult once succeeded. */
  result: string | null;
  error: string | null;
  created_at: string;
  created_by: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface GateDecisionsTable {
  id: string;
  eval_run_id: string;
  project_id: string;
  /** `name@vN` of the suite whose gate decided. */
  suite_ref: string;
  candidate_version_id: string;
  baseline_version_id: string | null;
  /** 1 passed, 0 failed. */
  passed: number;
  /** JSON array of strings, one per failed check. */
  reasons: string;
  /** JSON array of every check with its status. */
  checks: string;
  decided_at: string;
}

export interface EvalTables {
  eval_suites: EvalSuitesTable;
  eval_runs: EvalRunsTable;
  gate_decisions: GateDecisionsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends EvalTables {}
}
