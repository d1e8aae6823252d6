import type { Executor } from '../../storage/database.js';

/**
 * What the registry and the evaluations module need of each other. Each side implements its
 * half; `main.ts` connects them. Neither reads the other's tables.
 */

/** Where a model version's predictions come from. */
export type ModelArtifact =
  | { kind: 'onnx'; blobRef: string; size: number }
  | { kind: 'oip'; url: string }
  | { kind: 'openai'; baseUrl: string; model: string; apiKeyEnv?: string; apiKeyFile?: string };

/** A resolved model version, as evaluations and serving see it. */
export interface ModelVersionInfo {
  id: string;
  /** Model name. */
  model: string;
  version: number;
  /** `name@vN` */
  ref: string;
  projectId: string;
  artifact: ModelArtifact;
  /** Input and output signature read from the artifact (ONNX) or declared (upstreams). */
  signature: unknown;
  runId: string | null;
  /** Dataset version ids the producing run consumed. */
  datasetVersionIds: string[];
}

/** Implemented by the registry. */
export interface ModelVersionResolver {
  /** Resolves `name@vN`, `name@<alias>` (e.g. `name@champion`) or `mv_…` within a project. */
  resolve(projectId: string, ref: string): Promise<ModelVersionInfo>;
  /** The version an alias points at now, or null. */
  aliasTarget(projectId: string, model: string, alias: string): Promise<ModelVersionInfo | null>;
}

/** A recorded gate decision: did the candidate pass the suite's gate against the baseline. */
export interface GateDecisionInfo {
  id: string;
  evalRunId: string;
  suite: string;
  candidateVersionId: string;
  /** Null when there was no baseline (first model, or none named). */
  baselineVersionId: string | null;
  passed: boolean;
  /** One per failed rule; empty when passed. */
  reasons: string[];
  decidedAt: string;
}

/** Per-slice metric results of one evaluation run, for model cards. */
export interface EvalSummary {
  evalRunId: string;
  suite: string;
  datasetVersionIds: string[];
  /** slice name ('overall' first) → metric name → value, for the candidate. */
  metrics: Record<string, Record<string, number>>;
  decision: GateDecisionInfo | null;
  createdAt: string;
}

/** Implemented by the evaluations module. */
export interface GateLookup {
  /** The newest gate decision for this candidate version (any suite), or null. */
  latestDecision(candidateVersionId: string, executor?: Executor): Promise<GateDecisionInfo | null>;
  /** The newest gate decision of each of these candidates that has one, in one read. */
  latestDecisions(candidateVersionIds: string[]): Promise<Map<string, GateDecisionInfo>>;
  /** Evaluation results of a version, newest first. */
  evaluationsOf(versionId: string): Promise<EvalSummary[]>;
}
