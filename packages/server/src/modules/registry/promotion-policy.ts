import { PlumbError } from '../../core/errors.js';
import type { Executor } from '../../storage/database.js';
import type { AliasesRepo } from './aliases.repo.js';
import { missingCardFields, parseCard } from './model-card.js';
import type { VersionRow } from './models.repo.js';
import { refOf } from './models.service.js';
import type { GateDecisionInfo, GateLookup } from './registry.contracts.js';
import { policyOf } from './registry.mapper.js';
import type { ModelsTable } from './registry.tables.js';
import { isFloored } from './risk-floor.js';

// The rules an alias move must pass. Each throws `failed_precondition` naming why.

/** The EU AI Act prohibits placing these systems on the market: no alias may serve them. */
export function refuseUnacceptable(model: ModelsTable): void {
  if (model.risk_class === 'unacceptable') {
    throw new PlumbError(
      'failed_precondition',
      `model ${model.name} is classed unacceptable risk (EU AI Act); its versions cannot be promoted or served`,
      { details: { rule: 'unacceptable_risk' } },
    );
  }
}

export function refuseArchived(version: VersionRow): void {
  if (version.status === 'archived') {
    throw new PlumbError(
      'failed_precondition',
      `${refOf(version)} is archived and cannot be the target of an alias`,
      {
        details: { rule: 'archived' },
      },
    );
  }
}

/** High-risk versions serve under an alias only with every required card field written. */
export function checkCard(model: ModelsTable, version: VersionRow): void {
  if (!isFloored(model.risk_class)) return;
  const missing = missingCardFields(version.card === null ? null : parseCard(version.card));
  if (missing.length > 0) {
    throw new PlumbError(
      'failed_precondition',
      `${model.name} is a ${model.risk_class}-risk model and the card of ${refOf(version)} ${
        version.card === null ? 'is missing' : `leaves ${missing.join(', ')} empty`
      }; complete the card before promoting`,
      { details: { rule: 'card_incomplete', missing } },
    );
  }
}

/** Everything a promotion checks except the gate, which needs the database. */
export function checkPromotable(model: ModelsTable, version: VersionRow): void {
  refuseUnacceptable(model);
  refuseArchived(version);
  if (version.status === 'deprecated') {
    throw new PlumbError('failed_precondition', `${refOf(version)} is deprecated and cannot be promoted`, {
      details: { rule: 'deprecated' },
    });
  }
  checkCard(model, version);
}

/**
 * The one promotion path every alias move but rollback goes through (setting an alias,
 * promoting, approving a request): the risk class, the version's status and card, and the
 * gate of a gated alias. Answers whether the move also needs an approver's decision; the
 * caller decides what to do about that (file a request, refuse, or it is the approval).
 */
export async function admitMove(
  gates: GateLookup,
  model: ModelsTable,
  alias: string,
  version: VersionRow,
  trx: Executor,
): Promise<{ approvalRequired: boolean }> {
  checkPromotable(model, version);
  await checkGate(gates, model, alias, version, trx);
  return { approvalRequired: policyOf(model).approvalRequired };
}

/**
 * For a gated alias, the candidate's newest gate decision must exist and have passed. Read in
 * the moving transaction, so the decision checked is the one in force when the alias moves.
 */
export async function checkGate(
  gates: GateLookup,
  model: ModelsTable,
  alias: string,
  version: VersionRow,
  trx: Executor,
): Promise<GateDecisionInfo | null> {
  if (!policyOf(model).gatedAliases.includes(alias)) return null;
  const decision = await gates.latestDecision(version.id, trx);
  if (!decision) {
    throw new PlumbError(
      'failed_precondition',
      `${alias} is gated and ${refOf(version)} has no evaluation gate decision; evaluate it first`,
      { details: { rule: 'gate_missing', alias } },
    );
  }
  if (!decision.passed) {
    throw new PlumbError(
      'failed_precondition',
      `${alias} is gated and the latest gate decision for ${refOf(version)} (suite ${decision.suite}) failed: ${
        decision.reasons.join('; ') || 'no reason given'
      }`,
      { details: { rule: 'gate_failed', alias, decision } },
    );
  }
  return decision;
}

/**
 * Rollback skips the gate and approval: it is the emergency exit, and its target is where the
 * alias pointed just before, so it was admitted to this alias once. The risk floor still holds:
 * not for an unacceptable model, not to an archived version, not to a high-risk version whose
 * card is incomplete, and, where moves need approval, only to a version an approver once moved
 * to this alias (a model raised to high risk cannot roll back to a champion nobody approved).
 */
export async function admitRollback(
  aliases: AliasesRepo,
  model: ModelsTable,
  alias: string,
  version: VersionRow,
  trx: Executor,
): Promise<void> {
  refuseUnacceptable(model);
  refuseArchived(version);
  checkCard(model, version);
  if (policyOf(model).approvalRequired && !(await aliases.wasApproved(trx, model.id, alias, version.id))) {
    throw new PlumbError(
      'failed_precondition',
      `${model.name}@${alias} needs approval and ${refOf(version)} was never approved for it; promote it instead`,
      { details: { rule: 'rollback_unapproved', alias } },
    );
  }
}
