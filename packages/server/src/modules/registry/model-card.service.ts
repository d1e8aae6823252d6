import type { ModelCard, ModelVersion, RiskClass } from '@plumb/sdk';
import { sha256Hex } from '../../core/audit/audit-hash.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { AliasesRepo } from './aliases.repo.js';
import { checkCardRisk, missingCardFields, parseCard, renderCard } from './model-card.js';
import { type ModelsService, refOf } from './models.service.js';
import type { PromotionService } from './promotion.service.js';
import type { GateDecisionInfo } from './registry.contracts.js';
import type { RegistryDeps } from './registry.deps.js';
import { artifactOf } from './registry.mapper.js';

/** Model cards: stored as written, shown completed from what Plumb knows about the version. */
export class ModelCardService {
  private readonly aliases: AliasesRepo;

  constructor(
    private readonly deps: RegistryDeps,
    private readonly models: ModelsService,
    private readonly promotion: PromotionService,
  ) {
    this.aliases = new AliasesRepo(deps.db);
  }

  async card(ctx: RequestContext, ref: string): Promise<ModelCard> {
    const projectId = ctx.principal.projectId;
    const row = await this.models.resolveRow(projectId, ref);
    const model = (await this.models.repo.findModelById(row.model_id))!;
    const parsed = row.card === null ? null : parseCard(row.card);
    const [run, inputs, evaluations, latest, approvals, aliases] = await Promise.all([
      row.run_id === null ? null : this.deps.runs.get(ctx, row.run_id).catch(nullIfMissing),
      this.models.repo.inputsOf([row.id]),
      this.deps.gates.evaluationsOf(row.id),
      this.deps.gates.latestDecision(row.id),
      this.promotion.requestsOf(projectId, row.id),
      this.aliases.ofVersions([row.id]),
    ]);
    const data = await Promise.all(
      inputs.map(async (i) => {
        const v = await this.deps.datasets.get(ctx, i.dataset_version_id).catch(nullIfMissing);
        return {
          id: i.dataset_version_id,
          ref: i.ref,
          rowCount: v?.rowCount ?? null,
          profileStatus: v?.profileStatus ?? null,
          validationStatus: v?.validationStatus ?? null,
          validationReportId: v?.validationReportId ?? null,
        };
      }),
    );
    const facts: Omit<ModelCard, 'markdown'> = {
      ref: refOf(row),
      model: {
        name: model.name,
        owner: model.owner,
        riskClass: model.risk_class as RiskClass,
        description: model.description,
      },
      version: {
        id: row.id,
        status: row.status as ModelVersion['status'],
        artifact: artifactOf(row),
        createdAt: row.created_at,
        createdBy: row.created_by,
      },
      declared: {
        intendedUse: parsed?.fields.intended_use ?? null,
        outOfScopeUse: parsed?.fields.out_of_scope_use ?? null,
        limitations: parsed?.fields.limitations ?? null,
        ethicalConsiderations: parsed?.fields.ethical_considerations ?? null,
        owner: parsed?.fields.owner ?? null,
        riskClass: parsed?.fields.risk_class ?? null,
        extra: parsed?.extra ?? {},
        body: parsed?.body ?? '',
      },
      missingFields: missingCardFields(parsed),
      training: run && {
        runId: run.id,
        name: run.name,
        status: run.status,
        codeVersion: run.codeVersion,
        params: run.params,
      },
      metrics: JSON.parse(row.metrics),
      data,
      evaluations: evaluations.map((e) => ({
        evalRunId: e.evalRunId,
        suite: e.suite,
        datasetVersionIds: e.datasetVersionIds,
        metrics: e.metrics,
        decision: e.decision && gateSummary(e.decision),
        createdAt: e.createdAt,
      })),
      latestGate: latest && gateSummary(latest),
      approvals,
      aliases: aliases.map((a) => a.alias),
    };
    return { ...facts, markdown: renderCard(facts) };
  }

  /** Replaces a version's card; the text is audited by digest. */
  async setCard(ctx: RequestContext, ref: string, text: string): Promise<ModelVersion> {
    const projectId = ctx.principal.projectId;
    const parsed = parseCard(text);
    const row = await this.models.resolveRow(projectId, ref);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const model = (await this.models.repo.lockModel(trx, row.model_id))!;
      checkCardRisk(parsed, model.risk_class);
      await this.models.repo.setCard(trx, row.id, text);
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'model.version.card',
        resource: `model:${refOf(row)}`,
        change: {
          before: row.card === null ? null : sha256Hex(row.card),
          after: sha256Hex(text),
          missing: missingCardFields(parsed),
        },
      });
    });
    return this.models.version(ctx, row.id);
  }
}

export function gateSummary(d: GateDecisionInfo) {
  return {
    id: d.id,
    suite: d.suite,
    passed: d.passed,
    reasons: d.reasons,
    baselineVersionId: d.baselineVersionId,
    decidedAt: d.decidedAt,
  };
}

/** A run or dataset version removed or out of reach leaves a gap in the card, not an error. */
function nullIfMissing(error: unknown): null {
  if (PlumbError.is(error, 'not_found')) return null;
  throw error;
}
