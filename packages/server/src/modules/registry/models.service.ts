import type { Model, ModelVersion, ModelVersionStatus, Page, RiskClass } from '@plumb/sdk';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isNumber, isString, pageOf } from '../../core/pagination.js';
import type { Executor } from '../../storage/database.js';
import { AliasesRepo } from './aliases.repo.js';
import { parseModelRef, parseSelector, type VersionSelector, versionRef } from './model-ref.js';
import { ModelsRepo, type VersionRow } from './models.repo.js';
import type { ModelVersionInfo, ModelVersionResolver } from './registry.contracts.js';
import type { RegistryDeps } from './registry.deps.js';
import { artifactOf, policyOf, toModel, toVersion } from './registry.mapper.js';
import type { ModelsTable } from './registry.tables.js';
import { effectivePolicy } from './risk-floor.js';

export interface CreateModelInput {
  name: string;
  owner?: string | undefined;
  description: string;
  riskClass: RiskClass;
  policy: { gatedAliases: string[]; approvalRequired: boolean };
}

export interface UpdateModelInput {
  owner?: string | undefined;
  description?: string | undefined;
  riskClass?: RiskClass | undefined;
  policy?: { gatedAliases?: string[] | undefined; approvalRequired?: boolean | undefined } | undefined;
}

const RISK_ORDER: RiskClass[] = ['minimal', 'limited', 'high', 'unacceptable'];

/**
 * Status moves `plumb model status` may make. `production` is reached only by promotion, so it
 * always means "passed the model's policy"; `archived` is final.
 */
const STATUS_MOVES: Record<ModelVersionStatus, ModelVersionStatus[]> = {
  registered: ['staging', 'deprecated', 'archived'],
  staging: ['registered', 'deprecated', 'archived'],
  production: ['staging', 'deprecated', 'archived'],
  deprecated: ['staging', 'archived'],
  archived: [],
};

/** Models and their versions; resolves `name@vN` and `name@alias` for the rest of Plumb. */
export class ModelsService implements ModelVersionResolver {
  readonly repo: ModelsRepo;
  private readonly aliases: AliasesRepo;

  constructor(private readonly deps: RegistryDeps) {
    this.repo = new ModelsRepo(deps.db);
    this.aliases = new AliasesRepo(deps.db);
  }

  async create(ctx: RequestContext, input: CreateModelInput): Promise<Model> {
    const row = this.newModel(ctx, input);
    try {
      await this.deps.db.kysely.transaction().execute(async (trx) => {
        await this.repo.insertModel(trx, row);
        await this.auditCreate(trx, ctx, row);
      });
    } catch (error) {
      if (PlumbError.is(error, 'already_exists'))
        throw new PlumbError('already_exists', `model ${input.name} already exists`, { cause: error });
      throw error;
    }
    return toModel(row, undefined, []);
  }

