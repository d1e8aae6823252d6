import { PlumbError } from '../../core/errors.js';
import type { Executor } from '../../storage/database.js';
import { missingCardFields, parseCard } from './model-card.js';
import type { VersionRow } from './models.repo.js';
import { refOf } from './models.service.js';
import type { GateDecisionInfo, GateLookup } from './registry.contracts.js';
import { policyOf } from './registry.mapper.js';
import type { ModelsTable } from './registry.tables.js';

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

/** Everything a promotion checks except the gate, which needs the database. */
export function checkPromotable(model: ModelsTable, version: VersionRow): void {
  refuseUnacceptable(model);
  refuseArchived(version);
  if (version.status === 'deprecated') {
    throw new PlumbError('failed_precondition', `${refOf(version)} is deprecated and cannot be promoted`, {
      details: { rule: 'deprecated' },
    });
  }
  if (model.risk_class === 'high') {
    const missing = missingCardFields(version.card === null ? null : parseCard(version.card));
    if (missing.length > 0) {
      throw new PlumbError(
        'failed_precondition',
        `${model.name} is a high-risk model and the card of ${refOf(version)} ${
          version.card === null ? 'is missing' : `leaves ${missing.join(', ')} empty`
        }; complete the card before promoting`,
        { details: { rule: 'card_incomplete', missing } },
      );
    }
  }
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
