/**
 * Window profiles: one row per endpoint × model version × feature × window and per writer part
 * (each process writes its own parts, so replicas never overwrite each other; reads merge them).
 * `level_ms` is the window length: ingest writes hours, roll-ups write days and 30-day blocks.
 */
export interface MonitoringProfilesTable {
  project_id: string;
  endpoint: string;
  /** `name@vN`, '' when the event named none. */
  model_version: string;
  feature: string;
  level_ms: number;
  window_start: number;
  part: string;
  events: number;
  profile: Buffer;
  updated_at: number;
}

/** A monitor: its reference as frozen at creation (profiles, exact values, bins) and its tests. */
export interface MonitoringMonitorsTable {
  id: string;
  project_id: string;
  endpoint: string;
  /** `name@vN` of the reference dataset version. */
  reference: string;
  reference_version_id: string;
  window_ms: number;
  /** JSON: the features, each with its test, threshold and frozen bins. */
  spec: string;
  /** JSON: each feature's reference profile (base64) and exact values or counts. */
  reference_data: string;
  created_at: string;
  created_by: string;
}

/** One monitor's verdicts for one closed window, computed once from the stored profiles. */
export interface MonitoringWindowResultsTable {
  monitor_id: string;
  window_start: number;
  window_end: number;
  share_drifted: number;
  dataset_drifted: number;
  /** JSON: per feature {feature, test, statistic, threshold, drifted, verdict, ...}. */
  features: string;
  /** encodeSeries of the features, for charts; null in windows computed before it existed. */
  series: Buffer | null;
  computed_at: number;
}

/** A block of an endpoint's windows merged into one coarser window, and when. */
export interface MonitoringRollupsTable {
  project_id: string;
  endpoint: string;
  level_ms: number;
  window_start: number;
  rolled_at: number;
}

export interface MonitoringTables {
  monitoring_rollups: MonitoringRollupsTable;
  monitoring_profiles: MonitoringProfilesTable;
  monitoring_monitors: MonitoringMonitorsTable;
  monitoring_window_results: MonitoringWindowResultsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends MonitoringTables {}
}
