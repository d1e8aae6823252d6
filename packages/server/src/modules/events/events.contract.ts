/**
 * What the inference log takes from the modules that serve predictions. The serving module
 * calls `EventSink.record` once per prediction (or per batch) and acknowledges its caller only
 * after the returned promise resolves, so an acknowledged prediction is never lost.
 */
export type Arm = 'primary' | 'canary' | 'shadow' | 'fallback' | 'cache';

export interface InferenceEventInput {
  /** `prd_…` (newId('prd')); generated when absent. */
  id?: string;
  /** ISO-8601; the server's clock when absent. */
  time?: string;
  projectId: string;
  /** Endpoint name; null for events posted by applications serving models themselves. */
  endpoint: string | null;
  /** `name@vN`. */
  modelVersion: string | null;
  modelVersionId: string | null;
  arm: Arm;
  /** After redaction. */
  inputs: unknown;
  outputs: unknown;
  label?: string | null;
  score?: number | null;
  confidence?: number | null;
  latencyMs: number | null;
  /** null = unknown, never 0. */
  promptTokens?: number | null;
  completionTokens?: number | null;
  costUsd?: number | null;
  tags?: Record<string, string>;
  traceId?: string | null;
  /** What failed, when the arm failed (e.g. the primary before a fallback). */
  error?: string | null;
}

export interface EventSink {
  /** Resolves once every event is committed (group commit); rejects if the commit failed. */
  record(events: InferenceEventInput[]): Promise<string[]>; // the ids
}