  /**
   * Loosening governance (a lower risk class, fewer gated aliases, approval turned off) needs
   * the `models:approve` permission on top of `models:write`: otherwise whoever may promote
   * could first switch off what checks the promotion.
   */
  async update(ctx: RequestContext, name: string, input: UpdateModelInput): Promise<Model> {
    const projectId = ctx.principal.projectId;
    const found = await this.requireModel(projectId, name);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const model = (await this.repo.lockModel(trx, found.id))!;
      const before = policyOf(model);
      const risk = input.riskClass ?? (model.risk_class as RiskClass);
      const after = effectivePolicy(risk, {
        gatedAliases: input.policy?.gatedAliases ?? before.gatedAliases,
        approvalRequired: input.policy?.approvalRequired ?? before.approvalRequired,
      });
      const gated = after.gatedAliases;
      const approval = after.approvalRequired;
      const loosened = [
        RISK_ORDER.indexOf(risk) < RISK_ORDER.indexOf(model.risk_class as RiskClass) &&
          'lowers the risk class',
        before.gatedAliases.some((a) => !gated.includes(a)) && 'ungates an alias',
        before.approvalRequired && !approval && 'turns approval off',
      ].filter((x): x is string => typeof x === 'string');
      if (loosened.length > 0 && !this.deps.permissions.allows(ctx.principal.role, 'models:approve')) {
        throw new PlumbError(
          'permission_denied',
          `this change ${loosened.join(' and ')}, which needs a key that may approve models`,
          { details: { loosened } },
        );
      }
      const changes = {
        owner: input.owner ?? model.owner,
        description: input.description ?? model.description,
        risk_class: risk,
        gated_aliases: JSON.stringify(gated),
        approval_required: approval ? 1 : 0,
        updated_at: isoNow(this.deps.clock),
      };
      await this.repo.updateModel(trx, model.id, changes);
      // The EU AI Act prohibits placing these systems on the market: classing a model
      // unacceptable withdraws every alias, so nothing keeps serving it.
      const withdrawn =
        risk === 'unacceptable' && model.risk_class !== 'unacceptable'
          ? await this.aliases.removeAll(trx, model.id)
          : [];
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'model.update',
        resource: `model:${name}`,
        change: {
          before: { owner: model.owner, riskClass: model.risk_class, policy: before },
          after: {
            owner: changes.owner,
            riskClass: risk,
            policy: { gatedAliases: gated, approvalRequired: approval },
          },
          descriptionChanged: changes.description !== model.description,
          withdrawnAliases: withdrawn,
        },
      });
    });
    return this.get(ctx, name);
  }

  async list(
    ctx: RequestContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Model>> {
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.repo.listModels(ctx.principal.projectId, after, query.limit + 1);
    const kept = rows.slice(0, query.limit);
    const ids = kept.map((r) => r.id);
    const [counts, aliases] = await Promise.all([this.repo.versionCounts(ids), this.aliases.ofModels(ids)]);
    return pageOf(
      rows,
      query.limit,
      (r) =>
        toModel(
          r,
          counts.get(r.id),
          aliases.filter((a) => a.model_id === r.id),
        ),
      (r) => r.name,
    );
  }

  async get(ctx: RequestContext, name: string): Promise<Model> {
    const model = await this.requireModel(ctx.principal.projectId, name);
    const [counts, aliases] = await Promise.all([
      this.repo.versionCounts([model.id]),
      this.aliases.ofModels([model.id]),
    ]);
    return toModel(model, counts.get(model.id), aliases);
  }

  async versions(
    ctx: RequestContext,
    name: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ModelVersion>> {
    const model = await this.requireModel(ctx.principal.projectId, name);
    const before = decodeCursor(query.cursor, isNumber);
    const rows = await this.repo.listVersions(model.id, before, query.limit + 1);
    const page = pageOf(
      rows,
      query.limit,
      (r) => r,
      (r) => r.version,
    );
    return { items: await this.present(page.items), nextCursor: page.nextCursor };
  }

  /** `name@vN`, `name@latest`, `name@alias` or `mv_…`. */
  async version(ctx: RequestContext, ref: string): Promise<ModelVersion> {
    const [version] = await this.present([await this.resolveRow(ctx.principal.projectId, ref)]);
    return version!;
  }

  async setStatus(
    ctx: RequestContext,
    ref: string,
    status: ModelVersionStatus,
    reason: string,
  ): Promise<ModelVersion> {
    const projectId = ctx.principal.projectId;
    const found = await this.resolveRow(projectId, ref);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.repo.lockModel(trx, found.model_id);
      const row = (await this.repo.findVersionById(found.id, trx))!;
      const from = row.status as ModelVersionStatus;
      if (from === status) return;
      if (status === 'production') {
        throw new PlumbError(
          'failed_precondition',
          `${refOf(row)} becomes production by promotion: plumb model promote ${refOf(row)}`,
        );
      }
      if (!STATUS_MOVES[from].includes(status)) {
        throw new PlumbError('failed_precondition', `${refOf(row)} is ${from} and cannot become ${status}`, {
          details: { from, to: status, allowed: STATUS_MOVES[from] },
        });
      }
      if (status === 'archived') {
        const pointing = (await this.aliases.ofVersions([row.id], trx)).map((a) => a.alias);
        if (pointing.length > 0) {
          throw new PlumbError(
            'failed_precondition',
            `${refOf(row)} is still the target of ${pointing.join(', ')}; move those aliases first`,
            { details: { aliases: pointing } },
          );
        }
      }
      await this.repo.setStatus(trx, row.id, status, isoNow(this.deps.clock));
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'model.version.status',
        resource: `model:${refOf(row)}`,
        change: { from, to: status, reason },
      });
    });
    return this.version(ctx, found.id);
  }

  // ModelVersionResolver, for evaluations and serving.

  async resolve(projectId: string, ref: string): Promise<ModelVersionInfo> {
    return this.info(await this.resolveRow(projectId, ref));
  }

  async aliasTarget(projectId: string, model: string, alias: string): Promise<ModelVersionInfo | null> {
    const found = await this.requireModel(projectId, model);
    const target = await this.aliases.find(found.id, alias);
    if (!target) return null;
    return this.info((await this.repo.findVersionById(target.version_id))!);
  }

  // Shared with the other registry services.

  async requireModel(projectId: string, name: string, trx?: Executor): Promise<ModelsTable> {
    const model = await this.repo.findModel(projectId, name, trx);
    if (!model) throw new PlumbError('not_found', `model ${name} does not exist`);
    return model;
  }

  /** Versions of other projects are reported missing, so ids do not leak across projects. */
  async resolveRow(projectId: string, ref: string, trx?: Executor): Promise<VersionRow> {
    const parsed = parseModelRef(ref);
    if (parsed.kind === 'id') {
      const row = await this.repo.findVersionById(parsed.id, trx);
      if (!row || row.project_id !== projectId)
        throw new PlumbError('not_found', `model version ${ref} does not exist`);
      return row;
    }
    return this.select(projectId, parsed.name, parsed.selector, trx);
  }

  /** A version of a model named by a path segment or a bare number: `3`, `v3`, `latest`, an alias. */
  async resolveIn(
    projectId: string,
    name: string,
    selector: string | number,
    trx?: Executor,
  ): Promise<VersionRow> {
    if (typeof selector === 'number')
      return this.select(projectId, name, { kind: 'number', version: selector }, trx);
    const at = selector.indexOf('@');
    if (at >= 0) {
      const row = await this.resolveRow(projectId, selector, trx);
      if (row.model_name !== name) {
        throw new PlumbError(
          'invalid_argument',
          `${selector} is a version of ${row.model_name}, not of ${name}`,
        );
      }
      return row;
    }
    return this.select(projectId, name, parseSelector(selector, `${name}@${selector}`), trx);
  }

  async present(rows: VersionRow[]): Promise<ModelVersion[]> {
    const ids = rows.map((r) => r.id);
    const [inputs, aliases] = await Promise.all([this.repo.inputsOf(ids), this.aliases.ofVersions(ids)]);
    return rows.map((r) =>
      toVersion(
        r,
        inputs.filter((i) => i.version_id === r.id),
        aliases.filter((a) => a.version_id === r.id).map((a) => a.alias),
      ),
    );
  }

  newModel(ctx: RequestContext, input: CreateModelInput): ModelsTable {
    const now = isoNow(this.deps.clock);
    // Stored as in force, so what the model answers is what its promotions will check.
    const policy = effectivePolicy(input.riskClass, input.policy);
    return {
      id: newId('mdl'),
      project_id: ctx.principal.projectId,
      name: input.name,
      owner: input.owner ?? ctx.principal.keyName,
      description: input.description,
      risk_class: input.riskClass,
      gated_aliases: JSON.stringify(policy.gatedAliases),
      approval_required: policy.approvalRequired ? 1 : 0,
      created_at: now,
      created_by: actorOf(ctx),
      updated_at: now,
    };
  }

  async auditCreate(trx: Executor, ctx: RequestContext, row: ModelsTable): Promise<void> {
    await this.deps.audit.append(trx, {
      actor: actorOf(ctx),
      projectId: row.project_id,
      action: 'model.create',
      resource: `model:${row.name}`,
      change: { owner: row.owner, riskClass: row.risk_class, policy: policyOf(row) },
    });
  }

  private async select(
    projectId: string,
    name: string,
    selector: VersionSelector,
    trx?: Executor,
  ): Promise<VersionRow> {
    const model = await this.requireModel(projectId, name, trx);
    let row: VersionRow | undefined;
    if (selector.kind === 'number') row = await this.repo.findVersion(model.id, selector.version, trx);
    else if (selector.kind === 'latest') row = await this.repo.findLatestVersion(model.id, trx);
    else {
      const alias = await this.aliases.find(model.id, selector.alias, trx);
      if (!alias) throw new PlumbError('not_found', `model ${name} has no alias ${selector.alias}`);
      row = await this.repo.findVersionById(alias.version_id, trx);
    }
    const label =
      selector.kind === 'number'
        ? `v${selector.version}`
        : selector.kind === 'latest'
          ? 'latest'
          : selector.alias;
    if (!row) throw new PlumbError('not_found', `model version ${name}@${label} does not exist`);
    return row;
  }

  private async info(row: VersionRow): Promise<ModelVersionInfo> {
    const inputs = await this.repo.inputsOf([row.id]);
    return {
      id: row.id,
      model: row.model_name,
      version: row.version,
      ref: refOf(row),
      projectId: row.project_id,
      artifact: artifactOf(row),
      signature: row.signature === null ? null : JSON.parse(row.signature),
      runId: row.run_id,
      datasetVersionIds: inputs.map((i) => i.dataset_version_id),
    };
  }
}

export function refOf(row: VersionRow): string {
  return versionRef(row.model_name, row.version);
}
