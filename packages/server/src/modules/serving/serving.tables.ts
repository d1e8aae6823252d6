/** One endpoint: a name applications call, and how its traffic is served. */
export interface EndpointsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  /** JSON of the serving settings (routes, shadows, fallback, timeout, cache, review, redaction, features). */
  settings: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}

/** A prediction whose confidence fell below its endpoint's review threshold, for a human to label. */
export interface ReviewQueueTable {
  id: string;
  project_id: string;
  endpoint_id: string;
  prediction_id: string;
  model_version: string | null;
  /** JSON, after redaction. */
  inputs: string;
  /** JSON. */
  output: string;
  /** JSON of the label (a string or a number), or null. */
  label: string | null;
  confidence: number;
  created_at: string;
}

/** Running counters of one shadow of one endpoint, added to in batches. */
export interface ShadowStatsTable {
  endpoint_id: string;
  shadow: string;
  compared: number;
  failed: number;
  dropped: number;
  label_compared: number;
  label_agreed: number;
  score_compared: number;
  abs_score_diff_sum: number;
  latency_diff_sum_ms: number;
}

export interface ServingTables {
  endpoints: EndpointsTable;
  serving_review_queue: ReviewQueueTable;
  serving_shadow_stats: ShadowStatsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends ServingTables {}
}
