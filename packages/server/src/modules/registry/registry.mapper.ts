import type {
  AliasMove,
  Model,
  ModelAlias,
  ModelArtifact,
  ModelVersion,
  MoveApproval,
  MovePipelineRun,
  PromotionPolicy,
  PromotionRequest,
  RiskClass,
} from '@plumb/sdk';
import type { CredentialRef } from '../../core/secrets.js';
import type { AliasRow, MoveRow } from './aliases.repo.js';
import { versionRef } from './model-ref.js';
import type { VersionRow } from './models.repo.js';
import type { RequestRow } from './promotion-requests.repo.js';
import type { ModelsTable, ModelVersionInputsTable } from './registry.tables.js';
import { effectivePolicy } from './risk-floor.js';

// Conversions between stored rows and the wire shapes of the registry.

/** The policy in force, floor of the risk class applied, whatever an older row stored. */
export function policyOf(model: ModelsTable): PromotionPolicy {
  return effectivePolicy(model.risk_class, {
    gatedAliases: JSON.parse(model.gated_aliases) as string[],
    approvalRequired: model.approval_required === 1,
  });
}

export function approvalRequired(model: ModelsTable): boolean {
  return policyOf(model).approvalRequired;
}

export function toModel(
  row: ModelsTable,
  counts: { count: number; latest: number | null } | undefined,
  aliases: AliasRow[],
): Model {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    description: row.description,
    riskClass: row.risk_class as RiskClass,
    policy: policyOf(row),
    approvalRequired: approvalRequired(row),
    latestVersion: counts?.latest ?? null,
    versionCount: counts?.count ?? 0,
    aliases: Object.fromEntries(aliases.map((a) => [a.alias, versionRef(row.name, a.version)])),
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

export function artifactOf(row: VersionRow): ModelArtifact {
  if (row.artifact_kind === 'onnx')
    return { kind: 'onnx', blobRef: row.blob_ref!, size: row.artifact_size ?? 0 };
  if (row.artifact_kind === 'oip') return { kind: 'oip', url: row.upstream_url! };
  const credential =
    row.upstream_credential === null ? null : (JSON.parse(row.upstream_credential) as CredentialRef);
  return {
    kind: 'openai',
    baseUrl: row.upstream_url!,
    model: row.upstream_model!,
    ...(credential === null
      ? {}
      : 'env' in credential
        ? { apiKeyEnv: credential.env }
        : { apiKeyFile: credential.file }),
  };
}

export function toVersion(
  row: VersionRow,
  inputs: ModelVersionInputsTable[],
  aliases: string[],
): ModelVersion {
  return {
    id: row.id,
    model: row.model_name,
    version: row.version,
    ref: versionRef(row.model_name, row.version),
    artifact: artifactOf(row),
    signature: row.signature === null ? null : JSON.parse(row.signature),
    runId: row.run_id,
    datasets: inputs.map((i) => ({ id: i.dataset_version_id, ref: i.ref })),
    metrics: JSON.parse(row.metrics),
    status: row.status as ModelVersion['status'],
    description: row.description,
    hasCard: row.card !== null,
    aliases,
    createdAt: row.created_at,
    createdBy: row.created_by,
    statusChangedAt: row.status_changed_at,
  };
}

export function toAlias(row: AliasRow, model: ModelsTable): ModelAlias {
  return {
    alias: row.alias,
    version: row.version,
    ref: versionRef(model.name, row.version),
    versionId: row.version_id,
    gated: policyOf(model).gatedAliases.includes(row.alias),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export function toMove(row: MoveRow): AliasMove {
  return {
    seq: row.seq,
    alias: row.alias,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    action: row.action as AliasMove['action'],
    actor: row.actor,
    reason: row.reason,
    requestId: row.request_id,
    pipelineRun: row.pipeline_run === null ? null : (JSON.parse(row.pipeline_run) as MovePipelineRun),
    approvedBy: row.approved_by === null ? [] : (JSON.parse(row.approved_by) as MoveApproval[]),
    at: row.created_at,
  };
}

export function toRequest(row: RequestRow): PromotionRequest {
  return {
    id: row.id,
    model: row.model_name,
    version: row.version,
    ref: versionRef(row.model_name, row.version),
    alias: row.alias,
    expectedVersion: row.expected_version,
    status: row.status as PromotionRequest['status'],
    reason: row.reason,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    comment: row.comment,
  };
}
