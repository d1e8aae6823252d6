import type { Generated } from 'kysely';

/**
 * One prediction, append-only. `seq` orders events as they were committed (what a tail follows);
 * `time` is when the prediction was made. Times are milliseconds since the epoch; JSON values
 * (inputs, outputs, tags) are stored as text.
 */
export interface InferenceEventsTable {
  seq: Generated<number>;
  id: string;
  project_id: string;
  time: number;
  received_at: number;
  endpoint: string | null;
  model_version: string | null;
  model_version_id: string | null;
  arm: string;
  inputs: string;
  outputs: string;
  label: string | null;
  score: number | null;
  confidence: number | null;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_usd: number | null;
  tags: string;
  trace_id: string | null;
  error: string | null;
}

/** The latest ground truth for a prediction: a later post for the same id replaces it. */
export interface InferenceFeedbackTable {
  prediction_id: string;
  project_id: string;
  label: string | null;
  value: number | null;
  time: number;
  received_at: number;
}

export interface EventsTables {
  inference_events: InferenceEventsTable;
  inference_feedback: InferenceFeedbackTable;
}

declare module '../../storage/schema.js' {
  interface Database extends EventsTables {}
}
