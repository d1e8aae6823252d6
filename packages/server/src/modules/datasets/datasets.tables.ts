export interface DatasetsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  created_at: string;
  created_by: string;
}

export interface DatasetVersionsTable {
  id: string;
  dataset_id: string;
  version: number;
  /** sha256 over the sorted (path, file hash) list. */
  content_hash: string;
  format: string;
  /** JSON array of { name, type }. */
  schema: string;
  row_count: number;
  byte_size: number;
  time_column: string | null;
  slice_column: string | null;
  /** JSON object slice value → row count, when a slice column was given. */
  slice_counts: string | null;
  /** pending | ready | failed */
  profile_status: string;
  profile_error: string | null;
  /** The background job profiling this version; null when it was profiled as it was added. */
  profile_job_id: string | null;
  /** JSON: column name → base64 of the serialized ColumnProfile. */
  profile: string | null;
  /** JSON: column name → ColumnProfile summary, what the API shows. */
  profile_summary: string | null;
  produced_by_run: string | null;
  message: string;
  /** JSON object of string tags. */
  tags: string;
  /** unvalidated | passed | failed: the latest validation report's outcome. */
  validation_status: string;
  validation_report_id: string | null;
  created_at: string;
  created_by: string;
}

export interface DatasetFilesTable {
  version_id: string;
  path: string;
  blob_ref: string;
  size: number;
  ordinal: number;
}

export interface DatasetParentsTable {
  version_id: string;
  parent_id: string;
}

/** Who consumed a version: training runs, model versions (filled in by those modules). */
export interface DatasetConsumersTable {
  version_id: string;
  consumer_kind: string;
  consumer_id: string;
  created_at: string;
}

export interface ValidationReportsTable {
  id: string;
  version_id: string;
  suite_name: string;
  /** The suite's YAML as given, so a report can be reproduced. */
  suite: string;
  reference_version_id: string | null;
  passed: number;
  /** JSON array of per-expectation results. */
  results: string;
  created_at: string;
  created_by: string;
}

export interface DatasetTables {
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  dataset_files: DatasetFilesTable;
  dataset_parents: DatasetParentsTable;
  dataset_consumers: DatasetConsumersTable;
  validation_reports: ValidationReportsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends DatasetTables {}
}
