import type { AliasMove, ModelAlias, Page, PromotionOutcome, PromotionRequest } from '@plumb/sdk';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isNumber, isString, pageOf } from '../../core/pagination.js';
import type { Executor } from '../../storage/database.js';
import { AliasMover, type MoveAuthorization } from './alias-mover.js';
import { AliasesRepo } from './aliases.repo.js';
import type { VersionRow } from './models.repo.js';
import { type ModelsService, refOf } from './models.service.js';
import { admitMove, admitRollback, refuseUnacceptable } from './promotion-policy.js';
import { PromotionRequestsRepo, type RequestRow } from './promotion-requests.repo.js';
import type { RegistryDeps } from './registry.deps.js';
import { policyOf, toAlias, toMove, toRequest } from './registry.mapper.js';
import type { ModelsTable } from './registry.tables.js';

/** `undefined`: whatever the alias points at when the request arrives; null: not set. */
type Expected = number | null | undefined;

/**
 * Aliases and promotions. Every move passes one path (`admitMove`): a gated alias moves only
 * by promotion, and where the policy in force asks for approval (always from high risk up) no
 * alias moves without an approver. Rollback is the audited emergency exit (`admitRollback`).
 */
export class PromotionService {
  private readonly aliasesRepo: AliasesRepo;
  private readonly requestsRepo: PromotionRequestsRepo;
  private readonly mover: AliasMover;

  constructor(
    private readonly deps: RegistryDeps,
    private readonly models: ModelsService,
  ) {
    this.aliasesRepo = new AliasesRepo(deps.db);
    this.requestsRepo = new PromotionRequestsRepo(deps.db);
    this.mover = new AliasMover(deps);
  }

  async aliases(ctx: RequestContext, name: string): Promise<{ items: ModelAlias[] }> {
    const model = await this.models.requireModel(ctx.principal.projectId, name);
    return { items: (await this.aliasesRepo.ofModels([model.id])).map((a) => toAlias(a, model)) };
  }

