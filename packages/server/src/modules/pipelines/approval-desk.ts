import type { MoveApproval, PipelineSpec, PipelineStepSpec } from '@plumb/sdk';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext, SYSTEM_ACTOR } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import type { Executor } from '../../storage/database.js';
import { durationMs } from './pipeline-spec.js';
import type { PipelinesDeps } from './pipelines.ports.js';
import { PipelinesRepo, type RunRow } from './pipelines.repo.js';

export const APPROVAL_TIMEOUT_QUEUE = 'pipeline.approval-timeout';

export interface ApprovalState {
  /** Key names or ids that may decide. */
  approvers: string[];
  /** Or any key of this role. */
  role: string | null;
  quorum: number;
  timeoutAt: string | null;
  onTimeout: 'approve' | 'reject';
  prompt: string;
}

/**
 * Approval steps: the request is filed and its job ends, so no worker waits; each decision is
 * audited, and the run moves on when the quorum approves, when anyone eligible rejects, or when
 * the timeout job applies the default outcome.
 */
export class ApprovalDesk {
  constructor(
    private readonly deps: PipelinesDeps,
    private readonly repo: PipelinesRepo,
    private readonly advance: (trx: Executor, run: RunRow) => Promise<void>,
  ) {}

  stateFor(spec: PipelineStepSpec, now: Date): ApprovalState {
    const w = spec.with;
    const timeout = w.timeout === undefined ? null : durationMs(w.timeout as string | number);
    return {
      approvers: (w.approvers as string[] | undefined) ?? [],
      role: (w.role as string | undefined) ?? null,
      quorum: (w.quorum as number | undefined) ?? 1,
      timeoutAt: timeout === null ? null : new Date(now.getTime() + timeout).toISOString(),
      onTimeout: (w.onTimeout as 'approve' | 'reject' | undefined) ?? 'reject',
      prompt: typeof w.prompt === 'string' ? w.prompt : '',
    };
  }

  /** Parks the step as waiting (inside the step's finishing transaction) and queues its timeout. */
  async open(trx: Executor, run: RunRow, step: string, state: ApprovalState): Promise<void> {
    await this.repo.updateStep(trx, run.id, step, { status: 'waiting', approval: JSON.stringify(state) });
    if (state.timeoutAt) {
      await this.deps.jobs.enqueue(
        APPROVAL_TIMEOUT_QUEUE,
        { runId: run.id, step },
        { runAt: new Date(state.timeoutAt), dedupeKey: `papproval:${run.id}:${step}`, maxAttempts: 5 },
        trx,
      );
    }
    await this.deps.audit.append(trx, {
      actor: 'system',
      projectId: run.project_id,
      action: 'pipeline.approval.request',
      resource: `pipeline_run:${run.id}/${step}`,
      change: {
        approvers: state.approvers,
        role: state.role,
        quorum: state.quorum,
        timeoutAt: state.timeoutAt,
      },
    });
  }

