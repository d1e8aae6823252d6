/**
 * A prediction of an endpoint with its ground truth, written as the feedback arrives (a later
 * feedback replaces it). `segments` holds the prediction's scalar inputs and tags as JSON text,
 * so metrics by any of them need no event read.
 */
export interface PerformanceOutcomesTable {
  prediction_id: string;
  project_id: string;
  endpoint: string;
  /** `name@vN`, '' when the event named none. */
  model_version: string;
  /** When the prediction was made, ms since the epoch: its window. */
  time: number;
  predicted_label: string | null;
  score: number | null;
  actual_label: string | null;
  actual_value: number | null;
  segments: string;
  received_at: number;
}

/**
 * What one endpoint × model version served in one hour, folded from the inference log in commit
 * order: counts and sums, a serialized latency quantile sketch (base64) and, for classifiers,
 * predictions counted by predicted label and score bin (JSON), which the estimate reads.
 */
export interface PerformanceTrafficTable {
  project_id: string;
  endpoint: string;
  model_version: string;
  window_start: number;
  predictions: number;
  errors: number;
  fallbacks: number;
  cost_usd: number;
  prompt_tokens: number;
  completion_tokens: number;
  latency: string | null;
  scores: string;
}

/**
 * A UTC day of one endpoint × model version: its hourly traffic windows merged in time order, as
 * a read with 1d windows merges them. Valid while the day still has `hours` hourly windows holding
 * `predictions` predictions between them: folding adds predictions to an hour, so a day folded
 * into after its roll-up no longer matches and is read from its hours until rolled up again.
 */
export interface PerformanceTrafficDaysTable extends PerformanceTrafficTable {
  hours: number;
}

/** How far into a project's inference log (by seq) the traffic windows have been folded. */
export interface PerformanceCursorsTable {
  project_id: string;
  seq: number;
}

export interface PerformanceTables {
  performance_outcomes: PerformanceOutcomesTable;
  performance_traffic: PerformanceTrafficTable;
  performance_traffic_days: PerformanceTrafficDaysTable;
  performance_cursors: PerformanceCursorsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends PerformanceTables {}
}