  /** Newest move first. */
  async history(
    ctx: RequestContext,
    name: string,
    alias: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<AliasMove>> {
    const model = await this.models.requireModel(ctx.principal.projectId, name);
    const before = decodeCursor(query.cursor, isNumber);
    const rows = await this.aliasesRepo.history(model.id, alias, before, query.limit + 1);
    return pageOf(rows, query.limit, toMove, (r) => r.seq);
  }

  /** Moves an ungated alias of a model whose moves need no approval; others move by promotion. */
  async setAlias(
    ctx: RequestContext,
    name: string,
    alias: string,
    input: { version: number | string; expectedVersion?: Expected; reason: string },
  ): Promise<ModelAlias> {
    const projectId = ctx.principal.projectId;
    const target = await this.models.resolveIn(projectId, name, input.version);
    const expected = await this.expectedTarget(target.model_id, alias, input.expectedVersion);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const model = (await this.models.repo.lockModel(trx, target.model_id))!;
      if (policyOf(model).gatedAliases.includes(alias)) {
        throw new PlumbError(
          'failed_precondition',
          `${alias} is gated for ${name}: promote instead (plumb model promote ${refOf(target)} --alias ${alias})`,
          { details: { rule: 'gated_alias', alias } },
        );
      }
      const version = (await this.models.repo.findVersionById(target.id, trx))!;
      const { approvalRequired } = await admitMove(this.deps.gates, model, alias, version, trx);
      if (approvalRequired) {
        throw new PlumbError(
          'failed_precondition',
          `moving an alias of ${name} needs approval: promote instead (plumb model promote ${refOf(target)} --alias ${alias})`,
          { details: { rule: 'approval_required', alias } },
        );
      }
      await this.refuseNoop(trx, model, alias, version);
      const row = await this.mover.move(trx, ctx, {
        model,
        alias,
        expected,
        to: version,
        action: 'set',
        reason: input.reason,
      });
      return toAlias(row, model);
    });
  }

  /**
   * Promotes a version to an alias (champion by default). When the model needs approval, this
   * files a pending request that remembers the alias's current target instead of moving it.
   * `authorization` comes from a pipeline's promote step (never from a request body): the run
   * and the approvals it waited for, recorded beside the acting key.
   */
  async promote(
    ctx: RequestContext,
    ref: string,
    input: { alias: string; reason: string; expectedVersion?: Expected; authorization?: MoveAuthorization },
  ): Promise<PromotionOutcome> {
    const projectId = ctx.principal.projectId;
    const target = await this.models.resolveRow(projectId, ref);
    const { alias } = input;
    const expected = await this.expectedTarget(target.model_id, alias, input.expectedVersion);
    const result = await this.deps.db.kysely.transaction().execute(async (trx) => {
      const { model, version } = await this.lockedCandidate(trx, target);
      const { approvalRequired } = await admitMove(this.deps.gates, model, alias, version, trx);
      await this.refuseNoop(trx, model, alias, version);
      if (!approvalRequired) {
        const row = await this.mover.move(trx, ctx, {
          model,
          alias,
          expected,
          to: version,
          action: 'promote',
          reason: input.reason,
          ...(input.authorization ? { authorization: input.authorization } : {}),
        });
        return { outcome: 'moved' as const, alias: toAlias(row, model) };
      }
      const current = await this.aliasesRepo.find(model.id, alias, trx);
      if ((current?.version_id ?? null) !== expected) {
        throw new PlumbError('conflict', `${model.name}@${alias} moved meanwhile; look again and retry`, {
          details: { alias, current: current?.version ?? null },
        });
      }
      const id = newId('prq');
      await this.requestsRepo.insert(trx, {
        id,
        model_id: model.id,
        version_id: version.id,
        alias,
        expected_version_id: expected,
        status: 'pending',
        reason: input.reason,
        requested_by: actorOf(ctx),
        requested_at: isoNow(this.deps.clock),
        decided_by: null,
        decided_at: null,
        comment: null,
      });
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'model.promotion.request',
        resource: `model:${refOf(version)}`,
        change: {
          requestId: id,
          alias,
          from: current ? `v${current.version}` : null,
          reason: input.reason,
          ...(input.authorization
            ? { pipelineRun: input.authorization.pipelineRun, approvedBy: input.authorization.approvedBy }
            : {}),
        },
      });
      return { outcome: 'pending_approval' as const, requestId: id };
    });
    if (result.outcome === 'moved') return result;
    return { outcome: 'pending_approval', request: await this.request(ctx, result.requestId) };
  }

  /**
   * Approves a pending request: the policy is checked again (gate, card, risk) and the alias
   * moves from the target recorded at request time. If the alias moved since, the request
   * becomes `stale` and the approval fails with `conflict`: the approver signed off on a change
   * from a target that no longer holds, so the requester must ask again.
   */
  async approve(ctx: RequestContext, id: string, comment: string): Promise<PromotionRequest> {
    const request = await this.pendingRequestFor(ctx, id, 'approve');
    const stale = await this.deps.db.kysely.transaction().execute(async (trx) => {
      const { model, version } = await this.lockedCandidate(trx, request);
      await this.stillPending(trx, id);
      // This decision is the approval the path may ask for.
      await admitMove(this.deps.gates, model, request.alias, version, trx);
      const decision = { decided_by: actorOf(ctx), decided_at: isoNow(this.deps.clock) };
      const current = await this.aliasesRepo.find(model.id, request.alias, trx);
      if ((current?.version_id ?? null) !== request.expected_version_id) {
        await this.requestsRepo.decide(trx, id, { status: 'stale', comment: null, ...decision });
        await this.auditDecision(trx, ctx, request, 'stale', comment);
        return current?.version ?? null;
      }
      await this.requestsRepo.decide(trx, id, { status: 'approved', comment, ...decision });
      await this.auditDecision(trx, ctx, request, 'approve', comment);
      await this.mover.move(trx, ctx, {
        model,
        alias: request.alias,
        expected: request.expected_version_id,
        to: version,
        action: 'approve',
        reason: request.reason,
        requestId: id,
      });
      return undefined;
    });
    if (stale !== undefined) {
      throw new PlumbError(
        'conflict',
        `${request.model_name}@${request.alias} moved to ${stale === null ? 'nothing' : `v${stale}`} after request ${id} was made; the request is stale, request the promotion again`,
        { details: { requestId: id, status: 'stale', current: stale } },
      );
    }
    return this.request(ctx, id);
  }

  async reject(ctx: RequestContext, id: string, comment: string): Promise<PromotionRequest> {
    const request = await this.pendingRequestFor(ctx, id, 'reject');
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.models.repo.lockModel(trx, request.model_id);
      await this.stillPending(trx, id);
      await this.requestsRepo.decide(trx, id, {
        status: 'rejected',
        decided_by: actorOf(ctx),
        decided_at: isoNow(this.deps.clock),
        comment,
      });
      await this.auditDecision(trx, ctx, request, 'reject', comment);
    });
    return this.request(ctx, id);
  }

  /**
   * Moves the alias back to where it pointed before its last move. An emergency action: it
   * skips the gate and approval (a maintainer may do it alone) but not the risk class, and it
   * is recorded and audited like any move. Rolling back twice undoes the rollback.
   */
  async rollback(
    ctx: RequestContext,
    name: string,
    alias: string,
    input: { reason: string; expectedVersion?: Expected },
  ): Promise<ModelAlias> {
    const found = await this.models.requireModel(ctx.principal.projectId, name);
    refuseUnacceptable(found);
    const expected = await this.expectedTarget(found.id, alias, input.expectedVersion);
    if (expected === null) throw new PlumbError('failed_precondition', `${name}@${alias} is not set`);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const model = (await this.models.repo.lockModel(trx, found.id))!;
      const last = await this.aliasesRepo.lastMove(trx, model.id, alias);
      if (!last || last.to_version_id !== expected) {
        throw new PlumbError('conflict', `${name}@${alias} moved meanwhile; look again and retry`);
      }
      if (last.from_version_id === null) {
        throw new PlumbError('failed_precondition', `${name}@${alias} has no earlier target to roll back to`);
      }
      const previous = (await this.models.repo.findVersionById(last.from_version_id, trx))!;
      await admitRollback(this.aliasesRepo, model, alias, previous, trx);
      const row = await this.mover.move(trx, ctx, {
        model,
        alias,
        expected,
        to: previous,
        action: 'rollback',
        reason: input.reason,
      });
      return toAlias(row, model);
    });
  }

  async requests(
    ctx: RequestContext,
    query: {
      limit: number;
      cursor?: string | undefined;
      status?: string | undefined;
      model?: string | undefined;
    },
  ): Promise<Page<PromotionRequest>> {
    const projectId = ctx.principal.projectId;
    const beforeId = decodeCursor(query.cursor, isString);
    const modelId =
      query.model === undefined ? undefined : (await this.models.requireModel(projectId, query.model)).id;
    const rows = await this.requestsRepo.list(
      {
        projectId,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(modelId === undefined ? {} : { modelId }),
        ...(beforeId === undefined ? {} : { beforeId }),
      },
      query.limit + 1,
    );
    return pageOf(rows, query.limit, toRequest, (r) => r.id);
  }

  async request(ctx: RequestContext, id: string): Promise<PromotionRequest> {
    return toRequest(await this.findRequest(ctx, id));
  }

  /** Requests of one version, newest first (for its card). */
  async requestsOf(projectId: string, versionId: string): Promise<PromotionRequest[]> {
    return (await this.requestsRepo.list({ projectId, versionId }, 500)).map(toRequest);
  }

  private async findRequest(ctx: RequestContext, id: string): Promise<RequestRow> {
    const row = await this.requestsRepo.find(id);
    if (!row || row.project_id !== ctx.principal.projectId)
      throw new PlumbError('not_found', `promotion request ${id} does not exist`);
    return row;
  }

  /** The four-eyes rule: whoever asked for a promotion cannot decide it. */
  private async pendingRequestFor(ctx: RequestContext, id: string, verb: string): Promise<RequestRow> {
    const request = await this.findRequest(ctx, id);
    if (request.status === 'stale') {
      throw new PlumbError(
        'conflict',
        `${request.model_name}@${request.alias} moved after request ${id} was made; the request is stale, request the promotion again`,
        { details: { requestId: id, status: 'stale' } },
      );
    }
    if (request.status !== 'pending')
      throw new PlumbError(
        'failed_precondition',
        `promotion request ${id} is ${request.status}, not pending`,
      );
    if (request.requested_by === actorOf(ctx)) {
      throw new PlumbError('permission_denied', `you requested ${id}; someone else must ${verb} it`, {
        details: { rule: 'requester_cannot_decide' },
      });
    }
    return request;
  }

  private async stillPending(trx: Executor, id: string): Promise<void> {
    const fresh = (await this.requestsRepo.find(id, trx))!;
    if (fresh.status !== 'pending')
      throw new PlumbError('failed_precondition', `promotion request ${id} is ${fresh.status}, not pending`);
  }

  private async lockedCandidate(
    trx: Executor,
    target: { model_id: string; version_id?: string; id?: string },
  ): Promise<{ model: ModelsTable; version: VersionRow }> {
    const model = (await this.models.repo.lockModel(trx, target.model_id))!;
    const version = (await this.models.repo.findVersionById((target.version_id ?? target.id)!, trx))!;
    return { model, version };
  }

  private async auditDecision(
    trx: Executor,
    ctx: RequestContext,
    request: RequestRow,
    verdict: 'approve' | 'reject' | 'stale',
    comment: string,
  ): Promise<void> {
    await this.deps.audit.append(trx, {
      actor: actorOf(ctx),
      projectId: request.project_id,
      action: `model.promotion.${verdict}`,
      resource: `model:${request.model_name}@v${request.version}`,
      change: { requestId: request.id, alias: request.alias, requestedBy: request.requested_by, comment },
    });
  }

  /** Judged on where the alias points now: a stale expectation is the move's conflict to report. */
  private async refuseNoop(
    trx: Executor,
    model: ModelsTable,
    alias: string,
    version: VersionRow,
  ): Promise<void> {
    const current = await this.aliasesRepo.find(model.id, alias, trx);
    if (current?.version_id === version.id) {
      throw new PlumbError(
        'failed_precondition',
        `${model.name}@${alias} already points at ${refOf(version)}`,
      );
    }
  }

  private async expectedTarget(modelId: string, alias: string, expected: Expected): Promise<string | null> {
    if (expected === null) return null;
    if (expected === undefined) return (await this.aliasesRepo.find(modelId, alias))?.version_id ?? null;
    const row = await this.models.repo.findVersion(modelId, expected);
    if (!row) throw new PlumbError('invalid_argument', `expected version v${expected} does not exist`);
    return row.id;
  }
}