  /** Records a person's decision; the step ends when it decides the request. */
  async decide(
    ctx: RequestContext,
    runId: string,
    step: string,
    decision: 'approve' | 'reject',
    comment: string,
  ): Promise<void> {
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const run = await this.repo.lockRun(trx, runId);
      if (!run || run.project_id !== ctx.principal.projectId)
        throw new PlumbError('not_found', `pipeline run ${runId} does not exist`);
      const row = await this.repo.step(runId, step, trx);
      if (!row) throw new PlumbError('not_found', `run ${runId} has no step ${step}`);
      if (row.kind !== 'approval')
        throw new PlumbError('failed_precondition', `step ${step} is not an approval`);
      if (row.status !== 'waiting' || !row.approval)
        throw new PlumbError(
          'failed_precondition',
          `step ${step} is ${row.status}, not waiting for a decision`,
        );
      const state = JSON.parse(row.approval) as ApprovalState;
      const p = ctx.principal;
      const eligible =
        p.role === 'admin' ||
        state.approvers.includes(p.keyName) ||
        state.approvers.includes(p.keyId) ||
        (state.role !== null && state.role === p.role);
      if (!eligible) {
        throw new PlumbError('permission_denied', `${p.keyName} is not an approver of step ${step}`, {
          details: { approvers: state.approvers, role: state.role },
        });
      }
      const prior = await this.repo.approvals(runId, trx);
      if (prior.some((a) => a.step === step && a.actor === actorOf(ctx)))
        throw new PlumbError('already_exists', `${p.keyName} has already decided step ${step}`);
      await this.record(trx, run, step, actorOf(ctx), decision, comment);
      const approvals =
        prior.filter((a) => a.step === step && a.decision === 'approve').length +
        (decision === 'approve' ? 1 : 0);
      await this.settle(
        trx,
        run,
        step,
        decision === 'reject' ? 'reject' : approvals >= state.quorum ? 'approve' : null,
      );
    });
  }

  /** The handler of APPROVAL_TIMEOUT_QUEUE: applies the default outcome if nobody decided in time. */
  async timeout(runId: string, step: string): Promise<void> {
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const run = await this.repo.lockRun(trx, runId);
      if (!run || ['succeeded', 'failed', 'cancelled'].includes(run.status)) return;
      const row = await this.repo.step(runId, step, trx);
      if (row?.status !== 'waiting' || !row.approval) return;
      const state = JSON.parse(row.approval) as ApprovalState;
      if (state.timeoutAt && Date.parse(state.timeoutAt) > this.deps.clock.now().getTime()) return;
      await this.record(trx, run, step, 'system', state.onTimeout, 'timed out without a decision');
      await this.settle(trx, run, step, state.onTimeout);
    });
  }

  private async record(
    trx: Executor,
    run: RunRow,
    step: string,
    actor: string,
    decision: 'approve' | 'reject',
    comment: string,
  ): Promise<void> {
    await this.repo.insertApproval(trx, {
      run_id: run.id,
      step,
      actor,
      decision,
      comment,
      decided_at: isoNow(this.deps.clock),
    });
    await this.deps.audit.append(trx, {
      actor,
      projectId: run.project_id,
      action: `pipeline.approval.${decision}`,
      resource: `pipeline_run:${run.id}/${step}`,
      change: { decision, comment },
    });
  }

  private async settle(trx: Executor, run: RunRow, step: string, outcome: 'approve' | 'reject' | null) {
    if (outcome === null) return;
    const now = isoNow(this.deps.clock);
    const decided = (await this.repo.approvals(run.id, trx)).filter((a) => a.step === step);
    if (outcome === 'approve') {
      await this.repo.updateStep(trx, run.id, step, {
        status: 'succeeded',
        finished_at: now,
        outputs: JSON.stringify({
          approved: true,
          by: decided.filter((a) => a.decision === 'approve').map((a) => a.actor),
        }),
      });
      await this.advance(trx, run);
      return;
    }
    const by = decided.find((a) => a.decision === 'reject')?.actor ?? 'system';
    const error = `step ${step} was rejected by ${by}`;
    await this.repo.updateStep(trx, run.id, step, { status: 'failed', finished_at: now, error });
    const { endRunHook } = this;
    if (endRunHook) await endRunHook(trx, run, error);
  }

  /** Set by the engine: ends a run whose approval was rejected. */
  endRunHook: ((trx: Executor, run: RunRow, error: string) => Promise<void>) | undefined;
}

/**
 * The approvals a step waited for: every approving decision at the approval steps it depends on,
 * directly or through other steps, oldest first, with the approvers' key names. Approval steps
 * elsewhere in the run did not gate this step and are left out.
 */
export async function approvalsBefore(
  deps: PipelinesDeps,
  ctx: RequestContext,
  run: RunRow,
  pipeline: PipelineSpec,
  step: string,
): Promise<MoveApproval[]> {
  const needs = new Map(pipeline.steps.map((s) => [s.name, s.needs]));
  const upstream = new Set<string>();
  const stack = [...(needs.get(step) ?? [])];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (upstream.has(name)) continue;
    upstream.add(name);
    stack.push(...(needs.get(name) ?? []));
  }
  const gates = new Set(
    pipeline.steps.filter((s) => s.kind === 'approval' && upstream.has(s.name)).map((s) => s.name),
  );
  if (gates.size === 0) return [];
  const repo = new PipelinesRepo(deps.db);
  const quorums = new Map<string, number>();
  for (const row of await repo.steps(run.id)) {
    if (gates.has(row.name) && row.approval)
      quorums.set(row.name, (JSON.parse(row.approval) as ApprovalState).quorum);
  }
  const decisions = (await repo.approvals(run.id)).filter(
    (a) => gates.has(a.step) && a.decision === 'approve',
  );
  if (decisions.length === 0) return [];
  const names = new Map((await deps.keys.names(ctx)).items.map((k) => [k.id, k.name]));
  return decisions.map((a) => ({
    keyId: a.actor,
    keyName: a.actor === SYSTEM_ACTOR ? SYSTEM_ACTOR : (names.get(a.actor) ?? a.actor),
    step: a.step,
    quorum: quorums.get(a.step) ?? 1,
    comment: a.comment,
    at: a.decided_at,
  }));
}
