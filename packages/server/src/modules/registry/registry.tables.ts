export interface ModelsTable {
  id: string;
  project_id: string;
  name: string;
  owner: string;
  description: string;
  /** minimal | limited | high | unacceptable (EU AI Act classes). */
  risk_class: string;
  /** JSON array of alias names whose moves need a passed evaluation gate. */
  gated_aliases: string;
  /** 1 when the policy asks for approval; high risk requires it regardless of this column. */
  approval_required: number;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface ModelVersionsTable {
  id: string;
  model_id: string;
  version: number;
  /** onnx | oip | openai */
  artifact_kind: string;
  blob_ref: string | null;
  artifact_size: number | null;
  /** OIP v2 URL, or the OpenAI-compatible base URL. */
  upstream_url: string | null;
  upstream_model: string | null;
  /** JSON `{"env": NAME}` or `{"file": NAME}`: where the upstream's API key is read; never the key. */
  upstream_credential: string | null;
  /** JSON: read from the ONNX file, or declared for upstreams; null when unknown. */
  signature: string | null;
  run_id: string | null;
  /** JSON array of { key, value, step }: the run's latest metrics when the version was registered. */
  metrics: string;
  /** registered | staging | production | archived | deprecated */
  status: string;
  description: string;
  /** The model card as given: Markdown with YAML front matter. */
  card: string | null;
  created_at: string;
  created_by: string;
  status_changed_at: string;
}

/** The dataset versions the producing run read, copied at registration for lineage. */
export interface ModelVersionInputsTable {
  version_id: string;
  position: number;
  dataset_version_id: string;
  ref: string;
}

export interface ModelAliasesTable {
  model_id: string;
  alias: string;
  version_id: string;
  updated_at: string;
  updated_by: string;
}

/** Every alias move, append-only; `seq` numbers the moves of one alias from 1. */
export interface ModelAliasHistoryTable {
  id: string;
  model_id: string;
  alias: string;
  seq: number;
  from_version_id: string | null;
  to_version_id: string;
  /** set | promote | approve | rollback */
  action: string;
  actor: string;
  reason: string;
  request_id: string | null;
  created_at: string;
  /** JSON MovePipelineRun: the pipeline run whose step made the move; null for a person's move. */
  pipeline_run: string | null;
  /** JSON array of MoveApproval: the approvals the pipeline's move waited for; null when none. */
  approved_by: string | null;
}

export interface PromotionRequestsTable {
  id: string;
  model_id: string;
  version_id: string;
  alias: string;
  /** The alias target when the request was made; approval moves the alias only from here. */
  expected_version_id: string | null;
  /** pending | approved | rejected | stale */
  status: string;
  reason: string;
  requested_by: string;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
}

export interface RegistryTables {
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_version_inputs: ModelVersionInputsTable;
  model_aliases: ModelAliasesTable;
  model_alias_history: ModelAliasHistoryTable;
  promotion_requests: PromotionRequestsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends RegistryTables {}
}
