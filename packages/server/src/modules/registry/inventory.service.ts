import type { InventoryItem, Page, RiskClass } from '@plumb/sdk';
import type { RequestContext } from '../../core/context.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import { AliasesRepo } from './aliases.repo.js';
import { gateSummary } from './model-card.service.js';
import { versionRef } from './model-ref.js';
import { ModelsRepo } from './models.repo.js';
import { PromotionRequestsRepo } from './promotion-requests.repo.js';
import type { GateDecisionInfo } from './registry.contracts.js';
import type { RegistryDeps } from './registry.deps.js';
import { approvalRequired } from './registry.mapper.js';

/** The AI inventory: every model with its risk, owner, aliases, gate and training data. */
export class InventoryService {
  private readonly models: ModelsRepo;
  private readonly aliases: AliasesRepo;
  private readonly requests: PromotionRequestsRepo;

  constructor(private readonly deps: RegistryDeps) {
    this.models = new ModelsRepo(deps.db);
    this.aliases = new AliasesRepo(deps.db);
    this.requests = new PromotionRequestsRepo(deps.db);
  }

  /** By model name. */
  async inventory(
    ctx: RequestContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<InventoryItem>> {
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.models.listModels(ctx.principal.projectId, after, query.limit + 1);
    const kept = rows.slice(0, query.limit);
    const ids = kept.map((m) => m.id);
    const [counts, aliases, versions, pending] = await Promise.all([
      this.models.versionCounts(ids),
      this.aliases.ofModels(ids),
      this.models.versionsOfModels(ids),
      this.requests.pendingCounts(ids),
    ]);
    const inputs = await this.models.inputsOf(versions.map((v) => v.id));
    // One read for every version: a model retrained hourly has thousands.
    const latest = await this.deps.gates.latestDecisions(versions.map((v) => v.id));
    const decisions = versions.map((v) => ({ version: v, decision: latest.get(v.id) ?? null }));
    const names = new Map(kept.map((m) => [m.id, m.name]));
    const refOf = new Map(versions.map((v) => [v.id, versionRef(names.get(v.model_id)!, v.version)]));
    const datasetsOf = (versionIds: Set<string>) => {
      const found = new Map<string, string>();
      for (const i of inputs) if (versionIds.has(i.version_id)) found.set(i.dataset_version_id, i.ref);
      return [...found].map(([id, ref]) => ({ id, ref })).sort((a, b) => a.ref.localeCompare(b.ref));
    };
    const items = new Map(
      kept.map((m) => {
        const mine = versions.filter((v) => v.model_id === m.id);
        const mineIds = new Set(mine.map((v) => v.id));
        let latestGate: (GateDecisionInfo & { ref: string }) | null = null;
        for (const { version, decision } of decisions) {
          if (!decision || version.model_id !== m.id) continue;
          if (!latestGate || decision.decidedAt > latestGate.decidedAt)
            latestGate = { ...decision, ref: versionRef(m.name, version.version) };
        }
        const mineAliases = aliases.filter((a) => a.model_id === m.id);
        const champion = mineAliases.find((a) => a.alias === 'champion');
        const championId = champion?.version_id;
        const item: InventoryItem = {
          name: m.name,
          owner: m.owner,
          riskClass: m.risk_class as RiskClass,
          description: m.description,
          approvalRequired: approvalRequired(m),
          versionCount: counts.get(m.id)?.count ?? 0,
          latestVersion: counts.get(m.id)?.latest ?? null,
          aliases: Object.fromEntries(mineAliases.map((a) => [a.alias, versionRef(m.name, a.version)])),
          latestGate: latestGate && {
            ...gateSummary(latestGate),
            ref: latestGate.ref,
            // A baseline of another model shows as its id.
            baselineRef: latestGate.baselineVersionId
              ? (refOf.get(latestGate.baselineVersionId) ?? latestGate.baselineVersionId)
              : null,
          },
          pendingRequests: pending.get(m.id) ?? 0,
          datasets: datasetsOf(mineIds),
          championDatasets: championId ? datasetsOf(new Set([championId])) : [],
        };
        return [m.id, item];
      }),
    );
    return pageOf(
      rows,
      query.limit,
      (m) => items.get(m.id)!,
      (m) => m.name,
    );
  }
}
