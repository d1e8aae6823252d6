import type { MoveApproval, MovePipelineRun } from '@plumb/sdk';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Executor } from '../../storage/database.js';
import { AliasesRepo, type AliasRow } from './aliases.repo.js';
import { versionRef } from './model-ref.js';
import { ModelsRepo, type VersionRow } from './models.repo.js';
import { PromotionRequestsRepo } from './promotion-requests.repo.js';
import type { RegistryDeps } from './registry.deps.js';
import type { ModelsTable } from './registry.tables.js';

export interface Move {
  model: ModelsTable;
  alias: string;
  /** The target the caller saw; the move happens only if the alias still points there. */
  expected: string | null;
  to: VersionRow;
  action: 'set' | 'promote' | 'approve' | 'rollback';
  reason: string;
  requestId?: string;
  authorization?: MoveAuthorization;
}

/**
 * What authorized a move a pipeline made. The run's key stays the actor; this records the run
 * and the approvals its move waited for, so the history and the audit record name both.
 */
export interface MoveAuthorization {
  pipelineRun: MovePipelineRun;
  approvedBy: MoveApproval[];
}

/**
 * The one way an alias moves: compare-and-set on the current target, a history entry, the
 * champion's status, stale requests and the audit record, all in the caller's transaction.
 */
export class AliasMover {
  private readonly aliases: AliasesRepo;
  private readonly models: ModelsRepo;
  private readonly requests: PromotionRequestsRepo;

  constructor(private readonly deps: RegistryDeps) {
    this.aliases = new AliasesRepo(deps.db);
    this.models = new ModelsRepo(deps.db);
    this.requests = new PromotionRequestsRepo(deps.db);
  }

  async move(trx: Executor, ctx: RequestContext, move: Move): Promise<AliasRow> {
    const { model, alias, expected, to, authorization: auth } = move;
    const actor = actorOf(ctx);
    const now = isoNow(this.deps.clock);
    let moved: boolean;
    try {
      moved = await this.aliases.compareAndSet(trx, model.id, alias, expected, to.id, actor, now);
    } catch (error) {
      // The insert of a first target lost to a concurrent one. PostgreSQL has aborted the
      // transaction by now, so nothing more can be read to say where the alias points.
      if (!PlumbError.is(error, 'already_exists')) throw error;
      throw new PlumbError(
        'conflict',
        `${model.name}@${alias} was set by someone else meanwhile; look again and retry`,
        {
          cause: error,
          details: { alias },
        },
      );
    }
    if (!moved) throw await this.conflict(trx, model, alias, expected);

    const last = await this.aliases.lastMove(trx, model.id, alias);
    await this.aliases.appendMove(trx, {
      id: newId('mvh'),
      model_id: model.id,
      alias,
      seq: (last?.seq ?? 0) + 1,
      from_version_id: expected,
      to_version_id: to.id,
      action: move.action,
      actor,
      reason: move.reason,
      request_id: move.requestId ?? null,
      created_at: now,
      pipeline_run: auth ? JSON.stringify(auth.pipelineRun) : null,
      approved_by: auth && auth.approvedBy.length > 0 ? JSON.stringify(auth.approvedBy) : null,
    });
    if (alias === 'champion' && to.status !== 'production') {
      await this.models.setStatus(trx, to.id, 'production', now);
    }
    // Requests for this alias were judged against the old target; approving one now would move
    // the alias from somewhere the approver never saw.
    const stale = await this.requests.markStale(trx, model.id, alias, now, move.requestId);
    const from = expected === null ? null : await this.models.findVersionById(expected, trx);
    await this.deps.audit.append(trx, {
      actor,
      projectId: model.project_id,
      action: `model.alias.${move.action}`,
      resource: `model:${model.name}@${alias}`,
      change: {
        from: from ? versionRef(model.name, from.version) : null,
        to: versionRef(model.name, to.version),
        reason: move.reason,
        requestId: move.requestId ?? null,
        staleRequests: stale,
        ...(auth ? { pipelineRun: auth.pipelineRun, approvedBy: auth.approvedBy } : {}),
      },
    });
    return (await this.aliases.find(model.id, alias, trx))!;
  }

  private async conflict(trx: Executor, model: ModelsTable, alias: string, expected: string | null) {
    const current = await this.aliases.find(model.id, alias, trx);
    const want = expected === null ? null : await this.models.findVersionById(expected, trx);
    const label = (v: number | undefined) => (v === undefined ? 'nothing' : `v${v}`);
    return new PlumbError(
      'conflict',
      `${model.name}@${alias} points at ${label(current?.version)}, not ${label(want?.version)}: it moved meanwhile; look again and retry`,
      { details: { alias, current: current?.version ?? null, expected: want?.version ?? null } },
    );
  }
}
